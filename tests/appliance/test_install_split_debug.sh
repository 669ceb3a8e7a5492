#!/bin/bash
# The installed daemon is stripped and its debug symbols are a separate file: `cmake --install`
# into a temporary prefix, then bin/flashstor has no symbol table or debug sections, has a
# .gnu_debuglink whose name and CRC-32 match lib/debug/.build-id/NN/REST.debug, that file holds
# the debug info and has the same build-id, the binary runs and is still hardened, and the
# build tree's binary keeps its debug info. Usage: test_install_split_debug.sh [BUILD_DIR]
# (default: the folder of $FLASHSTOR_BIN, as ci/appliance.sh sets it, else build/). A release
# build is expected: the size and hardening checks do not hold for a sanitizer build.
set -uo pipefail
[ $# -le 1 ] || { echo "usage: $0 [BUILD_DIR]" >&2; exit 2; }
default_build=$(dirname "${FLASHSTOR_BIN:-build/flashstor}")
build=$(cd "${1:-$default_build}" && pwd)
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$(mktemp -d /tmp/flashstor-splitdebug.XXXXXX)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { echo "PASS $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

sections() { readelf -S -W "$1" 2>/dev/null | sed -n 's/^ *\[ *[0-9]*\] \([^ ]*\).*/\1/p'; }
has_section() { sections "$1" | grep -qxF -- "$2"; }
lacks_section() { ! has_section "$1" "$2"; }
lacks_debug_sections() { ! sections "$1" | grep -q '^\.debug_'; }
build_id() { readelf -n "$1" 2>/dev/null | awk '/Build ID:/ {print $3; exit}'; }

prefix=$work/prefix
if ! cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1; then
  bad "cmake --install: $(tail -5 "$work/install.log")"
  echo "$passed passed, $failed failed"
  exit 1
fi
bin=$prefix/bin/flashstor
id=$(build_id "$build/flashstor")
debug=$prefix/lib/debug/.build-id/${id:0:2}/${id:2}.debug

check "build tree binary has a build-id" test ${#id} -gt 2
check "installed bin/flashstor exists" test -x "$bin"
check "debug file at lib/debug/.build-id/${id:0:2}/${id:2}.debug" test -f "$debug"
check "installed binary has no .symtab" lacks_section "$bin" .symtab
check "installed binary has no .debug_* sections" lacks_debug_sections "$bin"
check "installed binary has no .comment" lacks_section "$bin" .comment
check "installed binary has a .gnu_debuglink" has_section "$bin" .gnu_debuglink
check "installed binary keeps the build tree's build-id" test "$(build_id "$bin")" = "$id"
check "debug file has the same build-id" test "$(build_id "$debug")" = "$id"
check "debug file holds .debug_info" has_section "$debug" .debug_info
check "debug file holds the symbol table" has_section "$debug" .symtab
check "build tree binary still has .debug_info" has_section "$build/flashstor" .debug_info
check "installed binary is at most a tenth of the build tree's" \
  test $(($(stat -c %s "$bin") * 10)) -le "$(stat -c %s "$build/flashstor")"

# The debuglink: a NUL-terminated file name, padding to 4 bytes, then the file's CRC-32.
objcopy --dump-section .gnu_debuglink="$work/link" "$bin" "$work/copy" 2>/dev/null
if python3 - "$work/link" "$debug" <<'EOF'; then ok "debuglink names the debug file and its CRC-32 matches"; else bad "debuglink name or CRC-32"; fi
import os, struct, sys, zlib
link = open(sys.argv[1], "rb").read()
name = link[:link.index(b"\0")].decode()
(crc,) = struct.unpack("<I", link[-4:])
data = open(sys.argv[2], "rb").read()
ok = name == os.path.basename(sys.argv[2]) and crc == zlib.crc32(data) & 0xFFFFFFFF
if not ok:
    print(f"  link name {name!r} crc {crc:#x}; file {os.path.basename(sys.argv[2])!r} "
          f"crc {zlib.crc32(data) & 0xFFFFFFFF:#x}")
sys.exit(0 if ok else 1)
EOF

check "installed binary runs (--version)" bash -c "'$bin' --version | grep -q '^flashstor '"
if out=$(bash "$repo/hardening/check-binary.sh" "$bin" 2>&1); then ok "installed binary is hardened"; else
  bad "installed binary hardening:"$'\n'"$out"; fi

# A binary without a build-id is refused rather than installed without findable symbols.
printf 'int main(void) { return 0; }\n' >"$work/t.c"
if ${CC:-cc} -g -Wl,--build-id=none -o "$work/no-id" "$work/t.c" 2>/dev/null; then
  if bash "$repo/ci/split-debug.sh" "$work/no-id" "$work/no-id.out" "$work/dbg" >/dev/null 2>&1; then
    bad "split-debug accepted a binary without a build-id"
  else
    ok "split-debug refuses a binary without a build-id"
  fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
