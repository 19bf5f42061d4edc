#!/usr/bin/env bash
# Checks the packages scripts/package.sh made in DIR: unpacks them (dpkg-deb -x, nothing
# is installed), checks their contents, validates the desktop entry and the AppStream
# metadata, and runs what was unpacked: --version, then a relay requiring a token with a
# share/join round trip through it over loopback.
#
#   scripts/check-packages.sh DIR
#
# Needs dpkg-deb, desktop-file-validate (desktop-file-utils) and appstreamcli (appstream);
# .ci/run installs them.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: scripts/check-packages.sh DIR" >&2
  exit 2
fi
dir=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

one() {
  local found
  found=$(ls "$dir"/$1 2>/dev/null || true)
  [ "$(echo "$found" | grep -c .)" -eq 1 ] || fail "expected one $1 in $dir, found: ${found:-none}"
  echo "$found"
}
relay_deb=$(one 'samspill-relay_*_amd64.deb')
app_deb=$(one 'samspill_*_amd64.deb')

work=$(mktemp -d)
relay_pid=""
cleanup() {
  if [ -n "$relay_pid" ]; then kill "$relay_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

for p in relay app; do
  deb_var="${p}_deb"
  dpkg-deb -x "${!deb_var}" "$work/$p"
  dpkg-deb -e "${!deb_var}" "$work/$p-control"
done
r=$work/relay
a=$work/app

echo "== samspill-relay package"
version=$(dpkg-deb -f "$relay_deb" Version)
[ "$(dpkg-deb -f "$relay_deb" Package)" = samspill-relay ] || fail "package name"
[ -x "$r/usr/bin/samspill-relay" ] || fail "no /usr/bin/samspill-relay"
unit=""
for u in "$r"/usr/lib/systemd/system/samspill-relay.service "$r"/lib/systemd/system/samspill-relay.service; do
  if [ -f "$u" ]; then unit=$u; break; fi
done
[ -n "$unit" ] || fail "no systemd unit"
for line in DynamicUser=yes StateDirectory=samspill-relay LimitNOFILE=65536 \
  EnvironmentFile=-/etc/default/samspill-relay ExecStart=/usr/bin/samspill-relay; do
  grep -qx "$line" "$unit" || fail "the unit lacks $line"
done
pass "systemd unit (DynamicUser, StateDirectory, LimitNOFILE)"
defaults=$r/etc/default/samspill-relay
grep -qx 'SAMSPILL_RELAY_REQUIRE_TOKEN=true' "$defaults" || fail "token not required by default"
grep -qx 'SAMSPILL_RELAY_LISTEN=127.0.0.1:8787' "$defaults" || fail "not on loopback by default"
grep -qx '/etc/default/samspill-relay' "$work/relay-control/conffiles" || fail "settings are not a conffile"
pass "settings in /etc/default/samspill-relay, kept on upgrade (conffile)"
grep -q 'samspill-relay.service' "$work/relay-control/postinst" || fail "postinst does not enable the unit"
pass "postinst enables the unit"
zcat "$r/usr/share/man/man1/samspill-relay.1.gz" | grep -q -- '--max-connections' || fail "man page"
pass "man page"

echo "== samspill package"
[ "$(dpkg-deb -f "$app_deb" Version)" = "$version" ] || fail "the two packages' versions differ"
[ -x "$a/usr/bin/samspill" ] || fail "no /usr/bin/samspill"
desktop=$a/usr/share/applications/no.samspill.Samspill.desktop
[ -f "$desktop" ] || fail "no desktop entry"
desktop-file-validate "$desktop" || fail "desktop-file-validate"
grep -q '^MimeType=x-scheme-handler/samspill;x-scheme-handler/samspill+ws;x-scheme-handler/samspill+lan;$' "$desktop" || fail "no link handler"
grep -q '^Exec=samspill %u$' "$desktop" || fail "Exec does not pass the link"
pass "desktop entry valid, handles samspill://, samspill+ws:// and samspill+lan://"
metainfo=$a/usr/share/metainfo/no.samspill.Samspill.metainfo.xml
appstreamcli validate --no-net "$metainfo" || fail "appstreamcli validate"
pass "AppStream metainfo valid"
[ -f "$a/usr/share/icons/hicolor/scalable/apps/no.samspill.Samspill.svg" ] || fail "no scalable icon"
[ -f "$a/usr/share/icons/hicolor/256x256/apps/no.samspill.Samspill.png" ] || fail "no 256x256 icon"
pass "icons in the hicolor theme"
zcat "$a/usr/share/man/man1/samspill.1.gz" | grep -q 'join' || fail "app man page"
pass "man page"

echo "== running what was unpacked"
"$r/usr/bin/samspill-relay" --version | grep -qx "samspill-relay ${version%%-*}" || fail "relay --version"
"$a/usr/bin/samspill" --version | grep -qx "samspill ${version%%-*}" || fail "samspill --version"
pass "--version says ${version%%-*}"

data=$work/relay-data
token=$("$r/usr/bin/samspill-relay" token create check --data "$data" | tail -1)
[ -n "$token" ] || fail "no token"
# The package's own settings, with the port and data directory of this check.
(
  set -a
  # shellcheck disable=SC1090
  . "$defaults"
  set +a
  exec "$r/usr/bin/samspill-relay" --listen 127.0.0.1:0 --data "$data"
) > "$work/relay.out" 2> "$work/relay.err" &
relay_pid=$!
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$work/relay.out" 2>/dev/null && break
  sleep 0.1
done
addr=$(sed -n 's/^listening on //p' "$work/relay.out")
[ -n "$addr" ] || { cat "$work/relay.err" >&2; fail "the relay did not start"; }
url="ws://$addr"

cli() { SAMSPILL_DATA_DIR="$work/$1" "$a/usr/bin/samspill" "${@:2}"; }
id=$(cli alice new --template four-phase --title "Pakkesjekk" | tail -1)
if cli alice share "$id" --relay "$url" > /dev/null 2> "$work/refused.err"; then
  fail "the relay let a project be created without a token"
fi
pass "creating a project without a token is refused"
link=$(cli alice share "$id" --relay "$url" --token "$token" | tail -1)
joined=$(cli bob join "$link" | tail -1)
[ "$joined" = "$id" ] || fail "joined $joined, shared $id"
cli bob show "$id" | grep -q 'Pakkesjekk' || fail "bob does not have the project"
pass "share with a token and join through the unpacked relay"
echo "packages OK: $(basename "$relay_deb") $(basename "$app_deb")"
