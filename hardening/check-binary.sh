#!/bin/bash
# Checks an ELF binary for the hardening Flashstor ships with: PIE, BIND_NOW, RELRO,
# non-executable stack, stack protector, FORTIFY_SOURCE calls, CET (IBT + SHSTK) on x86-64.
# Usage: check-binary.sh BINARY   Exit 0 when all hold; 1 naming every missing property.
set -uo pipefail
bin="${1:?usage: $0 BINARY}"
if [ ! -f "$bin" ]; then
  echo "check-binary: $bin: no such file" >&2
  exit 2
fi
if ! readelf -h "$bin" >/dev/null 2>&1; then
  echo "check-binary: $bin: not an ELF file" >&2
  exit 2
fi

missing=()
pass() { echo "ok      $1"; }
miss() { echo "MISSING $1: $2"; missing+=("$1"); }

header="$(readelf -hW "$bin")"
segments="$(readelf -lW "$bin" 2>/dev/null)"
dynamic="$(readelf -dW "$bin" 2>/dev/null)"
symbols="$(readelf -sW --dyn-syms "$bin" 2>/dev/null)"
notes="$(readelf -nW "$bin" 2>/dev/null)"

# PIE: a DYN object that is an executable (has an interpreter, or says DF_1_PIE).
if grep -q 'Type:[[:space:]]*DYN' <<<"$header" &&
  { grep -q 'INTERP' <<<"$segments" || grep -Eq 'FLAGS_1.*\bPIE\b' <<<"$dynamic"; }; then
  pass "PIE"
else
  miss "PIE" "ELF type is $(sed -n 's/.*Type:[[:space:]]*\([A-Z]*\).*/\1/p' <<<"$header"), want DYN with PT_INTERP or DF_1_PIE (link with -pie)"
fi

# BIND_NOW: full RELRO needs every symbol resolved at load time.
if grep -Eq '\(FLAGS\).*\bBIND_NOW\b|\(FLAGS_1\).*\bNOW\b|\(BIND_NOW\)' <<<"$dynamic"; then
  pass "BIND_NOW"
else
  miss "BIND_NOW" "no DT_FLAGS BIND_NOW / DF_1_NOW (link with -Wl,-z,now)"
fi

if grep -q 'GNU_RELRO' <<<"$segments"; then
  pass "RELRO"
else
  miss "RELRO" "no GNU_RELRO segment (link with -Wl,-z,relro)"
fi

stack="$(grep 'GNU_STACK' <<<"$segments")"
if [ -z "$stack" ]; then
  miss "NX-stack" "no GNU_STACK segment: the loader assumes an executable stack"
elif grep -Eq 'RWE|[[:space:]]E[[:space:]]' <<<"$stack"; then
  miss "NX-stack" "GNU_STACK is executable (link with -Wl,-z,noexecstack)"
else
  pass "NX-stack"
fi

if grep -q '__stack_chk_fail' <<<"$symbols"; then
  pass "stack-protector"
else
  miss "stack-protector" "__stack_chk_fail not referenced (compile with -fstack-protector-strong)"
fi

fortified="$(grep -Eo '__[a-z0-9_]+_chk\b' <<<"$symbols" | grep -v '^__stack_chk_fail$' |
  sort -u | tr '\n' ' ')"
if [ -n "$fortified" ]; then
  pass "FORTIFY_SOURCE (${fortified% })"
else
  miss "FORTIFY_SOURCE" "no __*_chk calls (compile with -O2 -D_FORTIFY_SOURCE=3)"
fi

machine="$(sed -n 's/.*Machine:[[:space:]]*//p' <<<"$header")"
if grep -q 'X86-64' <<<"$machine"; then
  feature="$(grep -i 'x86 feature:' <<<"$notes")"
  if grep -q 'IBT' <<<"$feature" && grep -q 'SHSTK' <<<"$feature"; then
    pass "CET (IBT, SHSTK)"
  else
    miss "CET" "no .note.gnu.property with IBT and SHSTK (compile with -fcf-protection=full and, where the libc start files lack the note, link with -z ibt -z shstk) [${feature:-no x86 feature note}]"
  fi
else
  echo "skip    CET (machine: $machine)"
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "check-binary: $bin: FAILED, missing: ${missing[*]}" >&2
  exit 1
fi
echo "check-binary: $bin: all hardening properties present"
