#!/usr/bin/env bash
# Assembles the bootable disk from a finished root tree: squashfs root + dm-verity hash tree
# (slot A), an empty slot B of the same size, an ESP with systemd-boot and a unified kernel image
# carrying the root hash, and an ext4 /var, in a GPT whose every id is fixed. All reproducible.
# Usage: mkdisk.sh ROOTDIR WORKDIR IMAGE
set -euo pipefail
export FS_STEP=disk
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
# shellcheck source=slot.sh
. "$(dirname "$0")/slot.sh"
ROOT=$1
WORK=$2
IMG=$3
SDE=$(fs_source_date_epoch)
VERSION=$(fs_version)
ESP_MIB=${FLASHSTOR_ESP_MIB:-64}
SLOT_MIB=${FLASHSTOR_SLOT_MIB:-256}
VERITY_MIB=${FLASHSTOR_VERITY_MIB:-16}
VAR_MIB=${FLASHSTOR_VAR_MIB:-256}
# GPT partition types (Discoverable Partitions Specification, x86-64).
T_ESP=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
T_ROOT=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709
T_VERITY=2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5
T_VAR=4D21B016-B534-45C2-A9FB-5C16E091FD2D

# 1. Split the tree: kernel+initrd go to the ESP, /var to its own partition, the rest is root.
#    The package database stays with the root (/usr/lib/sysimage/dpkg) so each A/B slot
#    carries the database of the packages it holds.
rm -rf "${WORK:?}/boot" "${WORK:?}/var"
mv "$ROOT/boot" "$WORK/boot" && install -d -m 0755 "$ROOT/boot"
install -d "$ROOT/usr/lib/sysimage"
mv "$ROOT/var/lib/dpkg" "$ROOT/usr/lib/sysimage/dpkg"
ln -s /usr/lib/sysimage/dpkg "$ROOT/var/lib/dpkg"
mv "$ROOT/var" "$WORK/var" && install -d -m 0755 "$ROOT/var"
# The image's version in the root (IMAGE_VERSION: the running version flashstor-update reads).
fs_os_release "$ROOT" "$VERSION"
find "$ROOT" "$WORK/var" -exec touch -h -d "@$SDE" {} +

# SELinux labels (security.selinux xattrs) from the image's own policy, now: the root is
# read-only at boot. mksquashfs -xattrs and mkfs.ext4 -d carry them into the partitions; /var
# and the data drives are labelled again at boot (flashstor-firstrun, flashstor-datadrives).
fc="$ROOT/etc/selinux/default/contexts/files/file_contexts"
if [ -f "$fc" ]; then
  setfiles -F -r "$ROOT" "$fc" "$ROOT" || fs_die "setfiles could not label the root"
  setfiles -F -r "$WORK" "$fc" "$WORK/var" || fs_die "setfiles could not label /var"
  label=$(getfattr -h --only-values -n security.selinux "$ROOT/usr/bin/flashstor" 2>/dev/null | tr -d '\0')
  [[ "$label" == *:flashstor_exec_t:* ]] ||
    fs_die "/usr/bin/flashstor is labelled '${label:-nothing}', not flashstor_exec_t (module not installed?)"
fi

# 2. Root filesystem: squashfs (zstd), fixed times; mksquashfs 4.5 output is reproducible.
fs_squash "$ROOT" "$WORK/root.squashfs" "$SDE"
root_bytes=$(stat -c %s "$WORK/root.squashfs")
[ "$root_bytes" -le $((SLOT_MIB << 20)) ] ||
  fs_die "root.squashfs is $(fs_human_size "$root_bytes"), larger than the ${SLOT_MIB} MiB slot (FLASHSTOR_SLOT_MIB)"

# 3. dm-verity: salt and uuid derived from the content, so the hash is fixed for a given tree.
roothash=$(fs_verity "$WORK/root.squashfs" "$WORK/root.verity")
[ "$(stat -c %s "$WORK/root.verity")" -le $((VERITY_MIB << 20)) ] || fs_die "hash tree exceeds ${VERITY_MIB} MiB"
uuid_root_a=$(fs_root_partuuid "$roothash")
uuid_verity_a=$(fs_verity_partuuid "$roothash")
uuid_root_b=$(fs_uuid_of_hex "$(fs_hex_id root-b slot)")
uuid_verity_b=$(fs_uuid_of_hex "$(fs_hex_id verity-b slot)")
uuid_esp=$(fs_uuid_of_hex "$(fs_hex_id esp part)")
uuid_var=$(fs_uuid_of_hex "$(fs_hex_id var part)")
disk_guid=$(fs_uuid_of_hex "$(fs_hex_id disk "$roothash")")

# 4. Unified kernel image: systemd-stub + os-release + command line + kernel + initramfs.
kernel=$(ls "$WORK"/boot/vmlinuz-* | head -n1)
initrd=$(ls "$WORK"/boot/initrd.img-* | head -n1)
cmdline="flashstor.roothash=$roothash flashstor.verity_data=$uuid_root_a"
cmdline+=" flashstor.verity_hash=$uuid_verity_a root=/dev/mapper/root rootfstype=squashfs ro"
cmdline+=" console=ttyS0,115200 panic=10 systemd.gpt_auto=0 quiet"
# SELinux as the major LSM, enforcing from the kernel's first policy load (systemd loads it).
[ ! -f "$fc" ] || cmdline+=" security=selinux selinux=1 enforcing=${FLASHSTOR_SELINUX_ENFORCING:-1}"
printf '%s' "$cmdline" >"$WORK/cmdline.txt"
cp "$ROOT/usr/lib/os-release" "$WORK/os-release"
uki="$WORK/flashstor-$VERSION.efi"
fs_make_uki "$ROOT/usr/lib/systemd/boot/efi/linuxx64.efi.stub" "$kernel" "$initrd" \
  "$WORK/os-release" "$WORK/cmdline.txt" "$uki" "$SDE"

# 5. ESP (FAT32): systemd-boot picks the newest UKI in /EFI/Linux (A/B by version, README).
esp="$WORK/esp.img"
rm -f "$esp" && truncate -s "${ESP_MIB}M" "$esp"
mkfs.vfat -F 32 -S 512 -s 1 -n ESP -i "${disk_guid:0:8}" --invariant "$esp" >/dev/null
printf 'timeout 0\neditor no\ndefault flashstor-*\nauto-entries no\nauto-firmware no\n' >"$WORK/loader.conf"
boot_efi="$ROOT/usr/lib/systemd/boot/efi/systemd-bootx64.efi"
touch -d "@$SDE" "$WORK/loader.conf"
export MTOOLS_SKIP_CHECK=1 SOURCE_DATE_EPOCH="$SDE"
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/systemd ::/EFI/Linux ::/loader ::/loader/entries
mcopy -m -i "$esp" "$boot_efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -m -i "$esp" "$boot_efi" ::/EFI/systemd/systemd-bootx64.efi
mcopy -m -i "$esp" "$WORK/loader.conf" ::/loader/loader.conf
mcopy -m -i "$esp" "$uki" "::/EFI/Linux/flashstor-$VERSION.efi"

# 6. /var: ext4 filled from the tree; fixed UUID, hash seed and clock make it reproducible.
var="$WORK/var.img"
rm -f "$var"
E2FSPROGS_FAKE_TIME=$SDE mkfs.ext4 -q -F -t ext4 -b 4096 -L flashstor-var -U "$uuid_var" \
  -E "hash_seed=$uuid_var,root_owner=0:0" -d "$WORK/var" "$var" "${VAR_MIB}M" >/dev/null
# mkfs.ext4 -d copies each file's ctime, which touch cannot set, and its atime, which any read
# after setfiles moved the ctime (relatime) sets to the build's clock: pin both with debugfs.
{
  echo "sif / ctime @$SDE"
  echo "sif / atime @$SDE"
  (cd "$WORK/var" && find . -mindepth 1 -printf "sif /%P ctime @$SDE\nsif /%P atime @$SDE\n")
} >"$WORK/var-ctime.cmds"
E2FSPROGS_FAKE_TIME=$SDE debugfs -w -f "$WORK/var-ctime.cmds" "$var" >"$WORK/var-ctime.log" 2>&1 ||
  fs_die "debugfs could not pin inode times in var.img (see $WORK/var-ctime.log)"

# 7. GPT with fixed GUIDs; partitions copied in sparsely.
mib=$((1 << 20))
esp_start=1
root_a_start=$((esp_start + ESP_MIB))
verity_a_start=$((root_a_start + SLOT_MIB))
root_b_start=$((verity_a_start + VERITY_MIB))
verity_b_start=$((root_b_start + SLOT_MIB))
var_start=$((verity_b_start + VERITY_MIB))
disk_mib=$((var_start + VAR_MIB + 1))
rm -f "$IMG" && truncate -s "${disk_mib}M" "$IMG"
s() { echo $(($1 * 2048)); } # MiB -> 512-byte sectors
sfdisk --quiet --no-reread --no-tell-kernel "$IMG" <<EOF
label: gpt
label-id: $disk_guid
unit: sectors
first-lba: 2048
start=$(s $esp_start), size=$(s "$ESP_MIB"), type=$T_ESP, uuid=$uuid_esp, name="esp"
start=$(s $root_a_start), size=$(s "$SLOT_MIB"), type=$T_ROOT, uuid=$uuid_root_a, name="root-a"
start=$(s $verity_a_start), size=$(s "$VERITY_MIB"), type=$T_VERITY, uuid=$uuid_verity_a, name="root-a-verity"
start=$(s $root_b_start), size=$(s "$SLOT_MIB"), type=$T_ROOT, uuid=$uuid_root_b, name="root-b"
start=$(s $verity_b_start), size=$(s "$VERITY_MIB"), type=$T_VERITY, uuid=$uuid_verity_b, name="root-b-verity"
start=$(s $var_start), size=$(s "$VAR_MIB"), type=$T_VAR, uuid=$uuid_var, name="flashstor-var"
EOF
put() { dd if="$1" of="$IMG" bs=1M seek="$2" conv=notrunc,sparse status=none; }
put "$esp" $esp_start
put "$WORK/root.squashfs" $root_a_start
put "$WORK/root.verity" $verity_a_start
put "$var" $var_start

cat >"$WORK/disk.env" <<EOF
roothash=$roothash
root_a_partuuid=$uuid_root_a
verity_a_partuuid=$uuid_verity_a
root_squashfs_bytes=$root_bytes
uki_bytes=$(stat -c %s "$uki")
layout_mib=esp:$esp_start+$ESP_MIB,root-a:$root_a_start+$SLOT_MIB,root-a-verity:$verity_a_start+$VERITY_MIB,root-b:$root_b_start+$SLOT_MIB,root-b-verity:$verity_b_start+$VERITY_MIB,var:$var_start+$VAR_MIB
cmdline=$cmdline
EOF
# Keep the parts: the reproducibility report (which partition differs) and `make update`
# (image/build-update.sh packs root.squashfs, root.verity, the UKI, version and roothash).
mkdir -p "$WORK/parts"
rm -f "$WORK"/parts/flashstor-*.efi
mv "$esp" "$var" "$WORK/root.squashfs" "$WORK/root.verity" "$uki" "$WORK/parts/"
printf '%s\n' "$VERSION" >"$WORK/parts/version"
printf '%s\n' "$roothash" >"$WORK/parts/roothash"
fs_log "disk: $(fs_human_size $((disk_mib * mib))), root $(fs_human_size "$root_bytes"), roothash ${roothash:0:16}…"
