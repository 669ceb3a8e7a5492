#!/usr/bin/env bash
# Test helper: the parts of an update built from an existing slot's parts without a second
# debootstrap: the root squashfs is unpacked (SELinux labels kept), its version changed
# (IMAGE_VERSION in /usr/lib/os-release), packed again, a new hash tree and root hash made, and a
# new UKI assembled from the old one's kernel, initramfs and command line (root hash and the
# partition UUIDs it names replaced). --broken also empties /usr/bin/flashstor (label kept), so
# flashstor.service cannot start (203/EXEC) and the try must fall back.
# Usage: update_parts.sh PARTS_DIR OUT_DIR VERSION [--broken]   (needs root: unsquashfs xattrs)
# OUT_DIR then holds what image/build-update.sh packs.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export FS_STEP=update-parts
# shellcheck source=../../image/lib/common.sh
. "$HERE/../../image/lib/common.sh"
# shellcheck source=../../image/lib/slot.sh
. "$HERE/../../image/lib/slot.sh"
IN=${1:?usage: update_parts.sh PARTS_DIR OUT_DIR VERSION [--broken]}
OUT=${2:?}
NEW_VERSION=${3:?}
BROKEN=${4:-}
OLD_VERSION=$(cat "$IN/version")
OLD_ROOTHASH=$(cat "$IN/roothash")
SDE=$(fs_source_date_epoch)
rm -rf "$OUT"
mkdir -p "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

unsquashfs -q -n -d "$tmp/root" "$IN/root.squashfs" >/dev/null
fs_os_release "$tmp/root" "$NEW_VERSION"
if [ "$BROKEN" = --broken ]; then
  : >"$tmp/root/usr/bin/flashstor"
  fs_log "broken on purpose: /usr/bin/flashstor is empty"
fi
fs_squash "$tmp/root" "$OUT/root.squashfs" "$SDE"
roothash=$(fs_verity "$OUT/root.squashfs" "$OUT/root.verity")

uki_old="$IN/flashstor-$OLD_VERSION.efi"
for s in linux initrd cmdline; do
  objcopy --dump-section ".$s=$tmp/$s" "$uki_old" "$tmp/scratch.efi"
done
sed -i -e "s/$OLD_ROOTHASH/$roothash/" \
  -e "s/$(fs_root_partuuid "$OLD_ROOTHASH")/$(fs_root_partuuid "$roothash")/" \
  -e "s/$(fs_verity_partuuid "$OLD_ROOTHASH")/$(fs_verity_partuuid "$roothash")/" "$tmp/cmdline"
grep -q "flashstor.roothash=$roothash flashstor.verity_data=$(fs_root_partuuid "$roothash")" "$tmp/cmdline" ||
  fs_die "the old UKI's command line did not name its root as expected: $(cat "$tmp/cmdline")"
cp "$tmp/root/usr/lib/os-release" "$tmp/os-release"
fs_make_uki "$tmp/root/usr/lib/systemd/boot/efi/linuxx64.efi.stub" "$tmp/linux" "$tmp/initrd" \
  "$tmp/os-release" "$tmp/cmdline" "$OUT/flashstor-$NEW_VERSION.efi" "$SDE"
printf '%s\n' "$NEW_VERSION" >"$OUT/version"
printf '%s\n' "$roothash" >"$OUT/roothash"
fs_log "parts of $NEW_VERSION${BROKEN:+ (broken)}: root hash ${roothash:0:16}… in $OUT"
