#!/usr/bin/env bash
# The Debian archive as the image build sees it (the same sources as fs_sources: the host's
# mirror, bookworm, bookworm-updates, bookworm-security). Two questions, nothing else:
#   archive.sh versions PKG...  every version the archive offers of each PKG, one
#                               "name version" line each, newest first per package; a package
#                               the archive does not have prints nothing
#   archive.sh resolve PKG...   the closed package set Debian's Essential set plus PKG... installs
#                               today (mmdebstrap --variant=essential, as the image build does):
#                               "name version architecture" lines, sorted
# `versions` reads a private apt state in $FS_WORK/apt-state (apt-get update, then apt-cache
# madison), never the host's. image/lib/resolve.sh calls this script; tests substitute it
# through $FLASHSTOR_ARCHIVE.
set -euo pipefail
export FS_STEP=archive
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

# A private apt configuration: the build's sources, the host's keyrings, an empty dpkg status,
# no host apt.conf.d or preferences (apt reads APT_CONFIG before Dir::Etc::Parts).
apt_state() {
  local d=$FS_WORK/apt-state
  mkdir -p "$d/etc/apt.conf.d" "$d/etc/preferences.d" "$d/etc/sources.list.d" \
    "$d/lists/partial" "$d/cache/archives/partial"
  [ -e "$d/status" ] || : >"$d/status"
  fs_sources >"$d/etc/sources.list"
  cat >"$d/apt.conf" <<EOF
Dir::Etc::Main "$d/etc/apt.conf";
Dir::Etc::Parts "$d/etc/apt.conf.d";
Dir::Etc::Preferences "$d/etc/preferences";
Dir::Etc::PreferencesParts "$d/etc/preferences.d";
Dir::Etc::SourceList "$d/etc/sources.list";
Dir::Etc::SourceParts "$d/etc/sources.list.d";
Dir::Etc::TrustedParts "/etc/apt/trusted.gpg.d";
Dir::State "$d";
Dir::State::Lists "$d/lists";
Dir::State::Status "$d/status";
Dir::Cache "$d/cache";
APT::Architecture "amd64";
APT::Architectures "amd64";
Acquire::Languages "none";
Debug::NoLocking "true";
EOF
  [ "$(id -u)" -ne 0 ] || echo 'APT::Sandbox::User "root";' >>"$d/apt.conf"
  printf '%s\n' "$d/apt.conf"
}

versions() {
  [ $# -gt 0 ] || return 0
  local conf log
  conf=$(apt_state)
  log=$FS_WORK/apt-state/update.log
  # Indexes only (about 10 MB the first time, then what changed).
  if ! APT_CONFIG=$conf apt-get -q update >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    fs_die "apt-get update against $(fs_mirror) failed (log: $log)"
  fi
  # madison: " name | version | url suite/component arch Packages", newest version first.
  APT_CONFIG=$conf apt-cache madison "$@" 2>/dev/null |
    awk -F'|' 'NF >= 3 {gsub(/[[:space:]]/, "", $1); gsub(/[[:space:]]/, "", $2)
      if (!seen[$1 " " $2]++) print $1, $2}'
}

resolve() {
  fs_require_tools mmdebstrap
  [ "$(id -u)" -eq 0 ] || fs_die "resolving against the archive needs root (mmdebstrap --mode=root)"
  local include tmp cache log
  include=$(printf '%s\n' "$@" | sort -u | paste -sd, -)
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064  # expand now: the trap must remove this run's folder
  trap "rm -rf '$tmp'" EXIT
  log=$tmp/mmdebstrap.log
  # The .debs it downloads land in the build's cache, so the build that follows reuses them.
  cache=$FS_WORK/apt-cache
  mkdir -p "$cache"
  local sources
  mapfile -t sources < <(fs_sources)
  if ! mmdebstrap --mode=root --variant=essential --format=null --include="$include" \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --setup-hook="mkdir -p \"\$1/var/cache/apt/archives\"" \
    --setup-hook="sync-in '$cache' /var/cache/apt/archives/" \
    --customize-hook="chroot \"\$1\" dpkg-query -W -f='\${binary:Package} \${Version} \${Architecture}\n' >'$tmp/set'" \
    --customize-hook="sync-out /var/cache/apt/archives '$cache'" \
    "$FS_SUITE" /dev/null "${sources[@]}" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    fs_die "mmdebstrap could not resolve the package list against $(fs_mirror)"
  fi
  sed 's/:amd64 / /' "$tmp/set" | LC_ALL=C sort
}

case "${1:-}" in
versions | resolve)
  cmd=$1
  shift
  "$cmd" "$@"
  ;;
*) fs_die "usage: archive.sh versions|resolve PKG..." ;;
esac
