#!/usr/bin/env bash
# `make deb`: packs the daemon, its systemd units, sysusers/tmpfiles, first-run script, SELinux
# module and example config into a reproducible flashstor_<version>_amd64.deb under $FS_OUT.
set -euo pipefail
export FS_STEP=deb
# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

fs_require_tools dpkg-deb dpkg-shlibdeps fakeroot
SDE=$(fs_source_date_epoch)
export SOURCE_DATE_EPOCH=$SDE
VERSION=$(fs_version)
UNITS="$FS_REPO/units"
CONFIG_EXAMPLE="$FS_REPO/rootfs-overlay/etc/flashstor/config.example.json"

fs_require_file "$FS_BIN" "the daemon binary; build it with: cmake -S . -B build && cmake --build build"
fs_require_file "$UNITS/flashstor.service" "the daemon's systemd unit (units/)"
fs_require_file "$CONFIG_EXAMPLE" "the default config example (rootfs-overlay/)"

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/flashstor-deb.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
ROOT="$STAGE/root"
install -d "$ROOT/DEBIAN" "$ROOT/usr/bin" "$ROOT/usr/lib/systemd/system" \
  "$ROOT/usr/lib/sysusers.d" "$ROOT/usr/lib/tmpfiles.d" "$ROOT/usr/share/flashstor"

# The package ships the binary stripped (ci/split-debug.sh, as `cmake --install` does); its
# debug symbols go to a separate flashstor-dbgsym .deb (below), which the image does not install.
DBG="$STAGE/dbgsym"
"$FS_REPO/ci/split-debug.sh" "$FS_BIN" "$ROOT/usr/bin/flashstor" "$DBG/usr/lib/debug" >/dev/null ||
  fs_die "cannot split the debug symbols off $FS_BIN"

# Units: every unit file in units/ (top level), plus drop-in folders such as foo.service.d/.
shopt -s nullglob
for f in "$UNITS"/*.{service,socket,target,timer,path,mount}; do
  install -m 0644 "$f" "$ROOT/usr/lib/systemd/system/"
done
for d in "$UNITS"/*.{service,socket}.d; do
  install -d "$ROOT/usr/lib/systemd/system/$(basename "$d")"
  install -m 0644 "$d"/*.conf "$ROOT/usr/lib/systemd/system/$(basename "$d")/"
done

# sysusers.d / tmpfiles.d: units/sysusers.d/*.conf or units/*.sysusers (same for tmpfiles).
install_conf() { # kind, destination folder
  local found=0 f
  for f in "$UNITS/$1.d"/*.conf "$UNITS"/*."$1"; do
    install -m 0644 "$f" "$2/$(basename "${f%.*}").conf"
    found=1
  done
  [ $found -eq 1 ] || fs_die "missing required file: units/$1.d/flashstor.conf (the $1 entries)"
}
install_conf sysusers "$ROOT/usr/lib/sysusers.d"
install_conf tmpfiles "$ROOT/usr/lib/tmpfiles.d"

# Helper programs the units run (the first-run script): every absolute Exec*= path whose file
# name exists in units/ (any depth) is installed at exactly that path.
helpers=0
while read -r path; do
  [ -n "$path" ] || continue
  case "$path" in /usr/bin/flashstor) continue ;; esac
  src=$(find "$UNITS" -type f -name "$(basename "$path")" ! -name '*.service' ! -name '*.socket' |
    sort | head -n1)
  # The first-run script may also live in rootfs-overlay/ at the path the unit runs.
  [ -n "$src" ] || { [ -f "$FS_REPO/rootfs-overlay$path" ] && src="$FS_REPO/rootfs-overlay$path"; }
  if [ -z "$src" ]; then
    case "$path" in
    /usr/lib/flashstor/* | /usr/libexec/flashstor/* | /usr/sbin/flashstor* | /usr/bin/flashstor*)
      fs_die "missing required file: units/$(basename "$path") or rootfs-overlay$path (run by a unit)" ;;
    *) continue ;; # a system program such as /usr/bin/systemctl
    esac
  fi
  install -D -m 0755 "$src" "$ROOT$path"
  helpers=$((helpers + 1))
done < <(grep -hoE '^Exec[A-Za-z]*=[-@:+!]*/[^ ]+' "$UNITS"/*.service 2>/dev/null |
  sed -E 's/^[^=]+=[-@:+!]*//' | sort -u)
grep -qs firstrun "$UNITS"/*.service ||
  fs_die "missing required file: units/flashstor-firstrun.service (the first-run unit)"
[ "$helpers" -gt 0 ] || fs_log "note: no helper script referenced by the units"

install -m 0644 "$CONFIG_EXAMPLE" "$ROOT/usr/share/flashstor/config.example.json"
# Optional drop-ins (units/*.conf, e.g. single-node.conf) ship for the administrator to enable.
for f in "$UNITS"/*.conf; do
  install -D -m 0644 "$f" "$ROOT/usr/share/flashstor/dropins/$(basename "$f")"
done

# SELinux module: compiled when selinux/ has a .te and the reference policy devel kit exists.
"$FS_IMAGE_DIR/lib/selinux-module.sh" "$FS_REPO/selinux" "$ROOT/usr/share/selinux/packages" ||
  fs_die "selinux/ did not compile (see above)"

# Package metadata: Depends from the binary's shared libraries (dpkg-shlibdeps).
mkdir -p "$STAGE/src/debian"
printf 'Source: flashstor\n\nPackage: flashstor\nArchitecture: amd64\n' >"$STAGE/src/debian/control"
depends=$(cd "$STAGE/src" && dpkg-shlibdeps -O -e"$ROOT/usr/bin/flashstor" 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || fs_die "dpkg-shlibdeps found no dependencies for $FS_BIN"
installed_size=$(du -sk --apparent-size "$ROOT" | cut -f1)
cat >"$ROOT/DEBIAN/control" <<EOF
Package: flashstor
Version: $VERSION
Architecture: amd64
Maintainer: Flashstor developers <flashstor@localhost>
Installed-Size: $installed_size
Depends: $depends, systemd (>= 252)
Section: net
Priority: optional
Description: S3-compatible object store daemon
 Flashstor serves the S3 API from erasure-coded local drives. This package
 holds the daemon, its hardened systemd units and the first-run configuration.
EOF
install -m 0755 "$FS_IMAGE_DIR/deb/postinst" "$ROOT/DEBIAN/postinst"
install -m 0755 "$FS_IMAGE_DIR/deb/postrm" "$ROOT/DEBIAN/postrm"

# Reproducibility: sorted members (dpkg-deb sorts), clamped mtimes, root:root ownership.
find "$ROOT" -exec touch -h -d "@$SDE" {} +
chmod -R go-w "$ROOT"
mkdir -p "$FS_OUT"
DEB="$FS_OUT/flashstor_${VERSION}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$DEB" >/dev/null
ln -sf "$(basename "$DEB")" "$FS_OUT/flashstor.deb"

# flashstor-dbgsym: /usr/lib/debug/.build-id/NN/REST.debug for the binary above (gdb and
# debuginfod find it by build-id). Same reproducibility rules; not part of the image.
install -d "$DBG/DEBIAN"
cat >"$DBG/DEBIAN/control" <<EOF
Package: flashstor-dbgsym
Version: $VERSION
Architecture: amd64
Maintainer: Flashstor developers <flashstor@localhost>
Installed-Size: $(du -sk --apparent-size "$DBG" | cut -f1)
Depends: flashstor (= $VERSION)
Section: debug
Priority: optional
Description: debug symbols for flashstor
 The separate debug information of /usr/bin/flashstor, by build-id.
EOF
find "$DBG" -exec touch -h -d "@$SDE" {} +
chmod -R go-w "$DBG"
DBGDEB="$FS_OUT/flashstor-dbgsym_${VERSION}_amd64.deb"
dpkg-deb --root-owner-group -Zxz --build "$DBG" "$DBGDEB" >/dev/null
fs_log "built $DBGDEB ($(fs_human_size "$(stat -c %s "$DBGDEB")"))"
fs_log "built $DEB ($(fs_human_size "$(stat -c %s "$DEB")"), sha256 $(sha256sum "$DEB" | cut -c1-64))"
dpkg-deb --contents "$DEB" | awk '{print "  " $6}' | grep -v '/$' >&2
