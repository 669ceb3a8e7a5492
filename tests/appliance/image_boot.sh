#!/usr/bin/env bash
# Image boot scenarios under qemu (TCG): first boot with a valid config credential and S3 I/O,
# second boot without it, SELinux enforcing (checked on those two boots, no boot of its own), an
# invalid config on a FLASHSTORCFG partition, a missing data disk, a tampered root, an A/B update
# into slot B and a broken update that falls back by itself (both on first_boot's disks).
# Usage: image_boot.sh IMAGE [SCENARIO...]; prints ok/FAIL per check and, per scenario,
# scenario_<name>_result=PASS|FAIL in $W/figures.env.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export FS_STEP=image-test
# shellcheck source=../../image/lib/common.sh
. "$HERE/../../image/lib/common.sh"
# shellcheck source=../../image/lib/qemu.sh
. "$HERE/../../image/lib/qemu.sh"
# shellcheck source=image_vm.sh
. "$HERE/image_vm.sh"

IMAGE=$(readlink -f "${1:?usage: image_boot.sh IMAGE [SCENARIO...]}")
shift
MANIFEST="${IMAGE%.raw}.manifest"
W="${FLASHSTOR_TEST_WORK:-$FS_WORK/test}"
BOOT_TIMEOUT=${FLASHSTOR_BOOT_TIMEOUT:-300}
T_KEY=imagetest-admin
T_SECRET=imagetest-Secret-0123456789
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] ||
  SCENARIOS=(first_boot second_boot selinux_enforcing invalid_config missing_disk tampered_root ab_update ab_rollback)
SCENARIOS=("${SCENARIOS[@]//-/_}")
FIGURES="$W/figures.env"
mkdir -p "$W"
: >"$FIGURES"

write_config() { # FILE PARITY
  cat >"$1" <<EOF
{
  "root_user": "$T_KEY",
  "root_password": "$T_SECRET",
  "drives": ["/srv/flashstor/disk{1...4}"],
  "listen": [{"address": ":9000", "tls": false}],
  "region": "us-east-1",
  "parity": $2,
  "metrics_access": "public"
}
EOF
}

# Fields systemd itself adds to unit messages; anything else came from the daemon.
SYSTEMD_FIELDS=' CODE_FILE CODE_FUNC CODE_LINE INVOCATION_ID JOB_ID JOB_RESULT JOB_TYPE MESSAGE MESSAGE_ID PRIORITY SYSLOG_FACILITY SYSLOG_IDENTIFIER SYSLOG_PID SYSLOG_TIMESTAMP TID UNIT USER_UNIT ERRNO EXIT_CODE EXIT_STATUS N_RESTARTS '
daemon_fields() {
  local f out=()
  for f in $(r JOURNAL_FIELDS | tr ',' ' '); do
    [[ "$SYSTEMD_FIELDS" == *" $f "* ]] || out+=("$f")
  done
  echo "${out[*]}"
}

check_booted() { # the common checks of a boot that should serve
  if [ "$T_BOOT_RC" -ne 0 ]; then
    t_fail "boot report arrived (rc $T_BOOT_RC after ${T_BOOT_SECONDS}s)"
    vm_shutdown # the next scenario reuses the disks
    return 1
  fi
  t_pass "boot report after ${T_BOOT_SECONDS}s"
  local state
  state=$(r SYSTEM_STATE)
  if [ "$state" = running ]; then t_pass "systemctl is-system-running: running"; else
    t_fail "systemctl is-system-running: '$state' (failed: $(r FAILED_UNITS))"
  fi
  if [ "$(r UNIT_flashstor_service)" = success/active/running ]; then t_pass "flashstor.service active"; else
    t_fail "flashstor.service active (is $(r UNIT_flashstor_service))"
  fi
  t_check "root is the verity squashfs, read-only" grep -q '^/dev/mapper/root,squashfs,ro' <<<"$(r ROOT)"
  T_SERVING=1
  if wait_http /health/ready 60; then t_pass "GET /health/ready through 127.0.0.1:$T_PORT"; else
    t_fail "GET /health/ready through 127.0.0.1:$T_PORT"
    T_SERVING=0
  fi
}

scenario_first_boot() {
  local d="$W/vm"
  rm -rf "$d"
  fs_vm_prepare "$d" "$IMAGE"
  fs_vm_data_disks "$d" 4 2G
  write_config "$d/config.json" 2
  head -c 1048576 /dev/urandom >"$W/object.bin"
  local disks
  mapfile -t disks < <(data_disk_args "$d" 1 2 3 4)
  vm_boot "$d" "$BOOT_TIMEOUT" "${disks[@]}" -smbios "$(fs_vm_cred flashstor.config "$d/config.json")"
  cp "$d/report.log" "$W/first_boot.report" 2>/dev/null
  check_booted || return 0
  local ready_us=$(($(r READY_MONOTONIC_US) + 0))
  echo "ready_seconds=$((ready_us / 1000000)).$(((ready_us / 100000) % 10))" >>"$FIGURES"
  echo "first_boot_report_seconds=$T_BOOT_SECONDS" >>"$FIGURES"
  echo "security=$(r SECURITY | grep -oE '[0-9]+\.[0-9]+ [A-Z]+' || r SECURITY)" >>"$FIGURES"
  echo "packages=$(r PACKAGES)" >>"$FIGURES"
  echo "boot_time=$(r BOOT_TIME)" >>"$FIGURES"
  t_check "first-run installed the config from the credential" grep -q 'credential' <<<"$(r_logs)"
  t_check "config.json is 0600 flashstor, persisted on /var" \
    grep -q '/var/lib/flashstor-etc/upper/config.json:600:flashstor' <<<"$(r CONFIG_FILES)"
  t_check "four data drives formatted and mounted" grep -q 'disk4:' <<<"$(r DRIVES)"
  t_check "systemd-analyze security prints a score ($(r SECURITY | sed 's/.*: //'))" \
    grep -qE '[0-9]+\.[0-9]+' <<<"$(r SECURITY)"
  local fields
  fields=$(daemon_fields)
  if [ -n "$fields" ]; then t_pass "journalctl -u flashstor: structured fields ($fields)"; else
    t_fail "journalctl -u flashstor: no structured fields of the daemon"
  fi
  t_check "S3 create bucket" s3 PUT /imagetest
  t_check "S3 PUT object (1 MiB)" s3 PUT /imagetest/object.bin -T "$W/object.bin" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD"
  rm -f "$W/got.bin"
  s3 GET /imagetest/object.bin -o "$W/got.bin" >/dev/null 2>&1
  t_check "S3 GET returns the same bytes" cmp -s "$W/object.bin" "$W/got.bin"
  ! cmp -s "$W/object.bin" "$W/got.bin" || FIRST_BOOT_S3=ok
  if [ "$T_SERVING" = 1 ] && curl -sf --max-time 10 "http://127.0.0.1:$T_PORT/metrics" -o "$W/metrics.txt" &&
    grep -q '^[a-z_]* ' "$W/metrics.txt"; then
    t_pass "/metrics scrapes ($(grep -c '^[a-z]' "$W/metrics.txt") samples)"
  else
    t_fail "/metrics scrapes"
  fi
  vm_shutdown
}

scenario_second_boot() {
  local d="$W/vm"
  [ -f "$d/disk.qcow2" ] || { t_fail "needs first_boot's disks"; return 0; }
  local disks
  mapfile -t disks < <(data_disk_args "$d" 1 2 3 4)
  vm_boot "$d" "$BOOT_TIMEOUT" "${disks[@]}"
  cp "$d/report.log" "$W/second_boot.report" 2>/dev/null
  check_booted || return 0
  echo "second_boot_report_seconds=$T_BOOT_SECONDS" >>"$FIGURES"
  t_check "first-run did not run again" grep -q '/inactive/dead' <<<"$(r UNIT_flashstor_firstrun_service)"
  t_check "config kept" grep -q 'config.json:600:flashstor' <<<"$(r CONFIG_FILES)"
  rm -f "$W/got.bin"
  s3 GET /imagetest/object.bin -o "$W/got.bin" >/dev/null 2>&1
  t_check "object written on first boot reads back the same" cmp -s "$W/object.bin" "$W/got.bin"
  vm_shutdown
}

# SELinux enforcing, read from the reports of first_boot and second_boot (no boot of its own: under
# TCG a boot costs a minute or more). The second boot's audit log, on /var, holds both boots:
# first-run, the data drives' labelling, the S3 PUT/GET of the first boot, the probes.
scenario_selinux_enforcing() {
  local f="$W/first_boot.report" s="$W/second_boot.report" avcs probe_avcs other
  if [ ! -s "$f" ] || [ ! -s "$s" ]; then
    t_fail "needs the reports of first_boot and second_boot"
    return 0
  fi
  T_DIR="$W/vm"
  rr() { grep -a -m1 "^$2=" "$1" 2>/dev/null | cut -d= -f2- | tr -d '\r'; }
  t_check "kernel command line: security=selinux selinux=1 enforcing=1" \
    grep -q 'security=selinux selinux=1 enforcing=1' <<<"$(sed -n 's/^cmdline=//p' "$MANIFEST")"
  t_check "getenforce: Enforcing (first boot: $(rr "$f" SELINUX))" test "$(rr "$f" SELINUX)" = Enforcing
  t_check "getenforce: Enforcing (second boot: $(rr "$s" SELINUX))" test "$(rr "$s" SELINUX)" = Enforcing
  t_check "flashstor.service runs in flashstor_t ($(rr "$s" DAEMON_CONTEXT))" \
    grep -q '^system_u:system_r:flashstor_t:' <<<"$(rr "$s" DAEMON_CONTEXT)"
  local labels
  labels=$(rr "$s" LABELS)
  t_check "labels: binary flashstor_exec_t, config flashstor_etc_t, state flashstor_var_lib_t, drive flashstor_data_t" \
    bash -c '[[ $1 == */usr/bin/flashstor=*:flashstor_exec_t:* && $1 == */etc/flashstor/config.json=*:flashstor_etc_t:* &&
      $1 == */var/lib/flashstor=*:flashstor_var_lib_t:* && $1 == */srv/flashstor/disk1=*:flashstor_data_t:* ]]' _ "$labels"
  if [ "${FIRST_BOOT_S3:-}" = ok ]; then t_pass "S3 PUT/GET under enforcing (first boot)"; else
    t_fail "S3 PUT/GET under enforcing (first boot)"
  fi
  # Denials of both boots; the probe's own (flashstor_t reading shadow_t) are expected.
  avcs=$(grep -a '^AVC=' "$s" | cut -d= -f2-)
  probe_avcs=$(grep -E 'scontext=[^ ]*:flashstor_t:' <<<"$avcs" | grep -E 'tcontext=[^ ]*:shadow_t:' || true)
  other=$(grep -vE 'tcontext=[^ ]*:shadow_t:' <<<"$avcs" | grep . || true)
  if grep -qE 'scontext=[^ ]*:flashstor_t:' <<<"$other"; then
    t_fail "no AVC denials from flashstor_t"
    grep -E 'scontext=[^ ]*:flashstor_t:' <<<"$other" | head -n 20 | sed 's/^/    /'
  else t_pass "no AVC denials from flashstor_t"; fi
  if [ -n "$other" ]; then
    t_fail "no AVC denials at all (first-run, drives, system) in the audit log of both boots"
    head -n 30 <<<"$other" | sed 's/^/    /'
  else t_pass "no AVC denials at all (first-run, drives, system) in the audit log of both boots"; fi
  # Confinement: the daemon's binary as root in flashstor_t reads its config, not /etc/shadow.
  t_check "probe control: DAC lets root read /etc/shadow ($(rr "$s" PROBE_DAC))" test -n "$(rr "$s" PROBE_DAC)"
  t_check "probe control: flashstor_t reads its config ($(rr "$s" PROBE_CONFIG))" \
    grep -q '^rc=0' <<<"$(rr "$s" PROBE_CONFIG)"
  t_check "probe: flashstor_t is denied /etc/shadow ($(rr "$s" PROBE_SHADOW | cut -c1-80))" \
    bash -c '[[ $1 != rc=0* && $1 == *"ermission denied"* ]]' _ "$(rr "$s" PROBE_SHADOW)"
  t_check "probe: the denial is SELinux's (avc: denied { read } flashstor_t -> shadow_t)" \
    grep -qE 'denied +\{ [a-z ]*(read|open)[a-z ]* \}' <<<"$probe_avcs"
}

scenario_invalid_config() {
  local d="$W/vm-invalid"
  rm -rf "$d"
  fs_vm_prepare "$d" "$IMAGE"
  write_config "$d/flashstor.json" 9
  truncate -s 32M "$d/cfg.img"
  mkfs.vfat -n FLASHSTORCF "$d/cfg.img" >/dev/null
  MTOOLS_SKIP_CHECK=1 mcopy -i "$d/cfg.img" "$d/flashstor.json" ::flashstor.json
  vm_boot "$d" "$BOOT_TIMEOUT" -drive "if=virtio,format=raw,file=$d/cfg.img"
  if [ "$T_BOOT_RC" -ne 0 ]; then
    t_fail "boot report arrived (rc $T_BOOT_RC)"
    return 0
  fi
  t_pass "boot report after ${T_BOOT_SECONDS}s"
  t_check "flashstor.service stays down" grep -qv '/active/' <<<"$(r UNIT_flashstor_service)"
  t_check "first-run unit failed" grep -q 'failed' <<<"$(r UNIT_flashstor_firstrun_service)"
  t_check "journal names the field and reason (parity)" grep -q 'invalid configuration.*parity' <<<"$(r_logs)"
  t_check "console shows the same message" grep -aq 'invalid configuration.*parity' "$d/console.log"
  t_check "no config.json installed" grep -vq 'config.json:' <<<"$(r CONFIG_FILES)"
  t_no_avcs "first-run reading the FAT partition, enforcing"
  if curl -s --max-time 5 "http://127.0.0.1:$T_PORT/health/ready" >/dev/null; then
    t_fail "nothing answers on port 9000"
  else t_pass "nothing answers on port 9000"; fi
  vm_shutdown
}

scenario_missing_disk() {
  local d="$W/vm"
  [ -f "$d/disk.qcow2" ] || { t_fail "needs first_boot's disks"; return 0; }
  local disks
  mapfile -t disks < <(data_disk_args "$d" 1 2 4)
  vm_boot "$d" "$BOOT_TIMEOUT" "${disks[@]}"
  check_booted || return 0
  t_check "three drives mounted, disk3 absent" bash -c '[[ "$1" != *disk3:* && "$1" == *disk4:* ]]' _ "$(r DRIVES)"
  rm -f "$W/got.bin"
  s3 GET /imagetest/object.bin -o "$W/got.bin" >/dev/null 2>&1
  t_check "object still reads back (degraded within parity)" cmp -s "$W/object.bin" "$W/got.bin"
  t_check "daemon says it is degraded / a drive is offline" grep -qiE 'drive[a-z ]* offline|degraded' <<<"$(r_logs)"
  t_no_avcs "a drive missing, enforcing"
  vm_shutdown
}

scenario_tampered_root() {
  local d="$W/vm-tampered" root_mib
  rm -rf "$d"
  fs_vm_prepare "$d" "$IMAGE"
  root_mib=$(sed -n 's/^layout_mib=.*root-a:\([0-9]*\)+.*/\1/p' "$MANIFEST")
  [ -n "$root_mib" ] || { t_fail "manifest names the root-a offset"; return 0; }
  # One changed block at the start of slot A (written into the overlay; the image is untouched).
  qemu-io -f qcow2 -c "write -P 0x5a $((root_mib << 20)) 4096" "$d/disk.qcow2" >/dev/null
  vm_boot "$d" 240
  t_check "the system never came up (no report)" bash -c '! grep -q REPORT= "$1"' _ "$d/report.log"
  t_check "dm-verity refused the root (console)" grep -aqiE 'verity.*(corrupt|fail)|root verification failed' "$d/console.log"
  t_check "the VM stopped by itself (panic, no reboot into a bad root)" test "$T_BOOT_RC" -eq 2
  echo "tamper_refusal_seconds=$T_BOOT_SECONDS" >>"$FIGURES"
  vm_shutdown
}

# A/B updates. The artefacts are built from this image's own slot parts (build/parts next to
# out/): the root repacked with another version (IMAGE_VERSION) and, for the rollback, an empty
# /usr/bin/flashstor; signed with the work folder's update key, which the image embeds.
PARTS=${FLASHSTOR_TEST_PARTS:-$(dirname "$IMAGE")/../build/parts}
BASE_VERSION=$(sed -n 's/^version=//p' "$MANIFEST")
make_update() { # NAME VERSION [--broken]: $W/update-NAME.tar
  local t0
  t0=$(date +%s)
  if "$HERE/update_parts.sh" "$PARTS" "$W/parts-$1" "$2" ${3:+"$3"} >"$W/update-$1.log" 2>&1 &&
    "$FS_IMAGE_DIR/build-update.sh" "$W/parts-$1" "$W/update-$1.tar" >>"$W/update-$1.log" 2>&1; then
    t_pass "update artefact $2${3:+ (broken)} built in $(($(date +%s) - t0)) s ($(fs_human_size "$(stat -c %s "$W/update-$1.tar")"))"
    echo "update_$1_build_seconds=$(($(date +%s) - t0))" >>"$FIGURES"
  else
    t_fail "update artefact $2 built (log: $W/update-$1.log)"
    tail -n 5 "$W/update-$1.log" | sed 's/^/    /'
    return 1
  fi
}
# apply_update ARTEFACT: a boot that runs flashstor-update on ARTEFACT (test-only unit, disk
# serial fsupdate) and reboots; the VM stops (-no-reboot). Checks the updater's report.
apply_update() {
  local d="$W/vm" disks
  mapfile -t disks < <(data_disk_args "$d" 1 2 3 4)
  printf 'apply\n' >"$d/update.cred"
  T_NO_REPORT=1 T_WAIT_FOR='^UPDATE=end' vm_boot "$d" "$BOOT_TIMEOUT" "${disks[@]}" \
    -drive "if=none,id=upd,format=raw,readonly=on,file=$1" -device virtio-blk-pci,drive=upd,serial=fsupdate \
    -smbios "$(fs_vm_cred flashstor.test-update "$d/update.cred")"
  cp "$d/report.log" "$W/apply-$(basename "$1" .tar).report" 2>/dev/null
  grep -a '^UPDATE_LOG=' "$d/report.log" | cut -d= -f2- | sed 's/^/    | /'
  if [ "$T_BOOT_RC" -ne 0 ]; then
    t_fail "the updater ran (rc $T_BOOT_RC after ${T_BOOT_SECONDS}s)"
    vm_shutdown
    return 1
  fi
  t_check "flashstor-update succeeded (UPDATE_RC=$(r UPDATE_RC), $(r UPDATE_SECONDS) s)" test "$(r UPDATE_RC)" = 0
  t_check "the signature and every part were verified first" \
    bash -c 'grep -q "signature: good" <<<"$1" && grep -q "flashstor.efi: .* matches" <<<"$1"' _ "$(grep -a '^UPDATE_LOG=' "$d/report.log")"
  if vm_wait_exit 120; then t_pass "the VM rebooted after the update"; else
    t_fail "the VM rebooted after the update"
    vm_shutdown
    return 1
  fi
}
no_avc_denials() { # from the current report; the selinux scenario's probe (shadow_t) excepted
  local other
  other=$(grep -a '^AVC=' "$T_DIR/report.log" | cut -d= -f2- | grep -vE 'tcontext=[^ ]*:shadow_t:' | grep . || true)
  if [ -n "$other" ]; then
    t_fail "no AVC denials (updater, boot counting, bless) in the audit log"
    head -n 20 <<<"$other" | sed 's/^/    /'
  else t_pass "no AVC denials (updater, boot counting, bless) in the audit log"; fi
}

scenario_ab_update() {
  local d="$W/vm" disks v1="$BASE_VERSION.1"
  [ -f "$d/disk.qcow2" ] || { t_fail "needs first_boot's disks"; return 0; }
  make_update v1 "$v1" || return 0
  # Without booting: tampered artefacts are refused before anything is written, the good one is
  # written to a copy of the image on loop devices (tests/appliance/image_update_offline.sh).
  fs_update_pubkey "$W/update-key.pem"
  if FLASHSTOR_TEST_WORK="$W" FLASHSTOR_TEST_MANIFEST="$MANIFEST" "$HERE/image_update_offline.sh" "$IMAGE" \
    "$W/update-v1.tar" "$W/update-key.pem" >"$W/update-offline.out" 2>&1; then
    t_pass "offline: $(tail -n1 "$W/update-offline.out") (tampered part, edited manifest, foreign key refused; slot B written on loop devices)"
  else
    t_fail "offline: $(tail -n1 "$W/update-offline.out")"
    grep -E '^  FAIL' "$W/update-offline.out" | sed 's/^/  /'
  fi
  apply_update "$W/update-v1.tar" || return 0
  t_check "the updater wrote slot root-b from root-a" grep -q 'running: root-a.*target: root-b' <<<"$(r_update_log)"
  echo "ab_update_apply_seconds=$(r UPDATE_SECONDS)" >>"$FIGURES"
  mapfile -t disks < <(data_disk_args "$d" 1 2 3 4)
  vm_boot "$d" "$BOOT_TIMEOUT" "${disks[@]}"
  cp "$d/report.log" "$W/ab_update.report" 2>/dev/null
  check_booted || return 0
  t_check "runs version $v1 (is $(r IMAGE_VERSION))" test "$(r IMAGE_VERSION)" = "$v1"
  t_check "from slot root-b (is $(r SLOT))" test "$(r SLOT)" = root-b
  t_check "the boot was blessed: systemd-bless-boot ran ($(r UNIT_bless_boot))" grep -q '^success/active' <<<"$(r UNIT_bless_boot)"
  t_check "ESP: flashstor-$v1.efi without counter, flashstor-$BASE_VERSION.efi kept ($(r ESP_ENTRIES))" \
    bash -c '[[ " $1 " == *" flashstor-$2.efi "* && " $1 " == *" flashstor-$3.efi "* ]]' _ "$(r ESP_ENTRIES)" "$v1" "$BASE_VERSION"
  t_check "first-run did not run again" grep -q '/inactive/dead' <<<"$(r UNIT_flashstor_firstrun_service)"
  t_check "config kept" grep -q 'config.json:600:flashstor' <<<"$(r CONFIG_FILES)"
  rm -f "$W/got.bin"
  s3 GET /imagetest/object.bin -o "$W/got.bin" >/dev/null 2>&1
  t_check "object written before the update reads back the same" cmp -s "$W/object.bin" "$W/got.bin"
  no_avc_denials
  vm_shutdown
}

# The broken update is applied from slot B (where ab_update left the machine), so it writes slot
# A: both directions are exercised, and the fallback is the running version in slot B.
scenario_ab_rollback() {
  local d="$W/vm" disks v1="$BASE_VERSION.1" v2="$BASE_VERSION.2" t_try t_back
  [ "$(sed -n 's/^IMAGE_VERSION=//p' "$W/ab_update.report" 2>/dev/null | tr -d '\r')" = "$v1" ] ||
    { t_fail "needs ab_update's machine (running $v1 in slot B)"; return 0; }
  make_update v2 "$v2" --broken || return 0
  apply_update "$W/update-v2.tar" || return 0
  t_check "the updater wrote slot root-a from root-b" grep -q 'running: root-b.*target: root-a' <<<"$(r_update_log)"
  t_check "it removed $BASE_VERSION's entry (slot A's), kept the running $v1" \
    bash -c 'grep -q "removing boot entry flashstor-$2.efi" <<<"$1" && grep -q "keeping boot entry flashstor-$3.efi" <<<"$1"' \
    _ "$(r_update_log)" "$BASE_VERSION" "$v1"
  # The try: no reporter; the machine must give up and reboot by itself.
  mapfile -t disks < <(data_disk_args "$d" 1 2 3 4)
  t_try=$(date +%s)
  T_NO_REPORT=1 vm_boot "$d" "$BOOT_TIMEOUT" "${disks[@]}"
  cp "$d/console.log" "$W/ab_rollback-try.console" 2>/dev/null
  t_check "the broken try rebooted by itself after $T_BOOT_SECONDS s (VM stopped: rc $T_BOOT_RC)" test "$T_BOOT_RC" -eq 2
  echo "ab_rollback_try_seconds=$T_BOOT_SECONDS" >>"$FIGURES"
  t_check "console: the try of $v2 failed and was marked bad" \
    grep -aq "flashstor-boot-try: version $v2 failed its try" "$d/console.log"
  [ "$T_BOOT_RC" -eq 2 ] || vm_shutdown
  vm_boot "$d" "$BOOT_TIMEOUT" "${disks[@]}"
  cp "$d/report.log" "$W/ab_rollback.report" 2>/dev/null
  check_booted || return 0
  t_back=$(date +%s)
  echo "ab_rollback_seconds=$((t_back - t_try))" >>"$FIGURES"
  t_pass "serving again $((t_back - t_try)) s after the broken try was powered on"
  t_check "back on version $v1 (is $(r IMAGE_VERSION))" test "$(r IMAGE_VERSION)" = "$v1"
  t_check "from slot root-b (is $(r SLOT))" test "$(r SLOT)" = root-b
  t_check "ESP: $v2's entry marked bad (+0-...), $v1's entry kept ($(r ESP_ENTRIES))" \
    bash -c '[[ " $1 " == *" flashstor-$2+0-"* && " $1 " == *" flashstor-$3.efi "* ]]' _ "$(r ESP_ENTRIES)" "$v2" "$v1"
  t_check "the previous boot's journal: the try was marked bad ($(r PREV_BOOT_TRY | cut -c1-100))" \
    grep -qE "failed its try|Marked boot as 'bad'" <<<"$(r PREV_BOOT_TRY)"
  t_check "config kept" grep -q 'config.json:600:flashstor' <<<"$(r CONFIG_FILES)"
  rm -f "$W/got.bin"
  s3 GET /imagetest/object.bin -o "$W/got.bin" >/dev/null 2>&1
  t_check "object written before both updates reads back the same" cmp -s "$W/object.bin" "$W/got.bin"
  no_avc_denials
  vm_shutdown
}
r_update_log() { grep -a '^UPDATE_LOG=' "$T_DIR/report.log" 2>/dev/null | cut -d= -f2- | paste -sd' '; }

for s in "${SCENARIOS[@]}"; do
  # shellcheck disable=SC2034 # read by t_fail in image_vm.sh
  T_SCENARIO=$s
  echo "== scenario $s"
  before=$T_FAIL
  t0=$(date +%s)
  "scenario_$s"
  echo "scenario_${s}_seconds=$(($(date +%s) - t0))" >>"$FIGURES"
  echo "   ($(($(date +%s) - t0)) s)"
  if [ "$T_FAIL" -eq "$before" ]; then
    echo "scenario_${s}_result=PASS" >>"$FIGURES"
  else
    echo "scenario_${s}_result=FAIL" >>"$FIGURES"
    show_evidence
  fi
done
echo "image boot: $T_PASS passed, $T_FAIL failed, $T_STALLS boot(s) stalled before the kernel and booted again"
[ "$T_FAIL" -eq 0 ]
