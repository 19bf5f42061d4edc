#!/usr/bin/env bash
# Builds the Debian packages: samspill-relay_VERSION_amd64.deb and samspill_VERSION_amd64.deb
# into OUTDIR (release builds; cargo-deb is installed if missing).
#
#   scripts/package.sh OUTDIR
#
# Man pages are made from each program's own --help, so they never disagree with it.
# scripts/check-packages.sh OUTDIR unpacks and checks what this made.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: scripts/package.sh OUTDIR" >&2
  exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."

CARGO_DEB_VERSION=3.8.0
if ! cargo deb --version >/dev/null 2>&1; then
  echo "== installing cargo-deb $CARGO_DEB_VERSION"
  cargo install cargo-deb --locked --version "$CARGO_DEB_VERSION"
fi

echo "== release build"
cargo build --release --locked -p samspill-relay -p samspill

echo "== man pages (from --help)"
man=packaging/build/man
mkdir -p "$man"
version=$(target/release/samspill-relay --version | awk '{print $2}')
# A man page whose body is the program's --help, verbatim (roff escapes the backslashes
# and leading dots).
manpage() {
  local bin=$1 name=$2 summary=$3
  {
    echo ".TH ${name^^} 1 \"\" \"$name $version\" \"User Commands\""
    echo ".SH NAME"
    echo "$name \\- $summary"
    echo ".SH DESCRIPTION"
    echo ".nf"
    "$bin" --help | sed -e 's/\\/\\\\/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\&'/"
    echo ".fi"
    echo ".SH SEE ALSO"
    echo "The README in /usr/share/doc/$name."
  } | gzip -9n > "$man/$name.1.gz"
}
manpage target/release/samspill-relay samspill-relay \
  "the Samspill relay: stores and forwards end-to-end encrypted project data"
manpage target/release/samspill samspill \
  "plan and run development processes together, local-first and end-to-end encrypted"

echo "== packages"
cargo deb --no-build --locked --strip -p samspill-relay -o "$out"
cargo deb --no-build --locked --strip -p samspill -o "$out"
ls -l "$out"/*.deb
