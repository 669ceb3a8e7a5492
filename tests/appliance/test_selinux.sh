#!/bin/bash
# Compiles the SELinux module (selinux/flashstor.{te,fc,if}) with the reference policy's
# devel Makefile in a temp dir; any error or warning fails. Needs selinux-policy-dev.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
mk=/usr/share/selinux/devel/Makefile
if [ ! -f "$mk" ]; then
  echo "FAIL $mk missing: install selinux-policy-dev (ci/install-deps.sh test)"
  echo "0 passed, 1 failed"
  exit 1
fi
work="$(mktemp -d /tmp/flashstor-selinux.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cp "$repo"/selinux/flashstor.te "$repo"/selinux/flashstor.fc "$repo"/selinux/flashstor.if "$work/"
passed=0
failed=0
if (cd "$work" && make -f "$mk" flashstor.pp) >"$work/build.log" 2>&1 && [ -s "$work/flashstor.pp" ]; then
  echo "PASS flashstor.pp built"
  passed=$((passed + 1))
else
  echo "FAIL building flashstor.pp:"
  cat "$work/build.log"
  failed=$((failed + 1))
fi
# m4 and checkmodule report undefined interfaces or bad contexts as warnings: treat as errors.
if grep -Eiq 'warning|error|undefined' "$work/build.log"; then
  echo "FAIL the build printed warnings/errors:"
  grep -Ei 'warning|error|undefined' "$work/build.log"
  failed=$((failed + 1))
else
  echo "PASS no warnings"
  passed=$((passed + 1))
fi
# The module must declare the domain, entry type and every file/port type it promises.
for t in flashstor_t flashstor_exec_t flashstor_port_t flashstor_var_lib_t flashstor_log_t \
  flashstor_etc_t flashstor_data_t; do
  if grep -q "^type $t;" "$repo/selinux/flashstor.te"; then passed=$((passed + 1)); else
    echo "FAIL type $t not declared"
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
