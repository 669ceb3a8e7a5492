#!/usr/bin/env bash
# `make image`: builds the appliance disk from image/packages.lock (exact versions) and the project
# .deb with mmdebstrap, then assembles the verity root, A/B slots, ESP and /var (lib/mkdisk.sh).
# Prints the image path, size and sha256. Needs root (mmdebstrap --mode=root, chroot).
set -euo pipefail
export FS_STEP=image
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
fs_require_tools mmdebstrap mksquashfs veritysetup sfdisk mkfs.vfat mcopy mkfs.ext4 objcopy
[ "$(id -u)" -eq 0 ] || fs_die "make image needs root (mmdebstrap --mode=root and chroot)"

START=$(date +%s)
SDE=$(fs_source_date_epoch)
export SOURCE_DATE_EPOCH=$SDE
VERSION=$(fs_version)
LOCK="$FS_IMAGE_DIR/packages.lock"
DEB="${FLASHSTOR_DEB:-$FS_OUT/flashstor.deb}"
fs_require_file "$LOCK" "exact package versions; create it with image/lock-refresh.sh"
fs_require_file "$DEB" "the project package; build it with: make deb"

BUILD="${FLASHSTOR_IMAGE_BUILD:-$FS_WORK/build}"
rm -rf "$BUILD"
mkdir -p "$BUILD" "$FS_OUT"
ROOT="$BUILD/root"

# Every locked package at its exact version; apt fails on a version the archive no longer has.
mapfile -t locked < <(grep -v '^#' "$LOCK" | awk 'NF == 3 {print $1 "=" $2}')
[ ${#locked[@]} -gt 0 ] || fs_die "image/packages.lock lists no packages"
mapfile -t sources < <(fs_sources)
fs_log "version $VERSION, SOURCE_DATE_EPOCH $SDE, ${#locked[@]} locked packages from $(fs_mirror)"

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
  --customize-hook="'$FS_IMAGE_DIR/lib/customize.sh' \"\$1\" '$DEB'" \
  "$FS_SUITE" "$ROOT" "${sources[@]}" >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  # Name the packages whose locked version the archive no longer offers.
  grep -oE "Version '[^']+' for '[^']+' was not found" "$log" | sort -u |
    while read -r _ ver _ pkg _; do
      pkg=${pkg//\'/} ver=${ver//\'/}
      now=$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ {print $2}')
      fs_log "package $pkg changed: locked $ver, archive now has ${now:-?}"
    done
  fs_die "mmdebstrap failed (log: $log); if the archive moved on, run image/lock-refresh.sh"
fi
ROOTFS_SECONDS=$(($(date +%s) - t0))

# Exactly the locked set: anything else (a new dependency of the .deb, say) fails the build.
diff <(grep -v '^#' "$LOCK" | awk 'NF == 3 {print $1, $2}') \
  <(chroot "$ROOT" dpkg-query -W -f='${binary:Package} ${Version}\n' | sed 's/:amd64 / /' |
    grep -v '^flashstor ' | LC_ALL=C sort) >"$BUILD/lock.diff" ||
  {
    sed -n 's/^[<>] /  /p' "$BUILD/lock.diff" >&2
    fs_die "installed packages differ from image/packages.lock ('<' locked, '>' installed)"
  }
PACKAGES=$(chroot "$ROOT" dpkg-query -W | wc -l)

IMG="$FS_OUT/flashstor-$VERSION.raw"
"$FS_IMAGE_DIR/lib/mkdisk.sh" "$ROOT" "$BUILD" "$IMG"
ln -sf "$(basename "$IMG")" "$FS_OUT/flashstor.raw"
rm -rf "$ROOT"

SECONDS_TOTAL=$(($(date +%s) - START))
SHA=$(sha256sum "$IMG" | cut -c1-64)
{
  echo "version=$VERSION"
  echo "source_date_epoch=$SDE"
  echo "packages=$PACKAGES"
  echo "rootfs_seconds=$ROOTFS_SECONDS"
  echo "build_seconds=$SECONDS_TOTAL"
  echo "image=$IMG"
  echo "image_bytes=$(stat -c %s "$IMG")"
  echo "image_allocated_bytes=$(($(stat -c %b "$IMG") * $(stat -c %B "$IMG")))"
  echo "sha256=$SHA"
  cat "$BUILD/disk.env"
} >"$FS_OUT/flashstor-$VERSION.manifest"
ln -sf "flashstor-$VERSION.manifest" "$FS_OUT/flashstor.manifest"
echo "image:   $IMG"
echo "size:    $(fs_human_size "$(stat -c %s "$IMG")") raw (sparse, $(du -h "$IMG" | cut -f1) allocated)"
echo "sha256:  $SHA"
echo "packages: $PACKAGES, build time: ${SECONDS_TOTAL}s"
