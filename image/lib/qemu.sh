# qemu helpers for `make boot` and the image tests (sourced): a copy-on-write overlay of the image,
# UEFI firmware, data disks, 127.0.0.1-only port forwards, serial logs and a monitor for poweroff.
# shellcheck shell=bash disable=SC2034  # FS_VM_ARGS is used by the callers

FS_OVMF_CODE="${FLASHSTOR_OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}"
FS_OVMF_VARS="${FLASHSTOR_OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}"

# fs_free_port FIRST: the first TCP port >= FIRST nobody listens on (127.0.0.1).
fs_free_port() {
  local p=$1
  while ss -Htln "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
  echo "$p"
}

# fs_vm_prepare DIR IMAGE: fresh VM state in DIR (overlay disk, firmware variables, logs).
fs_vm_prepare() {
  local dir=$1 image=$2
  [ -f "$FS_OVMF_CODE" ] || fs_die "UEFI firmware $FS_OVMF_CODE missing (apt-get install ovmf)"
  mkdir -p "$dir"
  rm -f "$dir"/disk.qcow2 "$dir"/*.log "$dir"/qemu.pid
  qemu-img create -q -f qcow2 -F raw -b "$(readlink -f "$image")" "$dir/disk.qcow2"
  cp "$FS_OVMF_VARS" "$dir/ovmf_vars.fd"
}

# fs_vm_data_disks DIR N SIZE: creates blank data disks data1..N (kept if they exist).
fs_vm_data_disks() {
  local dir=$1 n=$2 size=$3 i
  for ((i = 1; i <= n; i++)); do
    [ -f "$dir/data$i.qcow2" ] || qemu-img create -q -f qcow2 "$dir/data$i.qcow2" "$size"
  done
}

# fs_vm_cred NAME FILE: the qemu argument delivering FILE as systemd credential NAME (SMBIOS 11).
fs_vm_cred() {
  printf 'type=11,value=io.systemd.credential.binary:%s=%s' "$1" "$(base64 -w0 <"$2")"
}

# fs_vm_args DIR: the common qemu command line (TCG, 2 vCPUs, 2 GiB, UEFI, virtio). The caller
# adds disks, -netdev, serial ports and credentials. FS_VM_MON_PORT must be set.
fs_vm_args() {
  local dir=$1
  FS_VM_ARGS=(qemu-system-x86_64 -accel tcg -machine q35 -cpu max -smp 2 -m 2048
    -nodefaults -no-user-config -display none -vga none -no-reboot
    -uuid "${FLASHSTOR_VM_UUID:-6f6c6173-6873-746f-7265-000000000001}"
    -drive "if=pflash,format=raw,unit=0,readonly=on,file=$FS_OVMF_CODE"
    -drive "if=pflash,format=raw,unit=1,file=$dir/ovmf_vars.fd"
    -drive "if=virtio,format=qcow2,file=$dir/disk.qcow2"
    -monitor "tcp:127.0.0.1:$FS_VM_MON_PORT,server=on,wait=off")
}

# fs_vm_netdev HOSTPORT...: user networking with guest port N forwarded from 127.0.0.1:HOSTPORT.
# Arguments are pairs "host:guest".
fs_vm_netdev() {
  local fwd="" pair
  for pair in "$@"; do fwd+=",hostfwd=tcp:127.0.0.1:${pair%%:*}-:${pair##*:}"; done
  printf '%s\n' -netdev "user,id=n0,restrict=off$fwd" -device virtio-net-pci,netdev=n0
}

# fs_vm_monitor PORT COMMAND: sends one human-monitor command.
fs_vm_monitor() {
  exec 9<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf '%s\n' "$2" >&9
  sleep 0.5
  exec 9>&-
}

# fs_vm_wait_file FILE PATTERN TIMEOUT PID: waits until FILE has a line matching PATTERN;
# returns 1 on timeout, 2 if PID exited first.
fs_vm_wait_file() {
  local file=$1 pattern=$2 timeout=$3 pid=$4 t=0
  while [ "$t" -lt $((timeout * 2)) ]; do
    grep -qa -- "$pattern" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { grep -qa -- "$pattern" "$file" 2>/dev/null && return 0; return 2; }
    sleep 0.5
    t=$((t + 1))
  done
  return 1
}

# fs_vm_monitor_query PORT COMMAND: sends one human-monitor command and prints its answer.
fs_vm_monitor_query() {
  exec 9<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf '%s\n' "$2" >&9
  timeout 2 cat <&9 | tr -d '\r'
  exec 9>&-
}

# fs_vm_stop PID MONPORT TIMEOUT: ACPI power button, then kill if it does not power off.
fs_vm_stop() {
  local pid=$1 mon=$2 timeout=$3 t=0
  kill -0 "$pid" 2>/dev/null || return 0
  fs_vm_monitor "$mon" system_powerdown || true
  while kill -0 "$pid" 2>/dev/null && [ "$t" -lt $((timeout * 2)) ]; do
    sleep 0.5
    t=$((t + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    sleep 1
    kill -9 "$pid" 2>/dev/null || true
    return 1
  fi
  return 0
}
