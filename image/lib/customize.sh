#!/usr/bin/env bash
# mmdebstrap customize hook: installs the project .deb, lays image/files/ and rootfs-overlay/
# over the root, enables units, rebuilds the initramfs and removes everything non-reproducible.
# Usage (by build-image.sh): customize.sh ROOTDIR DEB SET PUBKEY   (SET: the resolved package set,
# PUBKEY: the public key updates are signed for)
set -euo pipefail
export FS_STEP=customize
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
ROOT=$1
DEB=$2
SET=$3
PUBKEY=$4
SDE=$(fs_source_date_epoch)
in_root() { chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin SOURCE_DATE_EPOCH="$SDE" "$@"; }

# 1. The project package (its Depends must already be satisfied by the package set).
cp "$DEB" "$ROOT/tmp/flashstor.deb"
if ! in_root dpkg -i /tmp/flashstor.deb >/dev/null; then
  absent=$(FS_LIST=/dev/null fs_wanted_packages "$DEB" |
    while read -r p; do in_root dpkg-query -W "$p" >/dev/null 2>&1 || echo "$p"; done | paste -sd' ' -)
  fs_die "flashstor.deb needs packages missing from the package set: ${absent:-(see dpkg above)}; add them to image/packages.list and run make image-lock"
fi
rm -f "$ROOT/tmp/flashstor.deb"

# 2. Overlays: image-specific files first, then the product's rootfs-overlay/ (wins on conflict).
overlay() {
  [ -d "$1" ] || return 0
  cp -R --no-dereference --preserve=mode,timestamps "$1/." "$ROOT/"
}
overlay "$FS_IMAGE_DIR/files"
overlay "$FS_REPO/rootfs-overlay"
[ -n "$(ls -A "$FS_REPO/rootfs-overlay" 2>/dev/null)" ] ||
  fs_log "note: rootfs-overlay/ is empty; the image carries no product config overlay"
chmod -R u+rwX,go+rX,go-w "$ROOT/etc/systemd" "$ROOT/usr/lib/flashstor"
# The package set this image was built from (after the overlays: nothing replaces it): the
# entries only, so the image depends on the packages, not on how they were resolved.
{
  echo "# The packages of this image besides flashstor: name version architecture (sorted)."
  echo "# How they were resolved: the flashstor-<version>.manifest and .packages next to the image."
  fs_set_entries "$SET" | LC_ALL=C sort
} >"$ROOT/usr/lib/flashstor/image-packages"
chmod 0644 "$ROOT/usr/lib/flashstor/image-packages"
# The key flashstor-update verifies an update's signature with (the private half stays with the
# builder: $FLASHSTOR_UPDATE_KEY or the work folder's development key).
install -D -m 0644 "$PUBKEY" "$ROOT/usr/share/flashstor/update-key.pem"

# 2b. SELinux, enforcing: Debian's reference policy plus the flashstor module the .deb ships and
#     the image's own module (image/selinux/: the helpers around the daemon); mkdisk.sh labels
#     the files.
if [ -f "$ROOT/etc/selinux/config" ]; then
  pp=/usr/share/selinux/packages/flashstor.pp
  [ -f "$ROOT$pp" ] || fs_die "$pp missing from the .deb (selinux-policy-dev on the build host?)"
  "$FS_IMAGE_DIR/lib/selinux-module.sh" "$FS_IMAGE_DIR/selinux" "$ROOT/usr/share/selinux/image" ||
    fs_die "image/selinux/ did not compile"
  in_root semodule -n -X 300 -i "$pp" -i /usr/share/selinux/image/flashstor_image.pp ||
    fs_die "semodule could not install the flashstor modules into the image's policy"
  sed -i -e 's/^SELINUX=.*/SELINUX=enforcing/' -e 's/^SELINUXTYPE=.*/SELINUXTYPE=default/' \
    "$ROOT/etc/selinux/config"
  for m in flashstor flashstor_image; do
    in_root semodule -n -l | grep -qx "$m" || fs_die "the $m module is not in the image's policy"
  done
fi

# 3. Units: everything the .deb or image/files ship with an [Install] section, plus networkd.
mapfile -t units < <(
  {
    dpkg-deb --contents "$DEB" | awk '{print $6}' | grep -E '^\./usr/lib/systemd/system/[^/]+$'
    (cd "$FS_IMAGE_DIR/files" && find ./usr/lib/systemd/system -maxdepth 1 -type f)
  } | xargs -rn1 basename | sort -u |
    while read -r u; do grep -qs '^\[Install\]' "$ROOT/usr/lib/systemd/system/$u" && echo "$u"; done
)
fs_log "enabling: ${units[*]} systemd-networkd.service"
in_root systemctl enable --quiet "${units[@]}" systemd-networkd.service
in_root systemctl set-default multi-user.target >/dev/null 2>&1
# Nothing may write the read-only root at boot; these would fail or race on it.
# The ESP belongs to flashstor-update (A/B entries) and systemd-bless-boot: systemd-boot's own
# units would update the loader or write a system token there behind their back.
in_root systemctl mask --quiet systemd-firstboot.service apt-daily.timer apt-daily-upgrade.timer \
  e2scrub_all.timer e2scrub_reap.service systemd-boot-update.service \
  systemd-boot-system-token.service 2>/dev/null || true

# 4. Directories the units expect, created now because / is read-only at boot: the tmpfiles.d
#    entries of the package, data drive mount points (a missing drive stays a read-only empty
#    folder) and the writable layer of /etc/flashstor (files/usr/lib/systemd/system/etc-flashstor.mount).
in_root systemd-tmpfiles --create /usr/lib/tmpfiles.d/flashstor.conf >/dev/null 2>&1 ||
  fs_die "systemd-tmpfiles --create flashstor.conf failed in the image root"
for n in $(seq 1 16); do install -d -m 0755 "$ROOT/srv/flashstor/disk$n"; done
install -d -m 0700 "$ROOT/efi"
install -d -m 0700 "$ROOT/var/lib/flashstor-etc" "$ROOT/var/lib/flashstor-etc/upper" \
  "$ROOT/var/lib/flashstor-etc/work"
# Single-node appliance: no cluster peers, so the daemon gets no network of its own.
if [ -f "$ROOT/usr/share/flashstor/dropins/single-node.conf" ]; then
  install -D -m 0644 "$ROOT/usr/share/flashstor/dropins/single-node.conf" \
    "$ROOT/usr/lib/systemd/system/flashstor.service.d/20-single-node.conf"
fi

# 5. Initramfs with the verity hook (the kernel's postinst ran before cryptsetup-bin existed).
in_root update-initramfs -u -k all >/dev/null 2>&1 || fs_die "update-initramfs failed"
initrd=$(ls "$ROOT"/boot/initrd.img-* | head -n1)
contents=$(in_root lsinitramfs "/boot/${initrd##*/}")
for need in sbin/veritysetup scripts/local-top/flashstor-verity dm-verity.ko squashfs.ko; do
  grep -q "$need" <<<"$contents" ||
    fs_die "initramfs lacks $need (image/files/usr/share/initramfs-tools/)"
done

# 6. Identity and reproducibility: no machine id, no logs, caches or random seeds.
: >"$ROOT/etc/machine-id"
ln -sf /etc/machine-id "$ROOT/var/lib/dbus/machine-id"
# Log files go, the folders packages own (e.g. /var/log/audit) stay.
find "$ROOT/var/log" -type f -delete
rm -rf "$ROOT"/var/cache/apt/* "$ROOT"/var/lib/apt/lists/* \
  "$ROOT"/var/cache/ldconfig/aux-cache "$ROOT"/var/lib/systemd/random-seed \
  "$ROOT"/var/cache/debconf/*-old "$ROOT"/var/lib/dpkg/*-old "$ROOT"/etc/*- \
  "$ROOT"/etc/ssh/ssh_host_* "$ROOT"/tmp/* "$ROOT"/var/tmp/*
install -d -m 2755 "$ROOT/var/log/journal"
# Size: documentation, manuals and translations (dpkg path-exclude keeps most out already).
find "$ROOT/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
rm -rf "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* "$ROOT"/usr/share/lintian
find "$ROOT/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
