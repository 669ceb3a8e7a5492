#!/usr/bin/env bash
# `make boot`: boots the last built image under qemu (TCG, 2 vCPUs, 2 GiB, UEFI) with four data
# disks, forwarding S3 (9000) and HTTPS (443) from 127.0.0.1 only. The console is this terminal.
# FLASHSTOR_CONFIG=file.json delivers a first-run config as the flashstor.config credential.
# FLASHSTOR_BOOT_FRESH=1 starts from a pristine copy (drops /var and data disk contents).
set -euo pipefail
export FS_STEP=boot
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=lib/qemu.sh
. "$(dirname "$0")/lib/qemu.sh"
fs_require_tools qemu-system-x86_64 qemu-img ss

IMAGE="${FLASHSTOR_IMAGE:-$FS_OUT/flashstor.raw}"
fs_require_file "$IMAGE" "the disk image; build it with: make image"
VM="$FS_WORK/boot"
if [ "${FLASHSTOR_BOOT_FRESH:-0}" = 1 ] || [ ! -f "$VM/disk.qcow2" ] ||
  [ "$(cat "$VM/image.path" 2>/dev/null)" != "$(readlink -f "$IMAGE")" ]; then
  rm -rf "$VM"
  fs_vm_prepare "$VM" "$IMAGE"
  readlink -f "$IMAGE" >"$VM/image.path"
fi
fs_vm_data_disks "$VM" 4 8G

s3_port=$(fs_free_port 9000)
tls_port=$(fs_free_port 9443)
[ "$tls_port" != "$s3_port" ] || tls_port=$(fs_free_port $((s3_port + 1)))
FS_VM_MON_PORT=$(fs_free_port 45454)
fs_vm_args "$VM"
mapfile -t net < <(fs_vm_netdev "$s3_port:9000" "$tls_port:443")
extra=()
for n in 1 2 3 4; do extra+=(-drive "if=virtio,format=qcow2,file=$VM/data$n.qcow2"); done
if [ -n "${FLASHSTOR_CONFIG:-}" ]; then
  fs_require_file "$FLASHSTOR_CONFIG" "FLASHSTOR_CONFIG"
  extra+=(-smbios "$(fs_vm_cred flashstor.config "$FLASHSTOR_CONFIG")")
fi

cat <<EOF
Booting $(readlink -f "$IMAGE") under qemu (TCG; first boot takes about a minute).
  S3 API:   http://127.0.0.1:$s3_port   (guest port 9000)
  HTTPS:    https://127.0.0.1:$tls_port  (guest port 443)
  example:  curl --aws-sigv4 aws:amz:us-east-1:s3 --user KEY:SECRET http://127.0.0.1:$s3_port/
  monitor:  127.0.0.1:$FS_VM_MON_PORT (e.g. 'system_powerdown')
  state:    $VM (FLASHSTOR_BOOT_FRESH=1 to start over)
  config:   ${FLASHSTOR_CONFIG:-none given (FLASHSTOR_CONFIG=file.json); a configured /var is kept}
Console below; quit with Ctrl-A X.
EOF
exec "${FS_VM_ARGS[@]}" "${net[@]}" "${extra[@]}" -serial mon:stdio
