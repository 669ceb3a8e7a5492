# Shared helpers for the image scripts (sourced, never run): paths, version, reproducible time,
# the Debian mirror, logging and the checks that name a missing input.
# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this

FS_REPO="${FS_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
FS_IMAGE_DIR="$FS_REPO/image"
# Scratch space: large files never go inside the repository.
FS_WORK="${FLASHSTOR_IMAGE_WORK:-/var/tmp/flashstor-image}"
FS_OUT="${FLASHSTOR_IMAGE_OUT:-$FS_WORK/out}"
FS_BIN="${FLASHSTOR_BIN:-$FS_REPO/build/flashstor}"
FS_SUITE=bookworm

fs_log() { printf '[%s] %s\n' "${FS_STEP:-image}" "$*" >&2; }
fs_die() {
  printf '[%s] ERROR: %s\n' "${FS_STEP:-image}" "$*" >&2
  exit 1
}

# fs_require_file PATH WHY: stops the build naming the missing input and what needs it.
fs_require_file() {
  [ -e "$1" ] || fs_die "missing required file: ${1#"$FS_REPO"/} ($2)"
}

fs_require_tools() {
  local t missing=()
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  [ ${#missing[@]} -eq 0 ] || fs_die "missing tools: ${missing[*]} (run: ci/install-deps.sh image)"
}

# SOURCE_DATE_EPOCH: from the environment if set, else the time of the last commit.
fs_source_date_epoch() {
  if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
    printf '%s\n' "$SOURCE_DATE_EPOCH"
  else
    git -C "$FS_REPO" log -1 --format=%ct
  fi
}

# Version: project(... VERSION x.y.z) of the top CMakeLists plus `git describe`, in a form
# dpkg accepts (e.g. 0.1.0+git84323f8c1a2b). $FLASHSTOR_VERSION overrides it.
fs_version() {
  [ -z "${FLASHSTOR_VERSION:-}" ] || { printf '%s\n' "$FLASHSTOR_VERSION"; return 0; }
  local base desc
  base=$(sed -n 's/^project([^)]*VERSION \([0-9][0-9.]*\).*/\1/p' "$FS_REPO/CMakeLists.txt" | head -n1)
  [ -n "$base" ] || fs_die "no project(... VERSION x.y.z) in CMakeLists.txt"
  desc=$(git -C "$FS_REPO" describe --always --abbrev=12 2>/dev/null || echo unknown)
  desc=$(printf '%s' "$desc" | tr -c 'A-Za-z0-9.+~\n' '.')
  printf '%s+git%s\n' "$base" "$desc"
}

# The Debian mirror this machine's apt uses (deb822 or one-line sources); deb.debian.org
# only when nothing is configured.
fs_mirror() {
  local m
  m=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n1 | tr -d ' ')
  printf '%s\n' "${m:-http://deb.debian.org/debian}"
}

fs_security_mirror() {
  local m
  m=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -oE 'https?://[^ ]+/debian-security/?( |$)' | head -n1 | tr -d ' ')
  printf '%s\n' "${m:-$(fs_mirror | sed 's#/debian/\?$#/debian-security#')}"
}

# The three apt source lines mmdebstrap uses (the same archive as the host).
fs_sources() {
  local m s
  m=$(fs_mirror)
  s=$(fs_security_mirror)
  printf '%s\n' "deb ${m%/} $FS_SUITE main" "deb ${m%/} $FS_SUITE-updates main" \
    "deb ${s%/} $FS_SUITE-security main"
}

# Stable 128-bit ids derived from a name and the build's inputs, so every id in the disk is
# fixed for a given source tree (no random salt, UUID or GUID anywhere).
fs_hex_id() { printf '%s' "flashstor:$1:$2" | sha256sum | cut -c1-32; }
fs_uuid_of_hex() {
  local h=$1
  printf '%s-%s-%s-%s-%s\n' "${h:0:8}" "${h:8:4}" "${h:12:4}" "${h:16:4}" "${h:20:12}"
}

fs_human_size() { numfmt --to=iec-i --suffix=B "$1"; }
