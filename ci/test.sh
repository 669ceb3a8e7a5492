#!/usr/bin/env bash
# `make test`: every suite in order, each reported on one line, then one summary line.
# Suites: unit (ctest), binary hardening, integration, fault/crash, appliance, ASan+UBSan
# (ci/asan.sh), TSan over the concurrency unit tests (ci/tsan.sh).
# Usage: ci/test.sh BUILD_DIR
set -uo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
passed=0
failed=0
failures=()

suite() {
  local name=$1
  shift
  local start=$SECONDS
  echo "=== $name"
  if "$@"; then
    passed=$((passed + 1))
    echo "=== $name: ok ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "=== $name: FAILED ($((SECONDS - start)) s)"
  fi
}

suite "unit tests (ctest)" bash -c "cd '$build' && ctest --output-on-failure -j 2"
suite "binary hardening" hardening/check-binary.sh "$build/flashstor"
suite "integration tests" ci/integration.sh "$build/flashstor"
suite "fault and crash tests" ci/fault.sh "$build/flashstor"
suite "appliance tests" ci/appliance.sh "$build/flashstor"
suite "sanitizer build (ASan+UBSan)" ci/asan.sh
suite "thread sanitizer (TSan, concurrency unit tests)" ci/tsan.sh

echo
[ ${#failures[@]} -gt 0 ] && echo "failed suites: ${failures[*]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
