#!/usr/bin/env bash
# Resolves the image's package set against the archive the build has, and writes it to OUT:
#   - image/packages.lock as it is, when the archive still offers every pinned version and the
#     lock names every package of image/packages.list and of the .deb's Depends;
#   - otherwise the archive's current closure of those packages (image/lib/archive.sh resolve),
#     with a NOTICE naming each package that moved (old -> new);
#   - IMAGE_LOCK=strict refuses the second case (release builds: the lock or nothing).
# OUT has the lock's format ("name version architecture", sorted) and a header whose "# from:"
# line says which case it was; image/build-image.sh installs exactly OUT.
# Usage: resolve.sh OUT [DEB]
set -euo pipefail
export FS_STEP=resolve
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
OUT=${1:?usage: resolve.sh OUT [DEB]}
DEB=${2:-}
MODE=${IMAGE_LOCK:-auto}
case $MODE in
auto | strict) ;;
*) fs_die "IMAGE_LOCK=$MODE: use IMAGE_LOCK=strict (build from the lock or refuse) or leave it unset" ;;
esac
lockname=${FS_LOCK#"$FS_REPO"/}
fs_require_file "$FS_LIST" "the image package selection"
fs_require_file "$FS_LOCK" "exact package versions; create it with: make image-lock"
lock=$(fs_set_entries "$FS_LOCK")
[ -n "$lock" ] || fs_die "$lockname lists no packages"
mapfile -t wanted < <(fs_wanted_packages "$DEB" | LC_ALL=C sort -u)
mirror=$(fs_mirror)

# Which pinned versions the archive offers, and which wanted packages the lock lacks (only those
# the archive has as real packages; anything else is left to apt and dpkg to report).
offered=$({ awk '{print $1}' <<<"$lock"; printf '%s\n' "${wanted[@]}"; } | LC_ALL=C sort -u |
  xargs "$FS_ARCHIVE" versions) || fs_die "could not read the archive's versions ($FS_ARCHIVE)"
mapfile -t drift < <(
  awk -v wanted="$(printf '%s ' "${wanted[@]}")" '
    FILENAME == ARGV[1] { if (!($1 in newest)) newest[$1] = $2; has[$1 " " $2] = 1; next }
    { locked[$1] = 1
      if (!(($1 " " $2) in has))
        printf "%s: locked %s, the archive offers %s\n", $1, $2, ($1 in newest ? newest[$1] : "no version") }
    END { n = split(wanted, w, " ")
      for (i = 1; i <= n; i++)
        if (!(w[i] in locked) && (w[i] in newest))
          printf "%s: not in the lock (asked for by the package list or the .deb)\n", w[i] }
  ' <(printf '%s\n' "$offered") <(printf '%s\n' "$lock"))

header() {
  echo "# Package set of the Flashstor image: name version architecture (sorted), every package"
  echo "# of the image but flashstor. Written by image/lib/resolve.sh; the image installs exactly this."
}

if [ ${#drift[@]} -eq 0 ]; then
  {
    header
    echo "# from: lock ($lockname, every pinned version offered)"
    printf '%s\n' "$lock" | LC_ALL=C sort
  } >"$OUT"
  fs_log "package set: $lockname as pinned ($(wc -l <<<"$lock") packages, all offered by $mirror)"
  exit 0
fi

fs_log "NOTICE: $lockname is out of date against $mirror:"
for d in "${drift[@]}"; do fs_log "NOTICE:   $d"; done
if [ "$MODE" = strict ]; then
  fs_die "IMAGE_LOCK=strict: refusing to build from anything but $lockname; refresh it with: make image-lock"
fi

fs_log "resolving ${#wanted[@]} packages against $mirror (the archive's current versions)"
current=$("$FS_ARCHIVE" resolve "${wanted[@]}") || fs_die "could not resolve the package list ($FS_ARCHIVE)"
current=$(awk 'NF == 3 {print $1, $2, $3}' <<<"$current" | LC_ALL=C sort)
[ -n "$current" ] || fs_die "the archive resolved the package list to nothing"
# old -> new per package: changed versions, packages no longer needed, new packages.
mapfile -t moved < <(fs_set_moves <(printf '%s\n' "$lock") <(printf '%s\n' "$current"))
{
  header
  echo "# from: archive ($lockname out of date; ${#moved[@]} packages moved from it)"
  for m in "${moved[@]}"; do echo "# moved: $m"; done
  printf '%s\n' "$current"
} >"$OUT"
fs_log "NOTICE: building from the archive's current versions; ${#moved[@]} packages moved from $lockname (old -> new):"
for m in "${moved[@]}"; do fs_log "NOTICE:   $m"; done
fs_log "NOTICE: make image-lock records the current versions in $lockname; IMAGE_LOCK=strict refuses instead"
