#!/usr/bin/env bash
# ASan + UBSan build of the daemon and its unit tests, then the unit tests and a fast subset of
# the integration tests against the sanitized binary.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-asan
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DFLASHSTOR_SANITIZE=ON >/dev/null
cmake --build "$build" -j "$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd "$build" && ctest --output-on-failure -j 2 -E 'perf|bench')
# The sanitized daemon under real clients; slow tests are left to the plain build.
ci/integration.sh "$build/flashstor" -m "not slow" -x \
  -k "not thousand_idle and not slowloris and not 100_mib and not rclone and not s3cmd"
