#!/usr/bin/env bash
# `make update`: packs the last `make image`'s slot parts (build/parts: root.squashfs,
# root.verity, the UKI, version, roothash) into one signed update artefact,
# out/flashstor-update-<version>.tar: a manifest (format, version, root hash, each part's size
# and SHA-256), its Ed25519 signature (manifest.sig, OpenSSL; key from lib/common.sh
# fs_update_key), root.squashfs, root.verity and flashstor.efi. flashstor-update on the
# appliance checks all of it before writing anything. Reproducible: fixed order, times and
# owners; Ed25519 signatures are deterministic.
# Usage: image/build-update.sh [PARTS_DIR [OUT_TAR]]   (default $FS_WORK/build/parts, out/)
set -euo pipefail
export FS_STEP=update
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
fs_require_tools openssl tar sha256sum
PARTS=${1:-${FLASHSTOR_IMAGE_BUILD:-$FS_WORK/build}/parts}
for f in root.squashfs root.verity version roothash; do
  fs_require_file "$PARTS/$f" "a slot's parts; build them with: make image"
done
VERSION=$(cat "$PARTS/version")
ROOTHASH=$(cat "$PARTS/roothash")
UKI="$PARTS/flashstor-$VERSION.efi"
fs_require_file "$UKI" "the slot's unified kernel image"
OUT=${2:-$FS_OUT/flashstor-update-$VERSION.tar}
SDE=$(fs_source_date_epoch)
t0=$(date +%s)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
ln "$PARTS/root.squashfs" "$stage/root.squashfs" 2>/dev/null || cp "$PARTS/root.squashfs" "$stage/"
ln "$PARTS/root.verity" "$stage/root.verity" 2>/dev/null || cp "$PARTS/root.verity" "$stage/"
ln "$UKI" "$stage/flashstor.efi" 2>/dev/null || cp "$UKI" "$stage/flashstor.efi"
{
  echo "format=flashstor-update/1"
  echo "version=$VERSION"
  echo "roothash=$ROOTHASH"
  for f in root.squashfs root.verity flashstor.efi; do
    echo "file=$f $(stat -c %s "$stage/$f") $(sha256sum "$stage/$f" | cut -c1-64)"
  done
} >"$stage/manifest"
openssl pkeyutl -sign -inkey "$(fs_update_key)" -rawin -in "$stage/manifest" -out "$stage/manifest.sig" ||
  fs_die "openssl could not sign the manifest"
mkdir -p "$(dirname "$OUT")"
# manifest and signature first: the updater reads them before the large parts.
tar --create --file="$OUT.tmp" --directory="$stage" --format=gnu --mtime="@$SDE" \
  --owner=0 --group=0 --numeric-owner --mode=0644 \
  manifest manifest.sig root.squashfs root.verity flashstor.efi
mv "$OUT.tmp" "$OUT"
fs_log "signed with $(fs_update_key) (public key: $(openssl pkey -in "$(fs_update_key)" -pubout | sed -n 2p))"
echo "update:   $OUT"
echo "version:  $VERSION (root hash ${ROOTHASH:0:16}…)"
echo "size:     $(fs_human_size "$(stat -c %s "$OUT")")"
echo "sha256:   $(sha256sum "$OUT" | cut -c1-64)"
echo "build time: $(($(date +%s) - t0))s"
