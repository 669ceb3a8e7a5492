#!/usr/bin/env bash
# `make bench`: measures flashstor against references run on this machine in the same run
# (nginx serving the same objects, an S3 peer — Ceph radosgw on a throwaway one-node cluster
# when installed —, raw ISA-L, itself healthy) and prints ratios; never fails on slowness.
# Usage: ci/bench.sh BUILD_DIR   (docs/bench.md explains every figure)
# Env: BENCH_SECONDS (timed run length, default 10), FLASHSTOR_BENCH_DIR (scratch, default
# /var/tmp/flashstor-bench; wiped at start).
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
bin=$build/flashstor
loadgen=$build/tests/bench/flashstor_loadgen
isal=$build/tests/bench/isal_bench
authz=$build/tests/bench/authz_bench
sse_bench=$build/tests/bench/sse_bench
hung_bench=$build/tests/bench/hung_drive_bench
scratch=${FLASHSTOR_BENCH_DIR:-/var/tmp/flashstor-bench}
out=$build/bench
secs=${BENCH_SECONDS:-10}
case "$scratch" in /var/tmp/* | /tmp/*) ;; *) echo "bench: scratch must be under /var/tmp or /tmp" >&2; exit 2 ;; esac

[ -x "$bin" ] || { echo "bench: $bin missing (make build)" >&2; exit 1; }
if [ ! -x "$loadgen" ] || [ ! -x "$isal" ] || [ ! -x "$authz" ] || [ ! -x "$sse_bench" ] ||
  [ ! -x "$hung_bench" ]; then
  cmake --build "$build" --target flashstor_loadgen isal_bench authz_bench sse_bench \
    hung_drive_bench -j 2 >/dev/null
fi

# A peer cluster left by an interrupted run: stop its daemons before wiping their files.
[ -d "$scratch/peer" ] && "$repo/tests/bench/radosgw.sh" down "$scratch/peer" 2>/dev/null
rm -rf "$scratch" "$out"
mkdir -p "$scratch"/{drives,www/bench,nginx/tmp} "$out/raw"
# SSE-S3 master key for this run (owner-only, read before the daemon drops privileges).
(umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$scratch/sse.key")
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# Credentials for this run only; the loadgen reads them from the environment, not argv.
secret=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export FLASHSTOR_ROOT_USER=benchadmin FLASHSTOR_ROOT_PASSWORD=$secret
export AWS_ACCESS_KEY_ID=$FLASHSTOR_ROOT_USER AWS_SECRET_ACCESS_KEY=$secret

serve_as=()
nginx_user=""
if [ "$(id -u)" -eq 0 ]; then
  # As `make run` does: the daemon drops to an unprivileged user; nginx's workers use it too.
  id flashstor >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin flashstor
  export FLASHSTORE_RUN_USER=flashstor FLASHSTORE_RUN_GROUP=flashstor
  nginx_user="user flashstor flashstor;"
  serve_as=(chown -R flashstor:flashstor)
fi
own() { [ ${#serve_as[@]} -eq 0 ] || "${serve_as[@]}" "$@"; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
fs_port=$(free_port)
ngx_port=$(free_port)
fs_url=http://127.0.0.1:$fs_port
ngx_url=http://127.0.0.1:$ngx_port
fs_pid=""
ngx_pid=""
peer_pid=""

cleanup() {  # the radosgw peer's wrapper tears its cluster down on TERM (a few seconds)
  for p in $fs_pid $ngx_pid $peer_pid; do kill "$p" 2>/dev/null || true; done
  for p in $fs_pid $ngx_pid $peer_pid; do wait "$p" 2>/dev/null || true; done
  fs_pid="" ngx_pid="" peer_pid=""
}
trap cleanup EXIT

note() { printf '%s\n' "$*" | tee -a "$out/notes.txt" >&2; }
report() {  # stops the servers, frees the object data, prints the table, writes results.json
  cleanup
  trap - EXIT
  rm -rf "$scratch/drives" "$scratch/drives.kept" "$scratch/www" "$scratch/disk4.away" \
    "$scratch/third"  # logs stay
  # The peer's wrapper removed its store; keep its logs only when it failed.
  [ -s "$scratch/peer/endpoint" ] && rm -rf "$scratch/peer"
  python3 "$repo/tests/bench/bench_report.py" "$out" | tee "$out/table.txt"
  echo "bench: results in $out/results.json" >&2
}
fail() {  # reports what was measured so far, then exits non-zero (the bench could not run)
  note "$*"
  report
  exit 1
}
figure() { printf '%s %s\n' "$1" "$2" >>"$out/figures.txt"; }  # key value
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
clk_tck=$(getconf CLK_TCK)
cpu_ticks() {  # PID...: utime + stime of the processes (all their threads), in clock ticks
  local p v total=0
  for p in "$@"; do  # fields 14 and 15 of /proc/PID/stat; 12 and 13 after "PID (comm) "
    v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}')
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# --- servers ---------------------------------------------------------------------------------
spawn_flashstor() {  # [LOG [flags...]]: stderr appended to LOG (default flashstor.log)
  local log=${1:-$scratch/flashstor.log}
  shift $(($# > 0 ? 1 : 0))
  "$bin" server --address "127.0.0.1:$fs_port" --sse-master-key-file "$scratch/sse.key" "$@" \
    "$scratch/drives/disk{1...4}" \
    >"$scratch/flashstor.out" 2>>"$log" &
  fs_pid=$!
}
start_flashstor() {  # waits for the "API:" line (30 s at most)
  own "$scratch/drives"
  spawn_flashstor
  for _ in $(seq 300); do
    grep -q "^API: $fs_url" "$scratch/flashstor.out" 2>/dev/null && return 0
    kill -0 "$fs_pid" 2>/dev/null || break
    sleep 0.1
  done
  note "flashstor did not start; last log lines:"
  tail -5 "$scratch/flashstor.log" >&2
  fs_pid=""
  return 1
}
stop_flashstor() {
  [ -n "$fs_pid" ] || return 0
  kill "$fs_pid" 2>/dev/null || true
  wait "$fs_pid" 2>/dev/null || true
  fs_pid=""
}

nginx_dav=no
nginx -V 2>&1 | grep -q -- '--with-http_dav_module' && nginx_dav=yes
write_nginx_conf() {
  local put=""
  [ "$nginx_dav" = yes ] && put="dav_methods PUT; create_full_put_path on; dav_access user:rw;"
  cat >"$scratch/nginx/nginx.conf" <<EOF
# Generated by ci/bench.sh: a plain static file server on the same disk, as the reference.
$nginx_user
worker_processes auto;
worker_rlimit_nofile 65536;
pid $scratch/nginx/nginx.pid;
error_log $scratch/nginx/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 75s;
  client_max_body_size 0;
  client_body_temp_path $scratch/nginx/tmp;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$ngx_port;
    root $scratch/www;
    location / { $put }
  }
}
EOF
}
start_nginx() {
  own "$scratch/www" "$scratch/nginx"
  spawn_nginx
}
spawn_nginx() {
  nginx -p "$scratch/nginx" -c "$scratch/nginx/nginx.conf" -g 'daemon off;' \
    2>>"$scratch/nginx/stderr.log" &
  ngx_pid=$!
}
stop_nginx() {
  [ -n "$ngx_pid" ] || return 0
  kill -QUIT "$ngx_pid" 2>/dev/null || true
  wait "$ngx_pid" 2>/dev/null || true
  ngx_pid=""
}
fs_pids() { echo "$fs_pid"; }
nginx_pids() { echo "$ngx_pid" $(pgrep -P "$ngx_pid" 2>/dev/null); }  # master + workers
nginx_rss_kib() {  # master + workers
  local total=0 p
  for p in $ngx_pid $(pgrep -P "$ngx_pid" 2>/dev/null); do total=$((total + $(rss_kib "$p"))); done
  echo "$total"
}

# --- load runs -------------------------------------------------------------------------------
# lg NAME URL [loadgen flags...]: one run, JSON kept as raw/NAME.json; never aborts the bench.
lg() {
  local name=$1 url=$2 rc=0
  shift 2
  "$loadgen" --endpoint "$url" --bucket bench --json --timeout 120 "$@" \
    >"$out/raw/$name.json" 2>"$out/raw/$name.log" || rc=$?
  printf '  %-22s %s\n' "$name" "$(tail -1 "$out/raw/$name.log")" >&2
  [ $rc -le 0 ] || note "$name: loadgen exit $rc (1: set-up failed, 3: some requests failed)"
  return 0
}
# lg_cpu NAME PIDS_FN URL [loadgen flags...]: lg, and the server's CPU time over the run (the
# processes PIDS_FN names, read before and after) as the figure NAME_server_cpu_ms.
lg_cpu() {
  local name=$1 pids_fn=$2 c0 c1
  shift 2
  c0=$(cpu_ticks $($pids_fn))
  lg "$name" "$@"
  c1=$(cpu_ticks $($pids_fn))
  figure "${name}_server_cpu_ms" $(((c1 - c0) * 1000 / clk_tck))
}
# Times one server's start: a waiter (a loadgen retrying a GET of key 0 every millisecond
# until it answers 200) is started first and polls the closed port; then t0 (bash's own clock,
# no fork) and SPAWN, a function that starts the server in the background (run here, not in a
# subshell, so its pid variable stays set). Sets t0 and start_us (microseconds from t0 to the
# waiter's first 200, its clock when it read the answer; empty if it got none).
time_start() {  # URL SPAWN [loadgen flags...]
  local out=$scratch/waiter.json waiter
  "$loadgen" --endpoint "$1" --bucket bench --op wait --duration 30 --timeout 2 --json "${@:3}" \
    >"$out" 2>/dev/null &
  waiter=$!
  sleep 0.5  # loaded and in its loop
  t0=${EPOCHREALTIME//[^0-9]/}000
  "$2"
  wait "$waiter" || true
  start_us=$(python3 -c 'import json, sys; print((json.load(open(sys.argv[1]))["ready_realtime_ns"] - int(sys.argv[2])) // 1000)' \
    "$out" "$t0" 2>/dev/null || echo "")
}

sizes=(4096 1048576 67108864)
declare -A label=([4096]=4k [1048576]=1m [67108864]=64m)
declare -A conc=([4096]=8 [1048576]=8 [67108864]=4)
declare -A keys=([4096]=256 [1048576]=64 [67108864]=4)

echo "flashstor bench: $(nproc) cores, ${secs}s per run, scratch $scratch" >&2

# Raw ISA-L encode for the set's geometry (4 drives: k=2, m=2) and the engine's 1 MiB block.
"$isal" --k 2 --m 2 --block 1048576 --seconds 1 --json >"$out/raw/isal.json" 2>/dev/null ||
  note "isal_bench failed"

# AES-256-GCM seal and open of 64 KiB packages on one core (the SSE format).
"$sse_bench" --seconds 1 --json >"$out/raw/sse.json" 2>/dev/null || note "sse_bench failed"

# PUT/GET latency of the engine (no HTTP) with one drive of four hung vs healthy, 4 KiB and
# 1 MiB: the fan-outs return at quorum (docs/design.md, "Fan-out at quorum").
mkdir -p "$scratch/hung"
"$hung_bench" --requests 200 --dir "$scratch/hung" --json >"$out/raw/hung_drive.json" \
  2>"$out/raw/hung_drive.log" || note "hung_drive_bench failed"
rm -rf "$scratch/hung"

# The same objects for nginx, written straight to its root (independent of its PUT support).
for s in "${sizes[@]}"; do
  for ((i = 0; i < keys[$s]; i++)); do
    head -c "$s" /dev/urandom >"$scratch/www/bench/${label[$s]}-$i"
  done
done
write_nginx_conf
start_nginx
start_flashstor || fail "flashstor did not start"
figure nginx_dav "$nginx_dav"
[ "$nginx_dav" = yes ] || note "nginx has no DAV module: PUT to nginx is not measured"
"$loadgen" --endpoint "$fs_url" --bucket bench --op fill --keys 1 --size 0 --prefix probe \
  --create-bucket >/dev/null 2>&1 || fail "cannot create the bench bucket"

# PUT and GET per size; RSS sampled during the 1 MiB PUT.
for s in "${sizes[@]}"; do
  l=${label[$s]}
  common=(--size "$s" --concurrency "${conc[$s]}" --keys "${keys[$s]}" --prefix "$l")
  if [ "$s" = 1048576 ]; then
    (max=0; while kill -0 "$fs_pid" 2>/dev/null && [ ! -e "$out/raw/.stop" ]; do
      r=$(rss_kib "$fs_pid"); r=${r:-0}
      [ "$r" -gt "$max" ] && max=$r && echo "$max" >"$out/raw/rss_max"
      sleep 0.1; done) &
    sampler=$!
  fi
  lg_cpu "fs_put_$l" fs_pids "$fs_url" --op put --duration "$secs" "${common[@]}"
  if [ "$s" = 1048576 ]; then
    touch "$out/raw/.stop"; wait "$sampler" 2>/dev/null || true
    figure rss_under_put_kib "$(cat "$out/raw/rss_max" 2>/dev/null || echo 0)"
    # What of it is the drives' metadata cache (filled by the GETs of the sizes before).
    figure meta_cache_bytes "$(python3 "$repo/tests/bench/metrics_scrape.py" "$fs_url" \
      flashstor_meta_cache_bytes 2>>"$out/raw/metrics_scrape.log" || echo 0)"
  fi
  if [ "$nginx_dav" = yes ]; then
    lg_cpu "ngx_put_$l" nginx_pids "$ngx_url" --no-sign --op put --duration "$secs" "${common[@]}"
  fi
  # Every key written before the timed GETs, outside the span whose server CPU is read.
  "$loadgen" --endpoint "$fs_url" --bucket bench --op fill --size "$s" --keys "${keys[$s]}" \
    --prefix "$l" --concurrency "${conc[$s]}" --duration 300 >/dev/null 2>&1 ||
    note "fill of the $l keys before fs_get_$l failed"
  lg_cpu "fs_get_$l" fs_pids "$fs_url" --op get --duration "$secs" "${common[@]}"
  # HEAD of the same keys: metadata alone, the cost of the metadata path.
  [ "$s" != 4096 ] || lg "fs_head_$l" "$fs_url" --op head --duration "$secs" "${common[@]}"
  lg_cpu "ngx_get_$l" nginx_pids "$ngx_url" --no-sign --op get --duration "$secs" "${common[@]}"
done

# Drive calls per drive for one PUT, one GET and one DELETE of 1 MiB and of 4 KiB (the least of five rounds:
# background work after the load runs only adds calls): the flashstor_drive_calls
# counters before and after each request, on the server idle between the runs.
for s in 1048576 4096; do
  python3 "$repo/tests/bench/drive_calls.py" "$fs_url" bench "$s" \
    >"$out/raw/drive_calls_${label[$s]}.json" 2>>"$out/raw/drive_calls.log" ||
    note "drive_calls.py failed for size $s (raw/drive_calls.log)"
done

# 1 MiB PUT and GET into a bucket whose default encryption is SSE-S3 (every object sealed in
# 64 KiB AES-256-GCM packages before erasure coding): compared with fs_put_1m / fs_get_1m.
if "$loadgen" --endpoint "$fs_url" --bucket bench-sse --op fill --keys 1 --size 0 --prefix probe \
  --create-bucket >/dev/null 2>&1 &&
  python3 -c "import boto3, sys
boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1').put_bucket_encryption(
    Bucket='bench-sse', ServerSideEncryptionConfiguration={'Rules': [
        {'ApplyServerSideEncryptionByDefault': {'SSEAlgorithm': 'AES256'}}]})" "$fs_url" 2>/dev/null
then
  sse_common=(--bucket bench-sse --size 1048576 --concurrency 8 --keys 64 --prefix 1m)
  lg fs_put_1m_sse "$fs_url" --op put --duration "$secs" "${sse_common[@]}"
  lg fs_get_1m_sse "$fs_url" --op get --prefill --duration "$secs" "${sse_common[@]}"
else
  note "cannot set SSE-S3 default encryption on bench-sse: SSE runs skipped"
fi

# 4 KiB at more concurrencies (c=8 is above): GET at 1, 64, 256, 1024 and PUT at 256, on the
# keys written above.
small=(--size 4096 --keys 256 --prefix 4k --duration "$secs")
for c in 1 64 256 1024; do
  lg "fs_get_4k_c$c" "$fs_url" --op get --concurrency "$c" "${small[@]}"
  lg "ngx_get_4k_c$c" "$ngx_url" --no-sign --op get --concurrency "$c" "${small[@]}"
done
lg fs_put_4k_c256 "$fs_url" --op put --concurrency 256 "${small[@]}"

# Authorisation: root bypasses policies, so GET 4 KiB is signed as an IAM user, without a
# bucket policy and with a 20-statement one (decisions come from the per-thread cache after
# the first); authz_bench gives ns per decision, cached and evaluated.
"$authz" --seconds 1 --json >"$out/raw/authz.json" 2>"$out/raw/authz.log" ||
  note "authz_bench failed"
if user_key=$(python3 "$repo/tests/bench/authz_setup.py" user "$fs_url" 2>"$out/raw/authz_setup.log"); then
  read -r user_id user_secret <<<"$user_key"
  (
    export AWS_ACCESS_KEY_ID=$user_id AWS_SECRET_ACCESS_KEY=$user_secret
    lg fs_get_4k_user "$fs_url" --op get --concurrency 8 "${small[@]}"
  )
  if python3 "$repo/tests/bench/authz_setup.py" policy "$fs_url" 2>>"$out/raw/authz_setup.log"; then
    # The cache's hit rate over this keep-alive run: the counters before and after it.
    python3 "$repo/tests/bench/authz_setup.py" cache "$fs_url" >"$out/raw/authz_cache_before.json" \
      2>>"$out/raw/authz_setup.log" || note "could not read the authorisation cache counters"
    (
      export AWS_ACCESS_KEY_ID=$user_id AWS_SECRET_ACCESS_KEY=$user_secret
      lg fs_get_4k_user_policy20 "$fs_url" --op get --concurrency 8 "${small[@]}"
    )
    python3 "$repo/tests/bench/authz_setup.py" cache "$fs_url" >"$out/raw/authz_cache_after.json" \
      2>>"$out/raw/authz_setup.log" || note "could not read the authorisation cache counters"
    python3 "$repo/tests/bench/authz_setup.py" clear "$fs_url" 2>>"$out/raw/authz_setup.log" ||
      note "could not delete the bench bucket policy"
  else
    note "could not put the 20-statement bucket policy (raw/authz_setup.log)"
  fi
  unset user_key user_id user_secret
else
  note "could not create the IAM user for the authorisation point (raw/authz_setup.log)"
fi
if [ "$nginx_dav" = yes ]; then
  lg ngx_put_4k_c256 "$ngx_url" --no-sign --op put --concurrency 256 "${small[@]}"
fi

# HTTP/2: GET 4 KiB of one prefilled key with h2load (nghttp2-client), presigned, over h2c
# (1 connection x 100 streams, and 8 x 16) against HTTP/1.1 through the same tool (--h1,
# 8 connections, 1 request each at a time). Figures: requests per second.
if command -v h2load >/dev/null && python3 -c "import boto3" 2>/dev/null; then
  h2url=$(python3 -c "import boto3,sys; from botocore.config import Config
print(boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1',
  config=Config(signature_version='s3v4', s3={'addressing_style': 'path'})).generate_presigned_url(
  'get_object', Params={'Bucket': 'bench', 'Key': sys.argv[2]}, ExpiresIn=3600))" \
    "$fs_url" "4k-0" 2>/dev/null)
  # A deadline on each run: h2load's --h1 client was once seen spinning after its duration with
  # a response unread in its socket (the same run by hand then passed every time).
  h2rate() {
    timeout -k 5 $((secs + 30)) h2load "$@" 2>/dev/null | awk '/^finished in/ {gsub(",", ""); print $4}'
  }
  if [ -n "$h2url" ]; then
    figure h2_get_4k_c1_m100_rps "$(h2rate -D "$secs" -c 1 -m 100 "$h2url")"
    figure h2_get_4k_c8_m16_rps "$(h2rate -D "$secs" -c 8 -m 16 "$h2url")"
    figure h1_get_4k_c8_h2load_rps "$(h2rate --h1 -D "$secs" -c 8 -m 1 "$h2url")"
  else
    note "h2load: no presigned URL (boto3): HTTP/2 not measured"
  fi
fi

# ListObjectsV2: 1,000 empty objects under one prefix, then first pages of 1,000 keys, one
# request at a time (a page's latency is the figure).
list_fill=(--op fill --size 0 --keys 1000 --prefix ls --concurrency 8 --duration 300)
list_run=(--op list --keys 1000 --prefix ls --concurrency 1 --duration "$secs")
lg fs_list_fill "$fs_url" "${list_fill[@]}"
lg fs_list "$fs_url" "${list_run[@]}"

# Start-up: exec to the first 200 on a GET of an existing object (median of 3), both servers.
# Flashstor runs with --log-level debug here: it logs each start-up phase's duration
# ("start-up phase PHASE=... DURATION_US=...") and its clock at static initialisation, from
# which the time before it (fork, exec, dynamic linking) is the difference to t0.
# Only the server's own start is timed: the waiter (a loadgen retrying the GET every
# millisecond) is started first and is polling the closed port before t0, and t0 is bash's
# own clock ($EPOCHREALTIME, no fork), taken just before bash forks the server. Taken after a
# `date` and with the waiter exec'ed beside the server, as before, the span held two more
# execs competing for the 2 cores: 46-50 ms for Flashstor and 55-59 ms for nginx.
fs_start=()
ngx_start=()
spawn_startup_flashstor() { spawn_flashstor "$scratch/startup-$i.log" --log-level debug; }
for i in 1 2 3; do
  stop_flashstor
  own "$scratch/drives"  # outside the timed span
  time_start "$fs_url" spawn_startup_flashstor --size 4096 --prefix 4k
  fs_start+=("$start_us")
  echo "t0_realtime_ns $t0" >>"$scratch/startup-$i.log"
  stop_nginx
  own "$scratch/www" "$scratch/nginx"
  time_start "$ngx_url" spawn_nginx --no-sign --size 4096 --prefix 4k
  ngx_start+=("$start_us")
done
median() { printf '%s\n' "$@" | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]}'; }
figure startup_us "$(median "${fs_start[@]}")"
figure nginx_startup_us "$(median "${ngx_start[@]}")"
# Per phase, the median of the three runs (microseconds). "exec" is t0 (just before the shell
# forks the daemon) to the daemon's clock at static initialisation.
phases=(exec process config listeners privileges drives engine serving first-request)
phase_field() {  # PHASE FIELD LOG: FIELD's value on the log's "start-up phase PHASE=..." line
  awk -v ph="$1" -v key="$2=" '/start-up phase/ && index($0, "PHASE=" ph " ") {
    for (i = 1; i <= NF; i++) if (index($i, key) == 1) {print substr($i, length(key) + 1); exit}}' \
    "$3" 2>/dev/null
}
for ph in "${phases[@]}"; do
  vals=()
  cpus=()
  for i in 1 2 3; do
    f=$scratch/startup-$i.log
    if [ "$ph" = exec ]; then
      v=$(awk '/start-up clock/ {for (i = 1; i <= NF; i++) if ($i ~ /^START_REALTIME_NS=/) {
                 split($i, a, "="); s = a[2]}}
               /^t0_realtime_ns / {t = $2}
               END {if (s && t) printf "%d", (s - t) / 1000}' "$f" 2>/dev/null)
    else
      v=$(phase_field "$ph" DURATION_US "$f")
      cpus+=("$(phase_field "$ph" CPU_US "$f")")
    fi
    vals+=("$v")
  done
  figure "startup_phase_${ph}_us" "$(median "${vals[@]}")"
  figure "startup_phase_${ph}_cpu_us" "$(median "${cpus[@]}")"
done
stop_flashstor  # the runs below use the default log level
# The idle connections are measured on a deployment holding the one object they GET: on the
# bench's drives, the restarted server's scanner (50 objects a second) fills the drives'
# metadata caches while the connections are held, about 2 KB of RSS a connection that is not
# theirs (docs/bench.md, "Bytes per idle connection").
mv "$scratch/drives" "$scratch/drives.kept"
mkdir -p "$scratch/drives"
start_flashstor || fail "flashstor did not start"
"$loadgen" --endpoint "$fs_url" --bucket bench --op fill --keys 1 --size 4096 --prefix 4k \
  --create-bucket >/dev/null 2>&1 || note "fill of the idle connections' object failed"

# Idle keep-alive connections on the freshly started servers: 1,000 connections (one 4 KiB GET
# each) held open, then 1,000 more. The growth from the second thousand is the per-connection
# cost; the first thousand also pays one-time warm-up (threads, pools) and is kept for the JSON.
idle_open() {  # idle_open NAME URL SECONDS [flags]: starts a holder, returns once all are open
  local name=$1 url=$2 hold=$3
  shift 3
  "$loadgen" --endpoint "$url" --bucket bench --op idle --concurrency 1000 --duration "$hold" \
    --size 4096 --prefix 4k --json "$@" >"$out/raw/$name.json" 2>"$out/raw/$name.log" &
  idle_pid=$!
  for _ in $(seq 100); do
    grep -q '^idle-ready' "$out/raw/$name.log" 2>/dev/null && break
    sleep 0.1
  done
  sleep 0.5
  figure "${name}_open" "$(grep -o '^idle-ready [0-9]*' "$out/raw/$name.log" | cut -d' ' -f2)"
}
idle() {  # idle NAME URL RSS_FN [flags]
  local name=$1 url=$2 rssfn=$3 r0 r1 r2 first second
  shift 3
  r0=$($rssfn)
  idle_open "${name}_a" "$url" 10 "$@"
  first=$idle_pid
  r1=$($rssfn)
  idle_open "${name}_b" "$url" 4 "$@"
  second=$idle_pid
  r2=$($rssfn)
  wait "$second" || note "${name}_b: loadgen exit $?"
  wait "$first" || note "${name}_a: loadgen exit $?"
  figure "${name}_first_kib" $((r1 - r0))
  figure "${name}_second_kib" $((r2 - r1))
}
fs_rss() { rss_kib "$fs_pid"; }
idle fs_idle "$fs_url" fs_rss
idle ngx_idle "$ngx_url" nginx_rss_kib --no-sign
stop_flashstor
rm -rf "$scratch/drives"
mv "$scratch/drives.kept" "$scratch/drives"

# Degraded GET: the healthy 1 MiB GET run again on a freshly restarted server with settled
# writeback (the first one runs right after the PUTs flushed GiBs), then one drive folder
# moved away, the server restarted, and the same run.
stop_flashstor
sync
if start_flashstor; then
  lg fs_get_1m_healthy "$fs_url" --op get --duration "$secs" --size 1048576 --concurrency 8 \
    --keys 64 --prefix 1m
fi
stop_flashstor
mv "$scratch/drives/disk4" "$scratch/disk4.away"
if start_flashstor; then
  lg fs_get_1m_degraded "$fs_url" --op get --duration "$secs" --size 1048576 --concurrency 8 \
    --keys 64 --prefix 1m
else
  note "flashstor does not start with one drive folder missing: degraded GET not measured"
fi
stop_flashstor
rm -rf "$scratch/drives/disk4"
mv "$scratch/disk4.away" "$scratch/drives/disk4"

# Heal, on a fresh deployment so that nothing else needs healing: 128 MiB as 1 MiB objects,
# one drive folder wiped while stopped, then one admin heal call per object
# (POST /flashstor/admin/heal, signed as root), timed by the loadgen. The server's own
# background heal of the re-formatted drive runs at the same time (see docs/bench.md).
rm -rf "$scratch/drives"
mkdir -p "$scratch/drives"
start_flashstor || fail "flashstor did not start"
lg heal_fill "$fs_url" --op fill --size 1048576 --keys 128 --concurrency 4 --duration 300 \
  --prefix heal --create-bucket
stop_flashstor
rm -rf "$scratch/drives/disk2"
mkdir "$scratch/drives/disk2"
start_flashstor || fail "flashstor did not start"
lg heal "$fs_url" --op heal --size 1048576 --keys 128 --concurrency 4 --duration 300 \
  --prefix heal
lg heal_verify "$fs_url" --op get --verify --size 1048576 --keys 128 --concurrency 4 \
  --duration 2 --prefix heal
stop_flashstor
if "$bin" admin heal --help >/dev/null 2>&1; then heal_cli=available; else heal_cli=absent; fi
figure heal_cli "$heal_cli"

# Binary size: as built (with debug info) and as installed (ci/split-debug.sh, what
# `cmake --install` and the package ship: stripped, debug symbols in a separate file).
figure binary_bytes "$(stat -c %s "$bin")"
figure text_bytes "$(size "$bin" | awk 'NR == 2 {print $1}')"  # size(1) "text": code + rodata
if split=$("$repo/ci/split-debug.sh" "$bin" "$scratch/installed/flashstor" "$scratch/installed/debug" 2>/dev/null); then
  figure installed_bytes "$(stat -c %s "$(sed -n 1p <<<"$split")")"
  figure debug_file_bytes "$(stat -c %s "$(sed -n 2p <<<"$split")")"
fi
rm -rf "$scratch/installed"

# The S3 peer: Ceph radosgw on a throwaway one-node cluster (tests/bench/radosgw.sh) when the
# bench dependencies are installed, else minio / versitygw / s3proxy if one is on PATH. It runs
# after Flashstor and nginx are stopped, and the same loads are driven against it. Any failure
# to bring it up is one NOTICE and the bench goes on without it.
stop_flashstor
stop_nginx
peer=""
peer_url=""
start_radosgw_peer() {
  "$repo/tests/bench/radosgw.sh" up "$scratch/peer" 2>"$out/raw/peer.log" &
  peer_pid=$!
  for _ in $(seq 3000); do  # 300 s at most (30 s on an idle 2-core machine)
    [ -s "$scratch/peer/endpoint" ] && break
    kill -0 "$peer_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -s "$scratch/peer/endpoint" ]; then
    peer=radosgw
    peer_url=$(cat "$scratch/peer/endpoint")
    return 0
  fi
  note "$(grep -m1 '^NOTICE' "$out/raw/peer.log" ||
    echo "NOTICE: radosgw peer: not up within 300 s; the bench goes on without it")"
  kill "$peer_pid" 2>/dev/null || true
  wait "$peer_pid" 2>/dev/null || true
  peer_pid=""
  return 1
}
if command -v radosgw >/dev/null 2>&1 && command -v ceph-mon >/dev/null 2>&1 &&
  command -v ceph-osd >/dev/null 2>&1; then
  start_radosgw_peer || true
else
  note "NOTICE: radosgw peer: radosgw/ceph-mon/ceph-osd not installed (ci/install-deps.sh bench)"
fi
if [ -z "$peer" ]; then
  for c in minio versitygw s3proxy; do command -v "$c" >/dev/null 2>&1 && { peer=$c; break; }; done
  if [ -n "$peer" ]; then
    mkdir -p "$scratch/third"
    tp=$(free_port)
    peer_url=http://127.0.0.1:$tp
    case "$peer" in
    minio)
      MINIO_ROOT_USER=$AWS_ACCESS_KEY_ID MINIO_ROOT_PASSWORD=$secret \
        minio server --quiet --address "127.0.0.1:$tp" "$scratch/third" >/dev/null 2>&1 &
      ;;
    versitygw)
      ROOT_ACCESS_KEY=$AWS_ACCESS_KEY_ID ROOT_SECRET_KEY=$secret \
        versitygw --port "127.0.0.1:$tp" posix "$scratch/third" >/dev/null 2>&1 &
      ;;
    s3proxy)
      printf '%s\n' "s3proxy.endpoint=http://127.0.0.1:$tp" "s3proxy.authorization=aws-v2-or-v4" \
        "s3proxy.identity=$AWS_ACCESS_KEY_ID" "s3proxy.credential=$secret" \
        "jclouds.provider=filesystem" "jclouds.filesystem.basedir=$scratch/third" \
        >"$scratch/s3proxy.conf"
      s3proxy --properties "$scratch/s3proxy.conf" >/dev/null 2>&1 &
      ;;
    esac
    peer_pid=$!
    for _ in $(seq 300); do
      (exec 3<>"/dev/tcp/127.0.0.1/$tp") 2>/dev/null && break
      sleep 0.1
    done
  fi
fi
figure peer_server "${peer:-not-installed}"
if [ -n "$peer" ]; then
  echo "S3 peer: $peer at $peer_url" >&2
  if "$loadgen" --endpoint "$peer_url" --bucket bench --op fill --keys 1 --size 0 \
    --prefix probe --create-bucket >/dev/null 2>&1; then
    for s in "${sizes[@]}"; do
      l=${label[$s]}
      common=(--size "$s" --concurrency "${conc[$s]}" --keys "${keys[$s]}" --prefix "$l")
      lg "peer_put_$l" "$peer_url" --op put --duration "$secs" "${common[@]}"
      lg "peer_get_$l" "$peer_url" --op get --prefill --duration "$secs" "${common[@]}"
    done
    lg peer_put_4k_c256 "$peer_url" --op put --concurrency 256 "${small[@]}"
    lg peer_get_4k_c256 "$peer_url" --op get --concurrency 256 "${small[@]}"
    lg peer_list_fill "$peer_url" "${list_fill[@]}"
    lg peer_list "$peer_url" "${list_run[@]}"
  else
    note "NOTICE: $peer: bucket creation failed; the bench goes on without the peer"
  fi
fi

report
