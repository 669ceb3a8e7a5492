#!/bin/bash
# The image's package-set resolver (image/lib/resolve.sh) without network or root: a fake
# archive (FLASHSTOR_ARCHIVE) answers "versions" and "resolve" from fixtures. Checks that a lock
# the archive still fully offers is used as pinned, that a pinned version the archive dropped
# falls back to the current versions with a notice naming each move (old -> new), that
# IMAGE_LOCK=strict refuses instead, and that image/lib/archive.sh reads apt-cache madison
# output from a private apt configuration (fake apt-get and apt-cache on PATH).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$(mktemp -d /tmp/flashstor-resolve.XXXXXX)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() {
  echo "PASS $1"
  passed=$((passed + 1))
}
bad() {
  echo "FAIL $1"
  [ ! -s "$work/err" ] || sed 's/^/     /' "$work/err"
  failed=$((failed + 1))
}
check() { # NAME COMMAND...
  local name=$1
  shift
  if "$@"; then ok "$name"; else bad "$name"; fi
}

# Fixtures: a selection, a lock, what the archive offers and what it would resolve today.
cat >"$work/list" <<'EOF'
# comment
systemd
linux-image-cloud-amd64
EOF
cat >"$work/lock" <<'EOF'
# Exact package set (fixture)
base-files 12.4+deb12u15 amd64
linux-image-6.1.0-56-cloud-amd64 6.1.192-2 amd64
linux-image-cloud-amd64 6.1.192-2 amd64
systemd 252.39-1~deb12u1 amd64
EOF
cat >"$work/offered-all" <<'EOF'
base-files 12.4+deb12u15
linux-image-6.1.0-56-cloud-amd64 6.1.192-2
linux-image-cloud-amd64 6.1.192-2
linux-image-cloud-amd64 6.1.176-1
systemd 252.39-1~deb12u1
EOF
# The archive moved on: the metapackage exists only at 6.1.192-3 (and bookworm's 6.1.176-1).
grep -v '^linux-image-cloud-amd64 6.1.192-2' "$work/offered-all" |
  sed 's/^linux-image-cloud-amd64 6.1.176-1/linux-image-cloud-amd64 6.1.192-3\n&/' >"$work/offered-moved"
cat >"$work/current" <<'EOF'
systemd 252.39-1~deb12u1 amd64
base-files 12.4+deb12u15 amd64
linux-image-6.1.0-57-cloud-amd64 6.1.192-3 amd64
linux-image-cloud-amd64 6.1.192-3 amd64
EOF
cat >"$work/archive" <<'EOF'
#!/bin/bash
# Fake image/lib/archive.sh: answers from $FAKE_OFFERED and $FAKE_CURRENT, logs each call.
echo "$*" >>"$FAKE_CALLS"
case $1 in
versions) shift; for p in "$@"; do grep "^$p " "$FAKE_OFFERED" || true; done ;;
resolve) cat "$FAKE_CURRENT" ;;
*) exit 2 ;;
esac
EOF
chmod +x "$work/archive"
export FLASHSTOR_ARCHIVE="$work/archive" FLASHSTOR_IMAGE_LIST="$work/list" \
  FLASHSTOR_IMAGE_LOCK="$work/lock" FLASHSTOR_IMAGE_WORK="$work/image-work" \
  FAKE_CALLS="$work/calls" FAKE_CURRENT="$work/current"

resolve() { # OFFERED OUT [DEB]: runs the resolver, stderr to $work/err
  : >"$work/calls"
  FAKE_OFFERED="$1" "$repo/image/lib/resolve.sh" "$2" "${3:-}" 2>"$work/err" >/dev/null
}
entries() { grep -v '^#' "$1"; }
err_has() { grep -qF -- "$1" "$work/err"; }

# 1. Every pinned version offered: the lock as it is, no notice, no resolution.
unset IMAGE_LOCK
if resolve "$work/offered-all" "$work/set1"; then
  check "lock fully offered: the set is the lock" diff <(entries "$work/lock") <(entries "$work/set1")
  check "lock fully offered: the set says it came from the lock" grep -q '^# from: lock' "$work/set1"
  check "lock fully offered: no notice" bash -c "! grep -q NOTICE '$work/err'"
  check "lock fully offered: the archive was not asked to resolve" bash -c "! grep -q '^resolve' '$work/calls'"
else
  bad "resolver failed on a fully offered lock"
fi

# 2. One pinned version gone: the current versions, with a notice naming each move.
if resolve "$work/offered-moved" "$work/set2"; then
  check "drift: the set is the archive's current resolution" \
    diff <(LC_ALL=C sort "$work/current") <(entries "$work/set2")
  check "drift: the set says it came from the archive" grep -q '^# from: archive' "$work/set2"
  check "drift: notice names the dropped version" \
    err_has "NOTICE:   linux-image-cloud-amd64: locked 6.1.192-2, the archive offers 6.1.192-3"
  check "drift: notice lists old -> new" err_has "NOTICE:   linux-image-cloud-amd64 6.1.192-2 -> 6.1.192-3"
  check "drift: notice lists the new kernel package" \
    err_has "NOTICE:   linux-image-6.1.0-57-cloud-amd64 (new) -> 6.1.192-3"
  check "drift: notice lists the package no longer needed" \
    err_has "NOTICE:   linux-image-6.1.0-56-cloud-amd64 6.1.192-2 -> (no longer needed)"
  check "drift: unchanged packages are not listed as moved" bash -c "! grep -q 'NOTICE:   systemd ' '$work/err'"
  check "drift: the set records the moves" grep -qxF '# moved: linux-image-cloud-amd64 6.1.192-2 -> 6.1.192-3' "$work/set2"
  check "drift: the resolution asked for the selection" grep -qx 'resolve linux-image-cloud-amd64 systemd' "$work/calls"
else
  bad "resolver failed instead of falling back"
fi

# 3. IMAGE_LOCK=strict: the same drift is refused, naming the package; no set is written.
if IMAGE_LOCK=strict resolve "$work/offered-moved" "$work/set3"; then
  bad "IMAGE_LOCK=strict accepted a lock the archive no longer offers"
else
  check "strict: refuses, naming the package and both versions" \
    err_has "linux-image-cloud-amd64: locked 6.1.192-2, the archive offers 6.1.192-3"
  check "strict: says why" err_has "IMAGE_LOCK=strict: refusing"
  check "strict: writes no set" test ! -e "$work/set3"
  check "strict: does not resolve against the archive" bash -c "! grep -q '^resolve' '$work/calls'"
fi
if IMAGE_LOCK=strict resolve "$work/offered-all" "$work/set4"; then
  check "strict: a fully offered lock builds as pinned" diff <(entries "$work/lock") <(entries "$work/set4")
else
  bad "IMAGE_LOCK=strict refused a fully offered lock"
fi
if IMAGE_LOCK=sometimes resolve "$work/offered-all" "$work/set5"; then
  bad "IMAGE_LOCK=sometimes was accepted"
else
  check "an unknown IMAGE_LOCK value is refused" err_has "IMAGE_LOCK=sometimes"
fi

# 4. The .deb asks for a package the lock lacks: that is drift too.
mkdir -p "$work/deb/DEBIAN"
printf 'Package: flashstor\nVersion: 0.1\nArchitecture: amd64\nMaintainer: t <t@localhost>\nDepends: libisal2 (>= 2.30), libssl3 | libssl-alt, systemd (>= 252)\nDescription: t\n' \
  >"$work/deb/DEBIAN/control"
if dpkg-deb --root-owner-group --build "$work/deb" "$work/t.deb" >/dev/null 2>&1; then
  cp "$work/offered-all" "$work/offered-deb"
  printf '%s\n' "libisal2 2.30.0-1" "libssl3 3.0.17-1~deb12u2" >>"$work/offered-deb"
  printf '%s\n' "libisal2 2.30.0-1 amd64" "libssl3 3.0.17-1~deb12u2 amd64" >>"$work/current"
  sed -i 's/6.1.192-3/6.1.192-2/; s/6.1.0-57/6.1.0-56/' "$work/current"
  if resolve "$work/offered-deb" "$work/set6" "$work/t.deb"; then
    check "deb Depends missing from the lock: notice names them" \
      err_has "NOTICE:   libisal2: not in the lock"
    check "deb Depends missing from the lock: resolved with the selection" \
      grep -qx 'resolve libisal2 libssl3 linux-image-cloud-amd64 systemd' "$work/calls"
    check "deb Depends missing from the lock: notice lists them as new" \
      err_has "NOTICE:   libssl3 (new) -> 3.0.17-1~deb12u2"
  else
    bad "resolver failed on a .deb needing more than the lock"
  fi
else
  bad "dpkg-deb could not build the fixture .deb"
fi

# 5. image/lib/archive.sh versions: private apt config, madison output parsed, newest first.
mkdir -p "$work/bin"
cat >"$work/bin/apt-get" <<'EOF'
#!/bin/bash
echo "apt-get $* APT_CONFIG=$APT_CONFIG" >>"$FAKE_CALLS"
EOF
cat >"$work/bin/apt-cache" <<'EOF'
#!/bin/bash
echo "apt-cache $* APT_CONFIG=$APT_CONFIG" >>"$FAKE_CALLS"
cat <<'MADISON'
linux-image-cloud-amd64 |  6.1.192-3 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-cloud-amd64 |  6.1.176-1 | http://deb.debian.org/debian bookworm/main amd64 Packages
linux-base | 4.12.1~deb12u1 | http://deb.debian.org/debian bookworm/main amd64 Packages
linux-base | 4.12.1~deb12u1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
MADISON
EOF
chmod +x "$work/bin/apt-get" "$work/bin/apt-cache"
: >"$work/calls"
if out=$(PATH="$work/bin:$PATH" "$repo/image/lib/archive.sh" versions linux-image-cloud-amd64 linux-base 2>"$work/err"); then
  check "archive.sh versions: one line per offered version, newest first" diff \
    <(printf '%s\n' "linux-image-cloud-amd64 6.1.192-3" "linux-image-cloud-amd64 6.1.176-1" "linux-base 4.12.1~deb12u1") \
    <(printf '%s\n' "$out")
  conf="$work/image-work/apt-state/apt.conf"
  check "archive.sh versions: apt runs on a private configuration" \
    grep -q "^apt-cache madison linux-image-cloud-amd64 linux-base APT_CONFIG=$conf\$" "$work/calls"
  check "archive.sh versions: the indexes are refreshed first" grep -q "^apt-get -q update APT_CONFIG=$conf\$" "$work/calls"
  check "archive.sh versions: the private sources are the build's three suites" \
    test "$(grep -cE '^deb .* bookworm(-updates|-security)? main$' "$work/image-work/apt-state/etc/sources.list")" = 3
  check "archive.sh versions: host apt.conf.d is not read" \
    grep -qx "Dir::Etc::Parts \"$work/image-work/apt-state/etc/apt.conf.d\";" "$conf"
else
  bad "archive.sh versions failed"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
