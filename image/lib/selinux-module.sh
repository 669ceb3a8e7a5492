#!/usr/bin/env bash
# Compiles the SELinux policy module in SRC (selinux/*.te, .fc, .if) to DEST/flashstor.pp with the
# reference policy devel Makefile. Skips with a message when there is nothing to build or no kit.
# Usage: selinux-module.sh SRC DEST
set -euo pipefail
src=$1 dest=$2
shopt -s nullglob
tes=("$src"/*.te)
if [ ${#tes[@]} -eq 0 ]; then
  echo "[deb] SELinux: no .te in ${src##*/}/, module skipped" >&2
  exit 0
fi
kit=/usr/share/selinux/devel/Makefile
if [ ! -f "$kit" ]; then
  echo "[deb] SELinux: $kit missing (install selinux-policy-dev), module skipped" >&2
  exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/flashstor-selinux.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$src"/*.te "$src"/*.fc "$src"/*.if "$work"/ 2>/dev/null || cp "$src"/*.te "$work"/
for te in "$work"/*.te; do
  name=$(basename "$te" .te)
  if ! make -s -C "$work" -f "$kit" "$name.pp" >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    echo "[deb] SELinux: $name.te failed to compile" >&2
    exit 1
  fi
  install -D -m 0644 "$work/$name.pp" "$dest/$name.pp"
  echo "[deb] SELinux: built $name.pp" >&2
done
