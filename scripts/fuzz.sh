#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for SECONDS each (default 30), one after the other,
# and prints how many inputs each one ran. Exits non-zero if any target finds a crash
# (a panic, a failed invariant, a sanitizer error or a timeout); the input that did it
# is in fuzz/artifacts/<target>/. See docs/FUZZING.md.
#
#   scripts/fuzz.sh [SECONDS]
#
# Needs a nightly toolchain (`rustup toolchain install nightly`); installs cargo-fuzz
# if it is missing. The committed seed corpus in fuzz/corpus/<target>/ is only read;
# what libFuzzer adds while it runs goes to fuzz/target/corpus/<target>/ and is kept
# for the next run.
set -euo pipefail

seconds="${1:-30}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SECONDS]   (SECONDS per target, a whole number, default 30)" >&2
  exit 2
fi

cd "$(dirname "$0")/.."

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzzing needs a nightly toolchain: rustup toolchain install nightly" >&2
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# -a: debug assertions and overflow checks, so arithmetic overflow is a finding too.
build_flags=(--debug-assertions)

echo "== building the fuzz targets"
cargo +nightly fuzz build "${build_flags[@]}"

mapfile -t targets < <(cargo +nightly fuzz list)
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "no fuzz targets found in fuzz/" >&2
  exit 1
fi

logs=fuzz/target/fuzz-logs
mkdir -p "$logs"
failed=()
summary=()
for target in "${targets[@]}"; do
  echo "== fuzzing $target for ${seconds}s"
  work="fuzz/target/corpus/$target"
  mkdir -p "$work" "fuzz/corpus/$target"
  log="$logs/$target.log"
  # The first corpus directory is where libFuzzer writes new inputs; the seeds are
  # only read.
  if cargo +nightly fuzz run "${build_flags[@]}" "$target" "$work" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 -timeout=10 >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$target")
    # The panic or sanitizer report, and where the input was written.
    grep -E "panicked at|ERROR: (libFuzzer|AddressSanitizer)|SUMMARY:|Test unit written to" "$log" |
      head -n 20 >&2 || true
    echo "(full log: $log)" >&2
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  summary+=("$(printf '%-12s %-7s %14s executions' "$target" "$status" "${execs:-?}")")
done

echo "== summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "crashes found in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
