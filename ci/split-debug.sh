#!/usr/bin/env bash
# split-debug.sh IN OUT DEBUG_ROOT: writes OUT, a stripped copy of the ELF binary IN (no symbol
# table, no debug info, no .comment) carrying a .gnu_debuglink, and its debug symbols as
# DEBUG_ROOT/.build-id/NN/REST.debug (NN/REST: the GNU build-id, as gdb and debuginfod look
# them up under /usr/lib/debug). Prints OUT and the debug file's path, one a line. IN is left as
# it is. Used by `cmake --install` (CMakeLists.txt) and the package build (image/build-deb.sh).
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 IN OUT DEBUG_ROOT" >&2; exit 2; }
in=$1
out=$2
root=$3
OBJCOPY=${OBJCOPY:-objcopy}
READELF=${READELF:-readelf}

id=$("$READELF" -n "$in" | awk '/Build ID:/ {print $3; exit}')
[ ${#id} -gt 2 ] || { echo "split-debug: $in has no GNU build-id (link with --build-id)" >&2; exit 1; }
debug=$root/.build-id/${id:0:2}/${id:2}.debug
mkdir -p "$(dirname "$debug")" "$(dirname "$out")"

tmp_debug=$(mktemp "$(dirname "$debug")/.split-debug.XXXXXX")
tmp_out=$(mktemp "$(dirname "$out")/.split-debug.XXXXXX")
trap 'rm -f "$tmp_debug" "$tmp_out"' EXIT
"$OBJCOPY" --only-keep-debug --compress-debug-sections=zlib "$in" "$tmp_debug"
chmod 0644 "$tmp_debug"
mv -f "$tmp_debug" "$debug"
# The debuglink names the file by its base name and holds its CRC-32: made after it is final.
"$OBJCOPY" --strip-all --remove-section=.comment --add-gnu-debuglink="$debug" "$in" "$tmp_out"
chmod 0755 "$tmp_out"
mv -f "$tmp_out" "$out"
printf '%s\n%s\n' "$out" "$debug"
