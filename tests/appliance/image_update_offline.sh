#!/usr/bin/env bash
# The updater without booting: flashstor-update (image/files/usr/sbin) against a copy of the image
# on loop devices, with the running slot A given as a fake kernel command line. Checks that a
# tampered part, an edited manifest and a foreign signature are refused before anything is
# written (slot B stays blank), then that a good artefact lands in slot B: content, partition
# UUIDs from the root hash, veritysetup verify, the UKI as flashstor-<version>+3.efi next to the
# running one (the ESP as a folder copied out with mtools).
# Usage: image_update_offline.sh IMAGE UPDATE.tar PUBKEY   (root: losetup, mount)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export FS_STEP=update-offline
# shellcheck source=../../image/lib/common.sh
. "$HERE/../../image/lib/common.sh"
IMAGE=$(readlink -f "${1:?usage: image_update_offline.sh IMAGE UPDATE.tar PUBKEY}")
UPDATE=$(readlink -f "${2:?}")
PUBKEY=$(readlink -f "${3:?}")
MANIFEST="${FLASHSTOR_TEST_MANIFEST:-${IMAGE%.raw}.manifest}"
UPDATER="$FS_IMAGE_DIR/files/usr/sbin/flashstor-update"
W=$(mktemp -d "${FLASHSTOR_TEST_WORK:-/var/tmp}/update-offline.XXXXXX")
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); printf '  ok    %s\n' "$1"; }
bad() { FAIL=$((FAIL + 1)); printf '  FAIL  %s\n' "$1"; }
check() { local n=$1; shift; if "$@" >/dev/null 2>&1; then ok "$n"; else bad "$n"; fi; }
LOOPS=()
DEV_esp='' DEV_root_b='' DEV_root_b_verity='' # set per partition below
cleanup() {
  local l
  for l in "${LOOPS[@]}"; do losetup -d "$l"; done
  rm -rf "$W"
}
trap cleanup EXIT

# The disk copy is a file (sfdisk reads and writes its table); each partition the updater
# writes is a loop device over its range (no partition scanning needed on the host).
cp --sparse=always "$IMAGE" "$W/disk.raw"
DISK="$W/disk.raw"
NODES=
while read -r _ start size name; do
  l=$(losetup --find --show --offset $((start * 512)) --sizelimit $((size * 512)) "$DISK") ||
    { echo "  FAIL  losetup"; exit 1; }
  LOOPS+=("$l")
  NODES+="$name=$l "
  eval "DEV_${name//-/_}=$l"
done < <(sfdisk -d "$DISK" | sed -nE 's/^([^ ]+) : start= *([0-9]+), size= *([0-9]+),.*name="([^"]*)".*/\1 \2 \3 \4/p')
# The ESP's files in a folder (mtools: this test must not need the vfat module); the updater
# only lists, copies, renames and removes files in it.
mkdir -p "$W/esp"
MTOOLS_SKIP_CHECK=1 mcopy -s -i "$DEV_esp" ::/EFI ::/loader "$W/esp/" || { echo "  FAIL  copy the ESP"; exit 1; }
sed -n 's/^cmdline=//p' "$MANIFEST" >"$W/cmdline"
old_version=$(sed -n 's/^version=//p' "$MANIFEST")
printf 'ID=debian\nIMAGE_ID=flashstor\nIMAGE_VERSION=%s\n' "$old_version" >"$W/os-release"
run_updater() { # ARTEFACT [PUBKEY]: the updater against the loop copy, slot A running
  FLASHSTOR_UPDATE_DISK=$DISK FLASHSTOR_UPDATE_NODES=$NODES FLASHSTOR_UPDATE_ESP="$W/esp" FLASHSTOR_UPDATE_CMDLINE="$W/cmdline" \
    FLASHSTOR_UPDATE_OS_RELEASE="$W/os-release" FLASHSTOR_UPDATE_PUBKEY="${2:-$PUBKEY}" \
    FLASHSTOR_UPDATE_STAGING="$W" FLASHSTOR_UPDATE_LOCK="$W/lock" "$UPDATER" apply "$1"
}
slot_b_blank() { [ -z "$(head -c 1048576 "$DEV_root_b" | tr -d '\0')" ]; }
check "slot B is blank before" slot_b_blank

# Refusals: nothing may be written.
mkdir -p "$W/t" && tar -xf "$UPDATE" -C "$W/t"
repack() { tar -cf "$1" -C "$W/t" manifest manifest.sig root.squashfs root.verity flashstor.efi; }
cp "$W/t/root.squashfs" "$W/root.orig"
printf 'X' | dd of="$W/t/root.squashfs" bs=1 seek=4096 conv=notrunc status=none
repack "$W/tampered-part.tar"
cp "$W/root.orig" "$W/t/root.squashfs"
out=$(run_updater "$W/tampered-part.tar" 2>&1)
rc=$?
check "one changed byte in root.squashfs: refused (rc $rc)" test $rc -ne 0
check "  ... naming the sha256 mismatch" grep -q 'root.squashfs: sha256 .* does not match' <<<"$out"
cp "$W/t/manifest" "$W/manifest.orig"
sed -i 's/^version=.*/&9/' "$W/t/manifest"
repack "$W/tampered-manifest.tar"
cp "$W/manifest.orig" "$W/t/manifest"
out=$(run_updater "$W/tampered-manifest.tar" 2>&1)
rc=$?
check "edited manifest: refused (rc $rc)" test $rc -ne 0
check "  ... signature check failed" grep -q 'signature check failed' <<<"$out"
openssl genpkey -algorithm ed25519 -out "$W/other.key" 2>/dev/null
openssl pkey -in "$W/other.key" -pubout -out "$W/other.pem"
out=$(run_updater "$UPDATE" "$W/other.pem" 2>&1)
rc=$?
check "artefact signed by a key the image does not hold: refused (rc $rc)" test $rc -ne 0
check "slot B still blank after the refusals" slot_b_blank

# A good artefact, slot A running.
t0=$(date +%s)
out=$(run_updater "$UPDATE" 2>&1)
rc=$?
echo "update_offline_apply_seconds=$(($(date +%s) - t0))"
sed 's/^/    | /' <<<"$out"
check "good artefact applied (rc $rc)" test $rc -eq 0
new_version=$(tar -xOf "$UPDATE" manifest | sed -n 's/^version=//p')
roothash=$(tar -xOf "$UPDATE" manifest | sed -n 's/^roothash=//p')
size=$(stat -c %s "$W/t/root.squashfs")
check "slot B holds root.squashfs" cmp -n "$size" "$W/t/root.squashfs" "$DEV_root_b"
check "slot B's hash partition holds root.verity" cmp -n "$(stat -c %s "$W/t/root.verity")" "$W/t/root.verity" "$DEV_root_b_verity"
dump=$(sfdisk -d "$DISK")
check "root-b's partition UUID is the root hash's first half" \
  grep -qi "uuid=$(fs_uuid_of_hex "${roothash:0:32}"), name=\"root-b\"" <<<"$dump"
check "root-b-verity's partition UUID is its second half" \
  grep -qi "uuid=$(fs_uuid_of_hex "${roothash:32:32}"), name=\"root-b-verity\"" <<<"$dump"
check "slot A untouched (its UUIDs and the running entry)" \
  grep -qi "uuid=$(sed -n 's/^root_a_partuuid=//p' "$MANIFEST"), name=\"root-a\"" <<<"$dump"
check "veritysetup verify passed in the updater" grep -q 'slot root-b verified' <<<"$out"
check "boot entry flashstor-$new_version+3.efi on the ESP" test -f "$W/esp/EFI/Linux/flashstor-$new_version+3.efi"
check "the running entry flashstor-$old_version.efi kept" test -f "$W/esp/EFI/Linux/flashstor-$old_version.efi"
check "no leftovers (staging folder, lock)" bash -c '! ls -d "$1"/flashstor-update.* "$1/lock" 2>/dev/null | grep -q .' _ "$W"
out=$(run_updater "$UPDATE" 2>&1 >/dev/null)
check "applying it again replaces the untried entry, keeps the running one" \
  bash -c '[ "$(ls "$1/esp/EFI/Linux" | wc -l)" -eq 2 ]' _ "$W"
echo "update offline: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
