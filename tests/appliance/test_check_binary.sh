#!/bin/bash
# hardening/check-binary.sh tests: the given hardened binaries (the daemon, the probe) pass;
# a deliberately unhardened binary built here fails naming every missing property; a binary
# lacking only one property fails naming just that one. Usage: test_check_binary.sh [BIN...]
# (default: $FLASHSTOR_BIN, the daemon ci/appliance.sh exports).
set -uo pipefail
if [ $# -eq 0 ]; then set -- "${FLASHSTOR_BIN:-build/flashstor}"; fi
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
check="$repo/hardening/check-binary.sh"
work="$(mktemp -d /tmp/flashstor-checkbin.XXXXXX)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { echo "PASS $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
cc="${CC:-cc}"

for b in "$@"; do
  if out="$(bash "$check" "$b" 2>&1)"; then ok "hardened $(basename "$b")"; else
    bad "hardened $(basename "$b"):"$'\n'"$out"; fi
done

cat >"$work/tiny.c" <<'C'
#include <stdio.h>
#include <string.h>
int main(int argc, char** argv) {
  char buf[64];
  strcpy(buf, argc > 1 ? argv[1] : "x");
  printf("%s\n", buf);
  return 0;
}
C
arch="$(uname -m)"
cet_off=""
[ "$arch" = x86_64 ] && cet_off="-fcf-protection=none"
if ! "$cc" -O2 -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=0 -fno-stack-protector $cet_off -no-pie \
  -fno-pie -Wl,-z,execstack -Wl,-z,norelro -Wl,-z,lazy -o "$work/unhardened" "$work/tiny.c" \
  2>"$work/cc.err"; then
  bad "cannot build the unhardened sample: $(cat "$work/cc.err")"
else
  out="$(bash "$check" "$work/unhardened" 2>&1)"
  rc=$?
  [ $rc -eq 1 ] && ok "unhardened binary rejected (exit 1)" || bad "unhardened exit $rc: $out"
  props=(PIE BIND_NOW RELRO NX-stack stack-protector FORTIFY_SOURCE)
  [ "$arch" = x86_64 ] && props+=(CET)
  for p in "${props[@]}"; do
    grep -q "^MISSING $p:" <<<"$out" && ok "unhardened: names $p" || bad "unhardened: $p not named"
  done
fi

# Fully hardened except an executable stack: only NX-stack may be named.
cet_on=""
[ "$arch" = x86_64 ] && cet_on="-fcf-protection=full -Wl,-z,ibt -Wl,-z,shstk"
if "$cc" -O2 -D_FORTIFY_SOURCE=3 -fstack-protector-strong $cet_on -fPIE -pie -Wl,-z,relro,-z,now \
  -Wl,-z,execstack -o "$work/execstack" "$work/tiny.c" 2>"$work/cc.err"; then
  out="$(bash "$check" "$work/execstack" 2>&1)"
  rc=$?
  missing="$(grep -c '^MISSING' <<<"$out")"
  if [ $rc -eq 1 ] && [ "$missing" -eq 1 ] && grep -q '^MISSING NX-stack:' <<<"$out"; then
    ok "executable stack alone is caught"
  else bad "execstack sample (exit $rc):"$'\n'"$out"; fi
else
  bad "cannot build the execstack sample: $(cat "$work/cc.err")"
fi

echo "not an elf" >"$work/text"
bash "$check" "$work/text" >/dev/null 2>&1
[ $? -eq 2 ] && ok "non-ELF input exits 2" || bad "non-ELF input"
bash "$check" "$work/nonexistent" >/dev/null 2>&1
[ $? -eq 2 ] && ok "missing file exits 2" || bad "missing file"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
