#!/bin/bash
# First-run script tests in temp roots: credential / partition / /boot sources, precedence,
# invalid config (field + reason, nothing installed), no config at all.
# Usage: test_firstrun.sh [BIN]: anything that runs `BIN config check FILE`; default
# $FLASHSTOR_BIN (the daemon, as ci/appliance.sh exports it), else the stand-in tool built
# at <build>/tests/appliance/flashstor_config_check_tool.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${1:-${FLASHSTOR_BIN:-build/flashstor}}"
if [ ! -x "$bin" ]; then
  bin="$(dirname "$bin")/tests/appliance/flashstor_config_check_tool"
fi
if [ ! -x "$bin" ]; then
  echo "FAIL no config checker: build the daemon or flashstor_config_check_tool"
  echo "0 passed, 1 failed"
  exit 1
fi
bin="$(realpath "$bin")"
firstrun="$repo/rootfs-overlay/usr/lib/flashstor/firstrun"
work="$(mktemp -d /tmp/flashstor-firstrun.XXXXXX)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { echo "PASS $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
expect() { if eval "$2"; then ok "$1"; else bad "$1 [$2]"; fi; }

# Ownership can only be given away by root; otherwise the config stays with the caller.
if [ "$(id -u)" -eq 0 ]; then svc_user=nobody; else svc_user="$(id -un)"; fi
svc_uid="$(id -u "$svc_user")"
valid='{"root_user":"admin","root_password":"s3cretpassw0rd","drives":["/srv/flashstor/d{1...4}"]}'
invalid='{"root_user":"admin","root_password":"s3cretpassw0rd","drives":["/a","/b","data3"]}'

# run NAME [VAR=value...]: fresh temp root, runs firstrun, leaves $root, $rc, $log.
run() {
  root="$work/$1"
  shift
  mkdir -p "$root/boot" "$root/etc" "$root/var/lib/flashstor"
  env -u CREDENTIALS_DIRECTORY FLASHSTOR_ROOT="$root" FLASHSTOR_BIN="$bin" \
    FLASHSTOR_SERVICE_USER="$svc_user" FLASHSTOR_LABEL_DIR="$root/no-labels" "$@" \
    bash "$firstrun" >"$root.log" 2>&1
  rc=$?
  log="$(cat "$root.log")"
}
installed_ok() {
  [ "$(stat -c '%a %u' "$root/etc/flashstor/config.json" 2>/dev/null)" = "600 $svc_uid" ] &&
    [ -f "$root/var/lib/flashstor/.firstrun-done" ] &&
    [ -z "$(find "$root/etc/flashstor" -name '.config.json.*')" ]
}

# 1. systemd credential
mkdir -p "$work/creds"
echo "$valid" >"$work/creds/flashstor.config"
run cred CREDENTIALS_DIRECTORY="$work/creds"
expect "credential: exit 0" '[ $rc -eq 0 ]'
expect "credential: installed 0600 for $svc_user, done marker" installed_ok
expect "credential: content copied" 'cmp -s "$work/creds/flashstor.config" "$root/etc/flashstor/config.json"'

# 2. /boot/flashstor.json is installed, then destroyed
run boot
echo "$valid" >"$root/boot/flashstor.json"
run boot
expect "boot: exit 0" '[ $rc -eq 0 ]'
expect "boot: installed" installed_ok
expect "boot: readable copy removed" '[ ! -e "$root/boot/flashstor.json" ]'

# 3. FLASHSTORCFG partition (already mounted dir), with a warning to remove the file
mkdir -p "$work/fat"
echo "$valid" >"$work/fat/flashstor.json"
run fat FLASHSTOR_CFG_MOUNT="$work/fat"
expect "partition: exit 0" '[ $rc -eq 0 ]'
expect "partition: installed" installed_ok
expect "partition: warns the password is still there" 'grep -q "WARNING" <<<"$log"'

# 4. precedence: the credential wins over /boot
run prec
echo "$invalid" >"$root/boot/flashstor.json"
run prec CREDENTIALS_DIRECTORY="$work/creds"
expect "precedence: credential used" '[ $rc -eq 0 ] && grep -q "from credential" <<<"$log"'
expect "precedence: /boot copy untouched" '[ -f "$root/boot/flashstor.json" ]'

# 5. invalid config: field + reason, non-zero, nothing installed, source kept for fixing
run bad
echo "$invalid" >"$root/boot/flashstor.json"
run bad
expect "invalid: exit non-zero" '[ $rc -ne 0 ]'
expect "invalid: names field and reason" 'grep -q "drives\[2\]: not an absolute path" <<<"$log"'
expect "invalid: no config installed" '[ ! -e "$root/etc/flashstor/config.json" ]'
expect "invalid: no done marker" '[ ! -e "$root/var/lib/flashstor/.firstrun-done" ]'
expect "invalid: no staging file left" '[ -z "$(find "$root/etc/flashstor" -name ".config.json.*")" ]'
expect "invalid: source kept" '[ -f "$root/boot/flashstor.json" ]'
echo '{not json' >"$root/boot/flashstor.json"
run bad
expect "not JSON: rejected with reason" '[ $rc -ne 0 ] && grep -q "not valid JSON" <<<"$log"'

# 6. nothing anywhere
run none
expect "no config: exit non-zero" '[ $rc -ne 0 ]'
expect "no config: says where to put one" 'grep -q "no configuration found" <<<"$log"'

# 7. an already installed config is only validated
run pre
mkdir -p "$root/etc/flashstor"
echo "$valid" >"$root/etc/flashstor/config.json"
chmod 600 "$root/etc/flashstor/config.json"
run pre
expect "preinstalled: validated and kept" '[ $rc -eq 0 ] && installed_ok'

# 8. the shipped example config is valid (once given the mode the daemon insists on)
install -m 0600 "$repo/rootfs-overlay/etc/flashstor/config.example.json" "$work/example.json"
expect "config.example.json passes config check" '"$bin" config check "$work/example.json" >/dev/null'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
