#!/usr/bin/env bash
# Measures syncing on the local network between two network namespaces joined by a veth
# pair (run as root): how long `join` from a samspill+lan:// link takes, and how long an
# edit made on one machine takes to show on the other, through the LAN relays of
# `sync --lan --watch` and, as the baseline in the same run, through a normal relay on
# the same link. Prints a Markdown table for docs/PERFORMANCE.md.
#
#   scripts/lan-measure.sh [ROUNDS]        (default 20; binaries from target/release,
#                                           or SAMSPILL_BIN_DIR)
#
# An edit is timed from just before `samspill task add` on A until `samspill show` on B
# (polled) holds it, so both commands' start-up is included: the numbers are an upper
# bound on what the engine adds.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-20}
bin=${SAMSPILL_BIN_DIR:-target/release}
S="$bin/samspill"
R="$bin/samspill-relay"
[ -x "$S" ] && [ -x "$R" ] || { echo "build first: cargo build --release -p samspill -p samspill-relay" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "needs root (ip netns)" >&2; exit 1; }

tag=$$
A=lma$tag B=lmb$tag
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$A"; ip netns add "$B"
ip link add "la$tag" type veth peer name "lb$tag"
ip link set "la$tag" netns "$A"; ip link set "lb$tag" netns "$B"
for ns in "$A:la$tag:10.77.0.1" "$B:lb$tag:10.77.0.2"; do
  IFS=: read -r n dev addr <<<"$ns"
  ip -n "$n" link set lo up
  ip -n "$n" addr add "$addr/24" dev "$dev"
  ip -n "$n" link set "$dev" up
  ip -n "$n" route add 224.0.0.0/4 dev "$dev"
done

on() { local ns=$1 dir=$2; shift 2; ip netns exec "$ns" "$S" --data-dir "$work/$dir" "$@"; }
now() { date +%s.%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }
# Median and the worst of a list of numbers (one per line).
stats() { sort -n | awk '{ v[NR] = $1 } END { printf "%s | %s", v[int((NR + 1) / 2)], v[NR] }'; }

measure_edits() {  # ns-a dir-a ns-b dir-b id label
  local out=()
  for i in $(seq 1 "$rounds"); do
    local title="Måling $6 $i"
    local t0; t0=$(now)
    on "$1" "$2" task add "$5" --phase 1 "$title" >/dev/null
    until on "$3" "$4" show "$5" --json | grep -q "\"$title\""; do :; done
    out+=("$(ms "$t0" "$(now)")")
  done
  printf '%s\n' "${out[@]}" | stats
}

on "$A" a profile --name Anne >/dev/null
on "$B" b profile --name Máret >/dev/null
id=$(on "$A" a new --template four-phase --title "Måling på nettverket" | tail -1)
link=$(on "$A" a invite "$id" --role editor --lan | tail -1)
ip netns exec "$A" "$S" --data-dir "$work/a" sync --lan --watch 2>/dev/null & pids+=($!)
sleep 1
t0=$(now)
on "$B" b join "$link" >/dev/null
join_ms=$(ms "$t0" "$(now)")
ip netns exec "$B" "$S" --data-dir "$work/b" sync --lan --watch 2>/dev/null & pids+=($!)
sleep 2
lan=$(measure_edits "$A" a "$B" b "$id" lan)
for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
pids=()

# Baseline: a normal relay in A's namespace, the same link, the same commands.
ip netns exec "$A" "$R" --listen 10.77.0.1:18787 --data "$work/relay" >/dev/null 2>&1 & pids+=($!)
sleep 1
id2=$(on "$A" a2 new --template four-phase --title "Måling gjennom relé" | tail -1)
relay_link=$(on "$A" a2 share "$id2" --relay ws://10.77.0.1:18787 | tail -1)
t0=$(now)
on "$B" b2 join "$relay_link" >/dev/null
relay_join_ms=$(ms "$t0" "$(now)")
ip netns exec "$A" "$S" --data-dir "$work/a2" sync --watch 2>/dev/null & pids+=($!)
ip netns exec "$B" "$S" --data-dir "$work/b2" sync --watch 2>/dev/null & pids+=($!)
sleep 2
relay=$(measure_edits "$A" a2 "$B" b2 "$id2" relay)

echo "| path ($rounds edits) | join (ms) | edit → visible, median (ms) | worst (ms) |"
echo "|---|---|---|---|"
echo "| LAN: \`sync --lan --watch\` on both, joined from a \`samspill+lan://\` link | $join_ms | $lan |"
echo "| baseline: a normal relay on A, the same veth | $relay_join_ms | $relay |"
