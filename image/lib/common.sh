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
# What the image installs: the selection, and the exact versions last resolved from it.
FS_LIST="${FLASHSTOR_IMAGE_LIST:-$FS_IMAGE_DIR/packages.list}"
FS_LOCK="${FLASHSTOR_IMAGE_LOCK:-$FS_IMAGE_DIR/packages.lock}"
# The Debian archive, asked through one script (image/lib/archive.sh: versions, resolve).
FS_ARCHIVE="${FLASHSTOR_ARCHIVE:-$FS_IMAGE_DIR/lib/archive.sh}"

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

# The entries of a lock or package set file: "name version architecture" lines, comments dropped.
fs_set_entries() { grep -v '^#' "$1" | awk 'NF == 3 {print $1, $2, $3}'; }

# fs_wanted_packages [DEB]: the package names the image asks for, one a line: image/packages.list
# plus the first alternative of each of the .deb's Depends (when the .deb exists).
fs_wanted_packages() {
  sed -e 's/#.*//' -e 's/[[:space:]]//g' "$FS_LIST" | grep -v '^$'
  if [ -n "${1:-}" ] && [ -e "$1" ]; then
    dpkg-deb -f "$1" Depends | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/[[:space:]]//g' |
      grep -v '^$'
  fi
}

# fs_set_moves OLD NEW: what changed between two package sets (files of "name version [arch]"
# lines), one "name old -> new" line per package, sorted; "(new)" and "(no longer needed)" for
# packages only one side has.
fs_set_moves() {
  awk 'NF < 2 || /^#/ { next }
    FILENAME == ARGV[1] { old[$1] = $2; next }
    { if (!($1 in old)) printf "%s (new) -> %s\n", $1, $2
      else if (old[$1] != $2) printf "%s %s -> %s\n", $1, old[$1], $2
      seen[$1] = 1 }
    END { for (p in old) if (!(p in seen)) printf "%s %s -> (no longer needed)\n", p, old[p] }
  ' "$1" "$2" | LC_ALL=C sort
}

# Stable 128-bit ids derived from a name and the build's inputs, so every id in the disk is
# fixed for a given source tree (no random salt, UUID or GUID anywhere).
fs_hex_id() { printf '%s' "flashstor:$1:$2" | sha256sum | cut -c1-32; }
fs_uuid_of_hex() {
  local h=$1
  printf '%s-%s-%s-%s-%s\n' "${h:0:8}" "${h:8:4}" "${h:12:4}" "${h:16:4}" "${h:20:12}"
}

fs_human_size() { numfmt --to=iec-i --suffix=B "$1"; }

# The update signing key (Ed25519, OpenSSL): $FLASHSTOR_UPDATE_KEY (a release's key, kept
# outside the tree), else a development key created once in $FS_WORK/update-key/. Every build
# from the same work folder embeds the same public key, so builds stay bit-identical. The
# private key never enters the image or the repository.
fs_update_key() {
  local k=${FLASHSTOR_UPDATE_KEY:-$FS_WORK/update-key/flashstor-update.key}
  if [ -n "${FLASHSTOR_UPDATE_KEY:-}" ]; then
    fs_require_file "$k" "FLASHSTOR_UPDATE_KEY, the Ed25519 private key that signs updates"
  elif [ ! -e "$k" ]; then
    install -d -m 0700 "$(dirname "$k")"
    (umask 077 && openssl genpkey -algorithm ed25519 -out "$k") ||
      fs_die "openssl could not create the update key $k"
    fs_log "created the development update signing key $k (set FLASHSTOR_UPDATE_KEY for releases)"
  fi
  printf '%s\n' "$k"
}

# fs_update_pubkey OUT: the public half of fs_update_key, as PEM (what the image embeds).
fs_update_pubkey() {
  openssl pkey -in "$(fs_update_key)" -pubout -out "$1" || fs_die "openssl could not read the update key"
}
