#!/usr/bin/env bash
# Appliance suite: every tests/appliance/test_*.sh with the built daemon (units, socket
# activation, SELinux module, binary checks, privileges). Each script exits non-zero on failure.
set -uo pipefail
bin=$(realpath "${1:-build/flashstor}")
cd "$(dirname "$0")/.."
export FLASHSTOR_BIN=$bin
pass=0
fail=0
for t in tests/appliance/test_*.sh; do
  [ -e "$t" ] || continue
  start=$SECONDS
  if out=$(bash "$t" 2>&1); then
    pass=$((pass + 1))
    echo "ok   $t ($((SECONDS - start)) s)"
  else
    fail=$((fail + 1))
    echo "FAIL $t ($((SECONDS - start)) s)"
    echo "$out" | tail -40 | sed 's/^/     /'
  fi
done
echo "appliance: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
