# The contents of one A/B root slot and its boot entry (sourced, never run): the squashfs root,
# its dm-verity hash tree and root hash, the partition UUIDs the hash names, and the unified
# kernel image that boots it. Used by lib/mkdisk.sh (the image's slot A) and by the update
# artefacts (image/build-update.sh, tests/appliance/update_parts.sh), so both build a slot the
# same way.
# shellcheck shell=bash

# fs_squash ROOTDIR OUT SDE: squashfs (zstd), fixed times, SELinux xattrs kept; reproducible.
fs_squash() {
  env -u SOURCE_DATE_EPOCH mksquashfs "$1" "$2" -noappend -quiet -no-progress -comp zstd \
    -Xcompression-level 15 -b 256K -all-time "$3" -mkfs-time "$3" -xattrs >/dev/null
}

# fs_verity SQUASHFS HASHTREE: formats the dm-verity hash tree with a salt and uuid derived from
# the content (so the root hash is fixed for a given tree) and prints the root hash.
fs_verity() {
  local salt vuuid roothash
  salt=$(sha256sum "$1" | cut -c1-64)
  vuuid=$(fs_uuid_of_hex "$(fs_hex_id verity "$salt")")
  roothash=$(veritysetup format "$1" "$2" --data-block-size=4096 --hash-block-size=4096 \
    --salt="$salt" --uuid="$vuuid" | awk '/^Root hash:/ {print $3}')
  [ ${#roothash} -eq 64 ] || fs_die "veritysetup printed no root hash for $1"
  printf '%s\n' "$roothash"
}

# As systemd-repart does: the root hash names the slot's partitions (first/last 128 bits), so a
# boot entry can only find the root it was built for, whichever slot holds it.
fs_root_partuuid() { fs_uuid_of_hex "${1:0:32}"; }
fs_verity_partuuid() { fs_uuid_of_hex "${1:32:32}"; }

# fs_make_uki STUB KERNEL INITRD OSRELEASE CMDLINEFILE OUT SDE: systemd-stub + os-release +
# command line + kernel + initramfs, with the PE timestamp pinned (objcopy 2.40 writes the
# current time) and the optional header checksum cleared (UEFI ignores it).
fs_make_uki() {
  local stub=$1 kernel=$2 initrd=$3 osrel=$4 cmdline=$5 out=$6 sde=$7 linux_size initrd_vma pe
  linux_size=$(stat -c %s "$kernel")
  initrd_vma=$(((0x2000000 + linux_size + 0x200000) & ~0xfffff))
  rm -f "$out"
  objcopy --add-section .osrel="$osrel" --change-section-vma .osrel=0x20000 \
    --add-section .cmdline="$cmdline" --change-section-vma .cmdline=0x30000 \
    --add-section .linux="$kernel" --change-section-vma .linux=0x2000000 \
    --add-section .initrd="$initrd" --change-section-vma .initrd="$initrd_vma" \
    "$stub" "$out"
  pe=$(od -An -t u4 -j 60 -N 4 "$out" | tr -d ' ')
  fs_le32 "$sde" | dd of="$out" bs=1 seek=$((pe + 8)) conv=notrunc status=none
  fs_le32 0 | dd of="$out" bs=1 seek=$((pe + 88)) conv=notrunc status=none
  touch -d "@$sde" "$out"
}

# fs_le32 N: N as four little-endian bytes on stdout.
fs_le32() {
  # shellcheck disable=SC2059 # the format is the byte string
  printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) \
    $((($1 >> 16) & 255)) $((($1 >> 24) & 255)))"
}

# fs_os_release ROOTDIR VERSION: the root's os-release with IMAGE_ID/IMAGE_VERSION set (written
# into the root, and the UKI's .osrel: systemd-boot sorts entries by IMAGE_VERSION, newest first).
fs_os_release() {
  local f=$1/usr/lib/os-release tmp
  tmp=$(mktemp)
  { grep -v '^IMAGE_' "$f"; echo "IMAGE_ID=flashstor"; echo "IMAGE_VERSION=$2"; } >"$tmp"
  cat "$tmp" >"$f" # keeps the file's inode, mode and SELinux label
  rm -f "$tmp"
}
