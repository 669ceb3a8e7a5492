#!/bin/bash
# Appliance unit tests: systemd-analyze verify on every unit, the sandbox exposure score
# asserted <= 1.0, sysusers/tmpfiles applied to a temp root, and socket activation of a
# ListenFds() probe with named fds. Usage: test_units.sh [PROBE_BINARY]
# Without an argument (ci/appliance.sh) the probe is looked up next to $FLASHSTOR_BIN, the
# built daemon: <build>/tests/appliance/flashstor_listen_fds_probe.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
probe="${1:-$(dirname "${FLASHSTOR_BIN:-build/flashstor}")/tests/appliance/flashstor_listen_fds_probe}"
if [ ! -x "$probe" ]; then
  echo "FAIL probe $probe not built (target flashstor_listen_fds_probe)"
  echo "0 passed, 1 failed"
  exit 1
fi
probe="$(realpath "$probe")"
work="$(mktemp -d /tmp/flashstor-units.XXXXXX)"
act_pid=""
cleanup() {
  [ -n "$act_pid" ] && kill "$act_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
passed=0
failed=0
ok() { echo "PASS $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }

# --- verify every unit (ExecStart= must exist: point it at the probe / the real script) ---
cp "$repo"/units/*.service "$repo"/units/*.socket "$work/"
sed -i -e "s|/usr/bin/flashstor|$probe|" \
  -e "s|/usr/lib/flashstor/firstrun|$repo/rootfs-overlay/usr/lib/flashstor/firstrun|" \
  "$work"/*.service
for unit in "$work"/*.service "$work"/*.socket; do
  out="$(cd "$work" && systemd-analyze verify "$(basename "$unit")" 2>&1)"
  rc=$?
  if [ $rc -eq 0 ] && [ -z "$out" ]; then ok "verify $(basename "$unit")"; else
    bad "verify $(basename "$unit") (rc=$rc): $out"; fi
done

# --- the one-name-per-socket-unit rule: each socket unit names its fds ---
for pair in https:443 http:9000; do
  name="${pair%%:*}" port="${pair##*:}"
  f="$repo/units/flashstor-$name.socket"
  if grep -qx "FileDescriptorName=$name" "$f" && grep -qx "ListenStream=$port" "$f"; then
    ok "flashstor-$name.socket names port $port \"$name\""
  else bad "flashstor-$name.socket must hold ListenStream=$port and FileDescriptorName=$name"; fi
done

# --- security exposure <= 1.0, asserted by systemd (--threshold, 0..100) and by us ---
score_of() { # unit-file -> "X.Y"
  (cd "$(dirname "$1")" && systemd-analyze security --offline=yes --threshold=10 \
    "$(basename "$1")" 2>&1) | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p'
}
score="$(score_of "$work/flashstor.service")"
if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 1.0) }'; then
  ok "flashstor.service exposure $score <= 1.0"
else bad "flashstor.service exposure '${score:-none}' > 1.0"; fi
(cd "$work" && systemd-analyze security --offline=yes --threshold=10 flashstor.service \
  >/dev/null 2>&1) && ok "systemd-analyze --threshold=10 accepts flashstor.service" ||
  bad "systemd-analyze --threshold=10 rejects flashstor.service"
# The single-node drop-in merged in must verify and score no worse.
single="$work/single/flashstor.service"
mkdir -p "$work/single"
# A drop-in's [Service] lines go before [Install] of the merged copy.
awk -v dropin="$repo/units/single-node.conf" '/^\[Install\]/ {
    while ((getline l < dropin) > 0) if (l !~ /^\[Service\]/ && l !~ /^#/) print l }
  { print }' "$work/flashstor.service" >"$single"
cp "$work"/*.socket "$work/flashstor-firstrun.service" "$work/single/"
s2="$(score_of "$single")"
if [ -n "$s2" ] && grep -qx 'PrivateNetwork=yes' "$single" &&
  awk -v a="$s2" -v b="$score" 'BEGIN { exit !(a < b) }'; then
  ok "single-node drop-in exposure $s2 < $score"
else bad "single-node drop-in exposure '${s2:-none}'"; fi

# --- the unit's SystemCallFilter= must let through every syscall of the daemon's own
# allowlist (else systemd's filter answers EPERM first) and seccomp(2) to install it ---
expand() { # @group or name -> names, one per line
  case "$1" in
  @*) systemd-analyze syscall-filter "$1" | grep -v '^ *#' | sed 1d | tr -s ' ' '\n' |
    grep -v '^$' | while read -r x; do expand "$x"; done ;;
  *) echo "$1" ;;
  esac
}
allowed="$work/allowed.txt" denied="$work/denied.txt"
: >"$allowed"
: >"$denied"
while IFS= read -r line; do
  v="${line#SystemCallFilter=}"
  if [ "${v#\~}" != "$v" ]; then
    for g in ${v#\~}; do expand "$g" >>"$denied"; done
  else
    for g in $v; do expand "$g" >>"$allowed"; done
  fi
done < <(grep '^SystemCallFilter=' "$repo/units/flashstor.service")
missing=""
for sc in seccomp $(grep -oE '^[a-z0-9_]+' "$repo/hardening/seccomp-allowlist.txt"); do
  if ! grep -qx "$sc" "$allowed" || grep -qx "$sc" "$denied"; then missing="$missing $sc"; fi
done
[ -z "$missing" ] && ok "unit SystemCallFilter= covers the daemon allowlist and seccomp(2)" ||
  bad "unit SystemCallFilter= blocks:$missing"

# --- sysusers.d + tmpfiles.d into a temp root ---
root="$work/root"
mkdir -p "$root/etc"
if systemd-sysusers --root="$root" "$repo/units/sysusers.d/flashstor.conf" 2>/dev/null &&
  grep -q '^flashstor:' "$root/etc/passwd" && grep -q '/usr/sbin/nologin$' "$root/etc/passwd"; then
  ok "sysusers creates the flashstor account"
else bad "sysusers did not create flashstor with nologin"; fi
if systemd-tmpfiles --root="$root" --create "$repo/units/tmpfiles.d/flashstor.conf" 2>/dev/null; then
  fsuid="$(awk -F: '$1=="flashstor"{print $3}' "$root/etc/passwd")"
  want=("etc/flashstor 755 0" "etc/flashstor/certs 750 0" "var/lib/flashstor 700 $fsuid"
    "var/log/flashstor 750 $fsuid" "srv/flashstor 750 $fsuid")
  for w in "${want[@]}"; do
    set -- $w
    got="$(stat -c '%a %u' "$root/$1" 2>/dev/null)"
    [ "$got" = "$2 $3" ] && ok "tmpfiles /$1 $got" || bad "tmpfiles /$1: got '$got', want '$2 $3'"
  done
else bad "systemd-tmpfiles --create failed"; fi

# --- socket activation: named fds reach ListenFds() ---
# activate_once: free ports, systemd-socket-activate the probe, connect to the http socket.
# Retried with fresh ports because another process may grab a port between pick and bind.
activate_once() {
  local ports
  read -ra ports < <(python3 -c 'import socket
ss=[socket.socket() for _ in range(2)]
[s.bind(("127.0.0.1",0)) for s in ss]
print(*[s.getsockname()[1] for s in ss])')
  systemd-socket-activate -l "127.0.0.1:${ports[0]}" -l "127.0.0.1:${ports[1]}" \
    --fdname=https:http "$probe" >"$work/probe.out" 2>"$work/probe.err" &
  act_pid=$!
  reply=""
  for _ in $(seq 1 300); do
    kill -0 "$act_pid" 2>/dev/null || break  # could not bind: give up on these ports
    if { exec 5<>"/dev/tcp/127.0.0.1/${ports[1]}"; } 2>/dev/null; then
      read -r -t 15 reply <&5
      exec 5<&-
      break
    fi
    sleep 0.05
  done
  wait "$act_pid" 2>/dev/null
  act_pid=""
  [ "$reply" = "http" ]
}
for attempt in 1 2 3; do
  activate_once && break
  echo "note: socket activation attempt $attempt failed: $(cat "$work/probe.err")"
done
out="$(cat "$work/probe.out")"
if grep -qx "fd=3 name=https" <<<"$out" && grep -qx "fd=4 name=http" <<<"$out" &&
  grep -qx "count=2" <<<"$out"; then
  ok "socket activation passes fds 3,4 named https,http"
else bad "socket activation output: $out $(cat "$work/probe.err")"; fi
[ "$reply" = "http" ] && ok "connection on the http socket answered by name" ||
  bad "reply on the http socket: '$reply'"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
