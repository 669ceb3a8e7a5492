#!/usr/bin/env bash
# `make image`: resolves the package set (image/lib/resolve.sh: image/packages.lock when the archive
# still offers every pinned version, else the archive's current versions with a notice;
# IMAGE_LOCK=strict refuses that), installs exactly that set and the project .deb with
# mmdebstrap, then assembles the verity root, A/B slots, ESP and /var (lib/mkdisk.sh).
# FLASHSTOR_IMAGE_SET=FILE builds from a set an earlier build resolved, without asking the archive
# again (the reproducibility test's second build). The set's packages ship in the image
# (/usr/lib/flashstor/image-packages); the set with how it was resolved goes next to it in out/
# (flashstor-<version>.packages, and lines of the manifest). Prints the image path, size, sha256
# and the set.
# Needs root (mmdebstrap --mode=root, chroot).
set -euo pipefail
export FS_STEP=image
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
fs_require_tools openssl mmdebstrap mksquashfs veritysetup sfdisk mkfs.vfat mcopy mkfs.ext4 objcopy
[ "$(id -u)" -eq 0 ] || fs_die "make image needs root (mmdebstrap --mode=root and chroot)"

START=$(date +%s)
SDE=$(fs_source_date_epoch)
export SOURCE_DATE_EPOCH=$SDE
VERSION=$(fs_version)
# One version for the whole build: lib/mkdisk.sh asks again, and a commit landing meanwhile would
# otherwise name the UKI and IMAGE_VERSION differently from the manifest.
export FLASHSTOR_VERSION=$VERSION
DEB="${FLASHSTOR_DEB:-$FS_OUT/flashstor.deb}"
fs_require_file "$DEB" "the project package; build it with: make deb"

BUILD="${FLASHSTOR_IMAGE_BUILD:-$FS_WORK/build}"
rm -rf "$BUILD"
mkdir -p "$BUILD" "$FS_OUT"
ROOT="$BUILD/root"

# The package set: the build's only package input besides the .deb.
SET="$BUILD/image-packages"
if [ -n "${FLASHSTOR_IMAGE_SET:-}" ]; then
  fs_require_file "$FLASHSTOR_IMAGE_SET" "FLASHSTOR_IMAGE_SET, a package set written by an earlier make image"
  cp "$FLASHSTOR_IMAGE_SET" "$SET"
  fs_log "package set: $FLASHSTOR_IMAGE_SET as given (not resolved again)"
else
  "$FS_IMAGE_DIR/lib/resolve.sh" "$SET" "$DEB"
fi
# The public key flashstor-update checks an update's signature with (lib/common.sh).
PUBKEY="$BUILD/update-key.pem"
fs_update_pubkey "$PUBKEY"
SET_FROM=$(sed -n 's/^# from: \([a-z]*\).*/\1/p' "$SET" | head -n1)
mapfile -t moved < <(sed -n 's/^# moved: //p' "$SET")
mapfile -t locked < <(fs_set_entries "$SET" | awk '{print $1 "=" $2}')
[ ${#locked[@]} -gt 0 ] || fs_die "the package set $SET lists no packages"
mapfile -t sources < <(fs_sources)
fs_log "version $VERSION, SOURCE_DATE_EPOCH $SDE, ${#locked[@]} packages (from ${SET_FROM:-?}) from $(fs_mirror)"

excludes=(--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias'
  --dpkgopt='path-exclude=/usr/share/lintian/*')
log="$BUILD/mmdebstrap.log"
# Downloaded .debs are kept between builds (apt checks their hashes against the archive).
CACHE="$FS_WORK/apt-cache"
mkdir -p "$CACHE"
t0=$(date +%s)
if ! mmdebstrap --mode=root --variant=custom --format=directory --skip=download/empty --include="$(IFS=,; echo "${locked[*]}")" \
  "${excludes[@]}" --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --setup-hook="mkdir -p \"\$1/etc/initramfs-tools/conf.d\" \"\$1/usr/share/initramfs-tools\"" \
  --setup-hook="cp -a '$FS_IMAGE_DIR/files/etc/initramfs-tools/conf.d/.' \"\$1/etc/initramfs-tools/conf.d/\"" \
  --setup-hook="cp -a '$FS_IMAGE_DIR/files/usr/share/initramfs-tools/.' \"\$1/usr/share/initramfs-tools/\"" \
  --setup-hook="mkdir -p \"\$1/var/cache/apt/archives\"" \
  --setup-hook="sync-in '$CACHE' /var/cache/apt/archives/" \
  --customize-hook="sync-out /var/cache/apt/archives '$CACHE'" \
  --customize-hook="'$FS_IMAGE_DIR/lib/customize.sh' \"\$1\" '$DEB' '$SET' '$PUBKEY'" \
  "$FS_SUITE" "$ROOT" "${sources[@]}" >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  # A version of the set the archive dropped since it was resolved (a given set, or an update
  # published during the build).
  grep -oE "Version '[^']+' for '[^']+' was not found" "$log" | sort -u |
    while read -r _ ver _ pkg _; do
      fs_log "package ${pkg//\'/}: the set has ${ver//\'/}, which the archive no longer offers"
    done
  fs_die "mmdebstrap failed (log: $log); a set resolved earlier goes stale when the archive moves on: build without FLASHSTOR_IMAGE_SET to resolve again"
fi
ROOTFS_SECONDS=$(($(date +%s) - t0))

# Exactly the resolved set: anything else (a new dependency of the .deb, say) fails the build.
diff <(fs_set_entries "$SET" | awk '{print $1, $2}' | LC_ALL=C sort) \
  <(chroot "$ROOT" dpkg-query -W -f='${binary:Package} ${Version}\n' | sed 's/:amd64 / /' |
    grep -v '^flashstor ' | LC_ALL=C sort) >"$BUILD/lock.diff" ||
  {
    sed -n 's/^[<>] /  /p' "$BUILD/lock.diff" >&2
    fs_die "installed packages differ from the package set ('<' in the set, '>' installed); run make image-lock if packages.list or the .deb's Depends changed"
  }
PACKAGES=$(chroot "$ROOT" dpkg-query -W | wc -l)

IMG="$FS_OUT/flashstor-$VERSION.raw"
"$FS_IMAGE_DIR/lib/mkdisk.sh" "$ROOT" "$BUILD" "$IMG"
ln -sf "$(basename "$IMG")" "$FS_OUT/flashstor.raw"
rm -rf "$ROOT"

SECONDS_TOTAL=$(($(date +%s) - START))
SHA=$(sha256sum "$IMG" | cut -c1-64)
# The set next to the image, with how it was resolved: the packages of
# /usr/lib/flashstor/image-packages, and the input FLASHSTOR_IMAGE_SET takes to build it again.
SETOUT="$FS_OUT/flashstor-$VERSION.packages"
cp "$SET" "$SETOUT"
ln -sf "$(basename "$SETOUT")" "$FS_OUT/flashstor.packages"
SET_SHA=$(sha256sum "$SETOUT" | cut -c1-64)
case $SET_FROM in
lock) from_text="${FS_LOCK#"$FS_REPO"/} as pinned" ;;
archive) from_text="the archive's current versions, ${#moved[@]} moved from ${FS_LOCK#"$FS_REPO"/}" ;;
*) from_text="$SETOUT" ;;
esac
{
  echo "version=$VERSION"
  echo "source_date_epoch=$SDE"
  echo "packages=$PACKAGES"
  echo "packages_from=$SET_FROM"
  echo "packages_moved=${#moved[@]}"
  echo "package_set=$SETOUT"
  echo "package_set_sha256=$SET_SHA"
  echo "rootfs_seconds=$ROOTFS_SECONDS"
  echo "build_seconds=$SECONDS_TOTAL"
  echo "image=$IMG"
  echo "image_bytes=$(stat -c %s "$IMG")"
  echo "image_allocated_bytes=$(($(stat -c %b "$IMG") * $(stat -c %B "$IMG")))"
  echo "sha256=$SHA"
  cat "$BUILD/disk.env"
  for m in "${moved[@]}"; do echo "moved=$m"; done
  fs_set_entries "$SET" | sed 's/^/package=/'
} >"$FS_OUT/flashstor-$VERSION.manifest"
ln -sf "flashstor-$VERSION.manifest" "$FS_OUT/flashstor.manifest"
echo "image:    $IMG"
echo "size:     $(fs_human_size "$(stat -c %s "$IMG")") raw (sparse, $(du -h "$IMG" | cut -f1) allocated)"
echo "sha256:   $SHA"
echo "packages: $PACKAGES = ${#locked[@]} from $from_text + flashstor $VERSION"
for m in "${moved[@]}"; do echo "  moved:  $m"; done
echo "package set: $SETOUT (sha256 $SET_SHA); listed in the image in /usr/lib/flashstor/image-packages"
echo "build time: ${SECONDS_TOTAL}s"
