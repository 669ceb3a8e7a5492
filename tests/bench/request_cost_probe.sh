#!/usr/bin/env bash
# Request cost probe: server CPU per request and requests a second for one operation, with
# several daemon binaries alternated run by run (so a machine whose load changes weighs on each
# alike), and optionally the system calls per request of the first one.
#
#   tests/bench/request_cost_probe.sh [--size BYTES] [--op get|put|head] [--rounds N]
#                                     [--seconds S] [--syscalls] BINARY [BINARY...]
#
# Each binary gets a fresh daemon on 4 drive folders under /var/tmp (as the run user nobody,
# like ci/bench.sh) and 256 keys of SIZE written first; then ROUNDS x (one S-second loadgen run
# at 8 connections per binary): the daemon's utime + stime from /proc/PID/stat around the run,
# divided by the requests it completed. --syscalls adds `strace -c -f` of the first binary over
# one more run (system calls per request; strace slows the daemon, so no speed figure there).
# Needs a built tree (build/tests/bench/flashstor_loadgen, or FLASHSTOR_LOADGEN) and root.
set -euo pipefail
size=4096 op=get rounds=4 secs=5 syscalls=no
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=$2; shift 2 ;;
    --op) op=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --seconds) secs=$2; shift 2 ;;
    --syscalls) syscalls=yes; shift ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { sed -n '2,14p' "$0" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/../.." && pwd)
lg=${FLASHSTOR_LOADGEN:-$repo/build/tests/bench/flashstor_loadgen}
[ -x "$lg" ] || { echo "no loadgen at $lg (make build)" >&2; exit 1; }
export FLASHSTOR_ROOT_USER=costprobe FLASHSTOR_ROOT_PASSWORD=cost-probe-secret-key
export AWS_ACCESS_KEY_ID=$FLASHSTOR_ROOT_USER AWS_SECRET_ACCESS_KEY=$FLASHSTOR_ROOT_PASSWORD
export FLASHSTORE_RUN_USER=nobody FLASHSTORE_RUN_GROUP=nogroup
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pids=() urls=() dirs=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for d in "${dirs[@]}"; do rm -rf "$d"; done
}
trap cleanup EXIT
for bin in "$@"; do
  d=$(mktemp -d /var/tmp/fs-cost-XXXXXX)
  mkdir -p "$d"/disk{1..4}
  chown -R nobody:nogroup "$d"
  port=$(free_port)
  "$bin" server --address "127.0.0.1:$port" "$d"/disk{1...4} >"$d/out" 2>"$d/log" &
  pids+=($!) urls+=("http://127.0.0.1:$port") dirs+=("$d")
  for _ in $(seq 100); do grep -q "^API:" "$d/out" && break; sleep 0.1; done
  "$lg" --endpoint "${urls[-1]}" --bucket bench --op fill --size "$size" --keys 256 --prefix k \
    --create-bucket --concurrency 8 --duration 120 >/dev/null
done
ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
run() {  # index: one timed run, prints "requests"
  "$lg" --endpoint "${urls[$1]}" --bucket bench --op "$op" --size "$size" --keys 256 --prefix k \
    --concurrency 8 --duration "$secs" --json | grep '^{' | python3 -c 'import json,sys; print(json.load(sys.stdin)["ops"])'
}
tck=$(getconf CLK_TCK)
echo "op $op, size $size, 8 connections, $secs s runs; server CPU per request from /proc/PID/stat"
for r in $(seq "$rounds"); do
  for i in "${!pids[@]}"; do
    t0=$(ticks "${pids[$i]}")
    n=$(run "$i")
    t1=$(ticks "${pids[$i]}")
    awk -v b="${@:i+1:1}" -v r="$r" -v n="$n" -v s="$secs" -v t="$((t1 - t0))" -v h="$tck" \
      'BEGIN { printf "%s round %d: %.0f req/s, server CPU %.1f us/req\n", b, r, n / s, t / h / n * 1e6 }'
  done
done
if [ "$syscalls" = yes ]; then
  out=${dirs[0]}/strace.txt
  strace -c -f -p "${pids[0]}" -o "$out" 2>/dev/null &
  st=$!
  sleep 1
  n=$(run 0)
  kill -INT "$st"; wait "$st" 2>/dev/null || true
  echo "system calls per request, $1 ($n requests under strace):"
  awk -v n="$n" '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { c[$NF] = $4 / n; t += $4 / n }
    END { for (k in c) if (c[k] >= 0.05) printf "  %-16s %6.2f\n", k, c[k] | "sort -k2 -rn";
          close("sort -k2 -rn"); printf "  %-16s %6.1f\n", "total", t }' "$out"
fi
