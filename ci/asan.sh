#!/usr/bin/env bash
# ASan + UBSan build of the daemon and its unit tests, then the unit tests and a fast subset of
# the integration tests against the sanitized binary.
# A unity build (16 sources per translation unit) compiles the tree about twice as fast, the
# larger part of this suite's time. Only the sanitizer builds use it: the release build (what
# ships and what docs/bench.md measures) keeps one source per unit.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-asan
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DFLASHSTOR_SANITIZE=ON \
  -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 >/dev/null
cmake --build "$build" -j "$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Two tests cannot hold for a sanitizer build and run in the plain build instead:
# sys_seccomp_test (the ASan/UBSan runtime itself makes syscalls the allowlist forbids, so its
# threads are killed) and appliance_check_binary (a sanitizer build is not FORTIFY-hardened).
(cd "$build" && ctest --output-on-failure -j 2 -E 'sys_seccomp_test|appliance_check_binary|appliance_install_split_debug')
# The sanitized daemon under real clients, its seccomp filter in log mode for the reason above;
# slow tests, the aws cli / s3cmd / rclone runs (their time is the clients' start-up, and the same
# requests come from boto3 in other tests) and the socket-activation test (it starts the daemon
# itself) are left to the plain build.
FLASHSTOR_SERVER_ARGS="--seccomp log" ci/integration.sh "$build/flashstor" -x \
  -k "not thousand_idle and not slowloris and not 100_mib and not rclone and not s3cmd and not aws_cli and not socket_activation and not flood"
