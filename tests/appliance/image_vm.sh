# Image test helpers (sourced): boots the image under qemu for one scenario, reads the reporter's
# KEY=VALUE lines from the second serial port, talks S3 to the forwarded port, records results.
# shellcheck shell=bash disable=SC2034  # T_* results are read by image_boot.sh

T_PASS=0
T_FAIL=0
T_FAILED=()

t_pass() {
  T_PASS=$((T_PASS + 1))
  printf '  ok    %s\n' "$1"
}
t_fail() {
  T_FAIL=$((T_FAIL + 1))
  T_FAILED+=("$T_SCENARIO: $1")
  printf '  FAIL  %s\n' "$1"
}
# t_check NAME COMMAND...: passes when the command succeeds.
t_check() {
  local name=$1
  shift
  if "$@" >/dev/null 2>&1; then t_pass "$name"; else t_fail "$name"; fi
}

# r KEY: a value from the current scenario's report (first occurrence).
r() { grep -a -m1 "^$1=" "$T_DIR/report.log" 2>/dev/null | cut -d= -f2- | tr -d '\r'; }
r_logs() { grep -a '^LOG=' "$T_DIR/report.log" 2>/dev/null | cut -d= -f2-; }
# t_no_avcs WHAT: fails on any AVC denial in the current boot's audit log except the
# confinement probe's own (flashstor_t reading shadow_t), listing them.
t_no_avcs() {
  local other
  other=$(grep -a '^AVC=' "$T_DIR/report.log" 2>/dev/null | cut -d= -f2- |
    grep -vE 'scontext=[^ ]*:flashstor_t:.*tcontext=[^ ]*:shadow_t:' | grep . || true)
  if [ -z "$other" ]; then
    t_pass "no AVC denials ($1)"
  else
    t_fail "no AVC denials ($1)"
    head -n 20 <<<"$other" | sed 's/^/    /'
  fi
}

# vm_boot DIR TIMEOUT [qemu args...]: starts the VM with the test reporter credential and an
# S3 port forward, waits for the report (or for qemu to exit). Sets T_DIR, T_PORT, T_PID,
# T_BOOT_RC (0 report complete, 1 timeout, 2 qemu exited), T_BOOT_SECONDS.
# T_WAIT_FOR=PATTERN waits for another line of the second serial port; T_NO_REPORT=1 boots
# without the reporter (a boot that applies an update, or a try that must reboot by itself).
vm_boot() {
  T_DIR=$1
  local timeout=$2 report=()
  shift 2
  rm -f "$T_DIR/report.log" "$T_DIR/console.log"
  printf 'on\n' >"$T_DIR/report.cred"
  [ "${T_NO_REPORT:-0}" = 1 ] || report=(-smbios "$(fs_vm_cred flashstor.test-report "$T_DIR/report.cred")")
  T_PORT=$(fs_free_port "${FLASHSTOR_TEST_PORT:-19000}")
  FS_VM_MON_PORT=$(fs_free_port $((T_PORT + 500)))
  fs_vm_args "$T_DIR"
  local net
  mapfile -t net < <(fs_vm_netdev "$T_PORT:9000")
  local start attempt
  start=$(date +%s)
  for attempt in 1 2; do
    "${FS_VM_ARGS[@]}" "${net[@]}" -serial "file:$T_DIR/console.log" \
      -serial "file:$T_DIR/report.log" \
      "${report[@]}" "$@" >"$T_DIR/qemu.out" 2>&1 &
    T_PID=$!
    T_BOOT_RC=0
    [ "$attempt" = 2 ] || ! vm_stalled_before_kernel || continue
    fs_vm_wait_file "$T_DIR/report.log" "${T_WAIT_FOR:-^REPORT=end}" "$timeout" "$T_PID" || T_BOOT_RC=$?
    break
  done
  T_BOOT_SECONDS=$(($(date +%s) - start))
}

# vm_stalled_before_kernel: true when the VM just started printed nothing past the firmware in
# T_STALL_SECONDS (the kernel's first line, quiet, comes 30-60 s in under TCG), and is then
# stopped: its registers, console and the stall go to T_DIR and the figures. In stop 35's CI
# run the rollback's fallback boot sat 322 s after the firmware's "starting Boot0001" without a
# line, and the same disks and firmware variables then booted in 32-38 s nine times of nine, so
# a stall there is qemu's (TCG), not the image's: vm_boot boots a stalled VM a second time and
# says so, and a second stall fails the scenario as a timeout. The second boot has the same
# disks and firmware variables, as a power cycle of the machine would.
T_STALL_SECONDS=${FLASHSTOR_VM_STALL_SECONDS:-150}
T_STALLS=0
vm_stalled_before_kernel() {
  fs_vm_wait_file "$T_DIR/console.log" '^\[ *[0-9]*\.[0-9]*\]\|login:' "$T_STALL_SECONDS" "$T_PID" &&
    return 1
  kill -0 "$T_PID" 2>/dev/null || return 1 # qemu exited: the caller's wait reports it
  T_STALLS=$((T_STALLS + 1))
  fs_vm_monitor_query "$FS_VM_MON_PORT" 'info registers -a' >"$T_DIR/stall.registers" 2>&1 || true
  cp "$T_DIR/console.log" "$T_DIR/stall.console" 2>/dev/null
  printf '  note  no kernel output in %s s (instruction pointer of each vCPU: %s): qemu stopped, the VM booted again\n' \
    "$T_STALL_SECONDS" "$(grep -aoE '[RE]IP=[0-9a-f]+' "$T_DIR/stall.registers" | cut -d= -f2 | paste -sd, -)"
  echo "stalled_boot_${T_SCENARIO:-none}=$T_STALL_SECONDS" >>"${FIGURES:-/dev/null}"
  local t=0
  kill "$T_PID" 2>/dev/null
  while kill -0 "$T_PID" 2>/dev/null && [ "$t" -lt 20 ]; do
    sleep 0.5
    t=$((t + 1))
  done
  kill -9 "$T_PID" 2>/dev/null
  wait "$T_PID" 2>/dev/null
  rm -f "$T_DIR/report.log" "$T_DIR/console.log"
  return 0
}

vm_shutdown() { fs_vm_stop "$T_PID" "$FS_VM_MON_PORT" 60 || true; }

# vm_wait_exit SECONDS: waits for the VM to stop by itself (a reboot under -no-reboot); 0 if it did.
vm_wait_exit() {
  local t=0
  while kill -0 "$T_PID" 2>/dev/null; do
    [ "$t" -lt $(($1 * 2)) ] || return 1
    sleep 0.5
    t=$((t + 1))
  done
}

# data_disk_args DIR N...: -drive arguments for the listed data disks of DIR.
data_disk_args() {
  local dir=$1 n
  shift
  for n in "$@"; do printf '%s\n' -drive "if=virtio,format=qcow2,file=$dir/data$n.qcow2"; done
}

# s3 METHOD PATH [curl args]: one SigV4-signed request to the VM's forwarded port.
s3() {
  local method=$1 path=$2
  shift 2
  [ "${T_SERVING:-1}" = 1 ] || return 1 # health check failed: do not wait for timeouts
  curl -sS --fail --max-time 20 --aws-sigv4 "aws:amz:${T_REGION:-us-east-1}:s3" \
    --user "$T_KEY:$T_SECRET" -X "$method" "http://127.0.0.1:$T_PORT$path" "$@"
}

# wait_http PATH SECONDS: waits until the forwarded port answers PATH with 200.
wait_http() {
  local deadline=$(($(date +%s) + $2))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$T_PORT$1")" = 200 ] &&
      return 0
    sleep 1
  done
  return 1
}

# A few lines of console and report for a failed scenario.
show_evidence() {
  echo "  --- report ($T_DIR/report.log, last lines)"
  tail -n 25 "$T_DIR/report.log" 2>/dev/null | sed 's/^/  | /'
  echo "  --- console ($T_DIR/console.log, last lines)"
  tr -d '\r' <"$T_DIR/console.log" 2>/dev/null | grep -av '^\s*$' | tail -n 15 | sed 's/^/  | /'
}
