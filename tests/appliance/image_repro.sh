#!/usr/bin/env bash
# Reproducibility: builds the image twice from clean build folders with the same inputs and
# compares the sha256 of the whole disk; on a mismatch names the partition and, inside it, the
# files that differ (unsquashfs listing, diffoscope when installed). The inputs are the binary,
# version, SOURCE_DATE_EPOCH and the package set: build a resolves the set against the archive
# (image/lib/resolve.sh), build b installs build a's set as given (FLASHSTOR_IMAGE_SET) and does
# not resolve again.
# Usage: image_repro.sh WORKDIR   (the first build's image ends in WORKDIR/a/out)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export FS_STEP=repro
# shellcheck source=../../image/lib/common.sh
. "$HERE/../../image/lib/common.sh"
W=${1:?usage: image_repro.sh WORKDIR}
mkdir -p "$W"
# The same inputs for both builds, even if a commit lands or the binary is rebuilt meanwhile.
SOURCE_DATE_EPOCH=$(fs_source_date_epoch)
FLASHSTOR_VERSION=$(fs_version)
fs_require_file "$FS_BIN" "the daemon binary; build it with: make build"
install -m 0755 "$FS_BIN" "$W/flashstor"
FLASHSTOR_BIN="$W/flashstor"
export SOURCE_DATE_EPOCH FLASHSTOR_VERSION FLASHSTOR_BIN
echo "  inputs: version $FLASHSTOR_VERSION, SOURCE_DATE_EPOCH $SOURCE_DATE_EPOCH"

build() { # NAME [PACKAGE_SET]
  local t0
  t0=$(date +%s)
  rm -rf "${W:?}/$1"
  if ! FLASHSTOR_IMAGE_OUT="$W/$1/out" FLASHSTOR_IMAGE_BUILD="$W/$1/build" \
    FLASHSTOR_DEB="$W/$1/out/flashstor.deb" FLASHSTOR_IMAGE_SET="${2:-}" bash -c \
    '"$0/image/build-deb.sh" && "$0/image/build-image.sh"' "$FS_REPO" >"$W/$1.log" 2>&1; then
    tail -n 20 "$W/$1.log"
    echo "  FAIL  build $1 (log: $W/$1.log)"
    return 1
  fi
  echo "  ok    build $1 in $(($(date +%s) - t0)) s"
}

explain() { # what differs between the two builds
  local p a b
  for p in esp.img root.squashfs root.verity var.img; do
    a="$W/a/build/parts/$p" b="$W/b/build/parts/$p"
    cmp -s "$a" "$b" && continue
    echo "  differs: $p"
    case $p in
    root.squashfs)
      diff <(unsquashfs -lls -d '' "$a" 2>/dev/null) <(unsquashfs -lls -d '' "$b" 2>/dev/null) |
        head -n 20 | sed 's/^/    /'
      ;;
    var.img)
      # The first inode that differs, field by field (diffoscope-minimal cannot open ext4).
      for ino in $(seq 2 64); do
        d=$(diff <(debugfs -R "stat <$ino>" "$a" 2>/dev/null) <(debugfs -R "stat <$ino>" "$b" 2>/dev/null))
        [ -n "$d" ] && { echo "    inode $ino:"; echo "$d" | head -n 12 | sed 's/^/      /'; break; }
      done
      ;;
    esac
    if command -v diffoscope >/dev/null 2>&1; then
      timeout 120 diffoscope --text "$W/diffoscope-$p.txt" "$a" "$b" >/dev/null 2>&1
      if [ -s "$W/diffoscope-$p.txt" ]; then
        echo "    diffoscope: $W/diffoscope-$p.txt"
        head -n 30 "$W/diffoscope-$p.txt" | sed 's/^/    /'
      else
        echo "    diffoscope: no report (timed out, or it cannot read $p)"
      fi
    fi
  done
  cmp -s "$W/a/out/flashstor.deb" "$W/b/out/flashstor.deb" || echo "  differs: flashstor.deb"
  cmp -s "$W/a/out/flashstor.packages" "$W/b/out/flashstor.packages" || echo "  differs: package set"
}

fail=0
build a || fail=1
# How build a resolved its set (the lock as pinned, or the archive's versions and what moved).
grep -E '^\[[a-z]+\] (package set:|NOTICE:)' "$W/a.log" | sed 's/^\[[a-z]*\] /  /'
SET_A=$(readlink -f "$W/a/out/flashstor.packages")
if [ $fail -eq 0 ] && [ -f "$SET_A" ]; then
  echo "  inputs: package set sha256 $(sed -n 's/^package_set_sha256=//p' "$W/a/out/flashstor.manifest")," \
    "from $(sed -n 's/^# from: //p' "$SET_A")"
  build b "$SET_A" || fail=1
  if grep -q 'package set: .* as given (not resolved again)' "$W/b.log" &&
    ! grep -q '^\[resolve\]' "$W/b.log"; then
    echo "  ok    build b used build a's package set (not resolved again)"
  else
    echo "  FAIL  build b resolved its package set again (log: $W/b.log)"
    fail=1
  fi
else
  echo "  FAIL  build b skipped: build a left no package set"
  fail=1
fi
if [ $fail -eq 0 ]; then
  sa=$(sha256sum "$W/a/out/flashstor.raw" | cut -c1-64)
  sb=$(sha256sum "$W/b/out/flashstor.raw" | cut -c1-64)
  if [ "$sa" = "$sb" ]; then
    echo "  ok    two clean builds give the same image (sha256 $sa)"
  else
    echo "  FAIL  images differ: $sa vs $sb"
    explain
    fail=1
  fi
  # The image lists the packages of the set it was built from.
  if diff -q <(unsquashfs -cat "$W/a/build/parts/root.squashfs" usr/lib/flashstor/image-packages \
    2>/dev/null | fs_set_entries /dev/stdin) <(fs_set_entries "$SET_A" | LC_ALL=C sort) >/dev/null; then
    echo "  ok    the image ships its package set (/usr/lib/flashstor/image-packages)"
  else
    echo "  FAIL  /usr/lib/flashstor/image-packages in the image lists other packages than $SET_A"
    fail=1
  fi
  if cmp -s "$W/a/out/flashstor.deb" "$W/b/out/flashstor.deb"; then
    echo "  ok    two builds give the same .deb"
  else
    echo "  FAIL  .deb differs"
    fail=1
  fi
fi
exit $fail
