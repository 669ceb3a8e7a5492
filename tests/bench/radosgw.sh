#!/usr/bin/env bash
# radosgw.sh: a throwaway one-node Ceph cluster with radosgw, as `make bench`'s S3 peer.
#
#   tests/bench/radosgw.sh up DIR    bring it up under DIR (created; must be empty or absent),
#                                    write DIR/endpoint (http://127.0.0.1:PORT) once S3 answers,
#                                    then stay in the foreground until SIGTERM/SIGINT or until
#                                    the parent process exits, and tear everything down
#   tests/bench/radosgw.sh down DIR  tear down what an earlier `up` left (its daemons, by the
#                                    pids it recorded in DIR/pids), then remove DIR
#
# The S3 user gets AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment (never argv of
# this script; radosgw-admin is given them on its command line, inside the scratch sandbox).
# Everything lives under DIR: ceph.conf (fsid, one monitor on 127.0.0.1 at a free port, cephx
# with a keyring generated here), the monitor's store, one bluestore OSD whose block device is a
# sparse file (bluestore accepts a plain file: `bluestore block create`; no loop device), and
# radosgw (beast) on another free port. Pools have one replica (`osd pool default size = 1`,
# `mon allow pool size one`); no ceph-mgr (not needed for I/O).
#
# On any failure it prints one line "NOTICE: radosgw peer: ..." on stderr, tears down and
# exits 1; the bench goes on without the peer. Exit 0 after a clean teardown.
set -uo pipefail

usage() { echo "usage: $0 up|down DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
case "$dir" in /*) ;; *) dir=$(pwd)/$dir ;; esac

# Seconds each step may take before the peer is given up.
: "${RADOSGW_START_TIMEOUT:=120}"

# --- teardown ----------------------------------------------------------------------------------
# Kills the daemons recorded in DIR/pids (TERM, then KILL after a grace period), checking that
# each pid still runs one of our binaries with our ceph.conf before signalling it.
kill_recorded() {
  local d=$1 pids=() p
  [ -f "$d/pids" ] || return 0
  while read -r p; do
    [ -n "$p" ] || continue
    if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$d/ceph.conf"; then
      pids+=("$p")
    fi
  done <"$d/pids"
  [ ${#pids[@]} -gt 0 ] || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  for _ in $(seq 100); do  # 10 s: an OSD takes a few seconds to stop
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  kill -KILL "${pids[@]}" 2>/dev/null || true
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
remove_dir() {
  local d=$1
  case "$d" in /tmp/?* | /var/tmp/?*) rm -rf "$d" ;; *) echo "radosgw.sh: not removing $d" >&2 ;; esac
}

if [ "$cmd" = down ]; then
  kill_recorded "$dir"
  remove_dir "$dir"
  exit 0
fi
[ "$cmd" = up ] || usage

case "$dir" in /tmp/?* | /var/tmp/?*) ;; *) echo "NOTICE: radosgw peer: $dir is not under /tmp or /var/tmp" >&2; exit 1 ;; esac
if [ -z "${AWS_ACCESS_KEY_ID:-}" ] || [ -z "${AWS_SECRET_ACCESS_KEY:-}" ]; then
  echo "NOTICE: radosgw peer: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY not set" >&2
  exit 1
fi
for b in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool; do
  command -v "$b" >/dev/null 2>&1 ||
    { echo "NOTICE: radosgw peer: $b not installed (ci/install-deps.sh bench)" >&2; exit 1; }
done
if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
  echo "NOTICE: radosgw peer: $dir is not empty" >&2
  exit 1
fi
mkdir -p "$dir"/{mon,osd/0,run,log,rgw} || { echo "NOTICE: radosgw peer: cannot create $dir" >&2; exit 1; }
: >"$dir/pids"

parent=$PPID
stopping=0
teardown() {
  trap - EXIT INT TERM
  kill_recorded "$dir"
  # The logs stay for a post-mortem; the store and the OSD's block file go.
  rm -rf "$dir"/{mon,osd,rgw,run,monmap,keyring}
}
failed() {  # one NOTICE line, the last lines of the log that explains it (if any), teardown, exit 1
  local why=$1 log=${2:-}
  echo "NOTICE: radosgw peer: $why; the bench goes on without it${log:+ (log: $log)}" >&2
  teardown
  exit 1
}
trap 'teardown; exit 0' INT TERM
trap teardown EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
conf=$dir/ceph.conf
ceph_cli() { timeout 30 ceph -c "$conf" --connect-timeout 20 "$@"; }
# Waits for a predicate (a command) to succeed, while the given daemon pid lives.
wait_for() {
  local secs=$1 pid=$2
  shift 2
  local end=$((SECONDS + secs))
  while [ $SECONDS -lt $end ]; do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}
spawn() {  # spawn LOGNAME CMD...: starts a daemon in the foreground mode, records its pid
  local name=$1
  shift
  "$@" >"$dir/log/$name.out" 2>&1 &
  last_pid=$!
  echo "$last_pid" >>"$dir/pids"
}

fsid=$(cat /proc/sys/kernel/random/uuid)
mon_port=$(free_port)
rgw_port=$(free_port)
cat >"$conf" <<EOF
# Generated by tests/bench/radosgw.sh: a throwaway one-node cluster for the bench.
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
mon initial members = a
public addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
auth allow insecure global id reclaim = false
keyring = $dir/keyring
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
crash dir = $dir/log
mon data = $dir/mon/\$id
osd data = $dir/osd/\$id
# One OSD, one replica, few placement groups; no warnings about it.
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
osd crush chooseleaf type = 0
# Bluestore on a sparse 16 GiB file created by mkfs; the page cache is not bypassed any more
# than in a real deployment (bluestore opens it O_DIRECT as it would a device).
osd objectstore = bluestore
bluestore block create = true
bluestore block size = 17179869184
bluestore block db create = false
bluestore block wal create = false
bluestore fsck on mount = false
bluestore fsck on mkfs = false
osd memory target = 1073741824
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $dir/rgw
rgw enable usage log = false
EOF

# cephx: one keyring with every entity's key; the monitor's mkfs imports it as its auth database.
kr=$dir/keyring
{
  ceph-authtool --create-keyring "$kr" --gen-key -n mon. --cap mon 'allow *' &&
    ceph-authtool "$kr" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' \
      --cap mgr 'allow *' &&
    ceph-authtool "$kr" --gen-key -n osd.0 --cap mon 'allow profile osd' --cap osd 'allow *' \
      --cap mgr 'allow profile osd' &&
    ceph-authtool "$kr" --gen-key -n client.rgw --cap mon 'allow rw' --cap osd 'allow rwx' \
      --cap mgr 'allow rw'
} >"$dir/log/setup.out" 2>&1 || failed "ceph-authtool failed" "$dir/log/setup.out"

monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" \
  >>"$dir/log/setup.out" 2>&1 || failed "monmaptool failed" "$dir/log/setup.out"
timeout 60 ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$kr" \
  >>"$dir/log/setup.out" 2>&1 || failed "ceph-mon --mkfs failed" "$dir/log/setup.out"
spawn mon ceph-mon -c "$conf" -i a -f
mon_pid=$last_pid
wait_for 30 "$mon_pid" ceph_cli mon stat || failed "the monitor did not come up" "$dir/log/mon.a.log"

osd_uuid=$(cat /proc/sys/kernel/random/uuid)
osd_id=$(ceph_cli osd new "$osd_uuid" 2>>"$dir/log/setup.out") || failed "ceph osd new failed" "$dir/log/setup.out"
[ "$osd_id" = 0 ] || failed "ceph osd new gave id '$osd_id', not 0" "$dir/log/setup.out"
timeout 120 ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >"$dir/log/osd-mkfs.out" 2>&1 ||
  failed "ceph-osd --mkfs (bluestore on a file) failed" "$dir/log/osd-mkfs.out"
spawn osd ceph-osd -c "$conf" -i 0 -f
osd_pid=$last_pid
osd_up() { ceph_cli osd dump 2>/dev/null | grep -q '^osd\.0 up'; }
wait_for 60 "$osd_pid" osd_up || failed "the OSD did not come up" "$dir/log/osd.0.log"

spawn rgw radosgw -c "$conf" -n client.rgw -f
rgw_pid=$last_pid
url=http://127.0.0.1:$rgw_port
rgw_up() { python3 - "$url" <<'EOF'
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1] + "/", timeout=2)
except urllib.error.HTTPError:
    pass  # any HTTP answer means the frontend serves
EOF
}
wait_for "$RADOSGW_START_TIMEOUT" "$rgw_pid" rgw_up || failed "radosgw did not answer on $url" "$dir/log/client.rgw.log"

timeout 60 radosgw-admin -c "$conf" -n client.admin user create --uid bench --display-name bench \
  --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" \
  >"$dir/log/user.out" 2>&1 || failed "radosgw-admin user create failed" "$dir/log/user.out"
rm -f "$dir/log/user.out"  # it echoes the secret

echo "$url" >"$dir/endpoint.tmp" && mv "$dir/endpoint.tmp" "$dir/endpoint"

# Serve until told to stop, or until the parent (the bench) is gone, or a daemon dies.
while kill -0 "$parent" 2>/dev/null; do
  for p in $mon_pid $osd_pid $rgw_pid; do
    kill -0 "$p" 2>/dev/null || failed "a daemon (pid $p) exited" "$dir/log"
  done
  sleep 0.5 &
  wait $! 2>/dev/null || true
done
teardown
exit 0
