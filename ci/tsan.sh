#!/usr/bin/env bash
# ThreadSanitizer build of the unit tests that stress concurrent code (the worker pool, the
# namespace locks, conditional writes, complete-multipart, the object-layer stress tests, the
# drive fault injector and health checker, the engine under drive faults and hangs, whose
# quorum fan-outs leave stragglers running after their request, the drives' metadata cache, and
# shard writers sharing a drive's staging slot, the metadata journal's group commit and the
# readers of metadata files rewritten in place),
# then those tests under ctest. Any TSan report fails the suite: halt_on_error makes the test
# exit non-zero at the first report. Builds only these targets, so it stays a few minutes on
# 2 cores, as a unity build (16 sources per translation unit, like ci/asan.sh; not the release
# build). TSan cannot share a build with ASan, hence its own build directory.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-tsan
tests=(concurrency_test namespace_lock_test worker_pool_test conditional_write_test multipart_test
  faulty_disk_test health_checked_disk_test drive_faults_test drive_hang_requests_test
  meta_cache_test shard_file_writer_test meta_journal_test obs_spsc_byte_ring_test)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DFLASHSTOR_TSAN=ON \
  -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 >/dev/null
cmake --build "$build" -j 2 --target "${tests[@]}"
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
# concurrency_test's races run 6 s each instead of 2: TSan slows an overwrite ~10x, and the
# GET-vs-overwrite tests need several overwrites within their bound.
export FLASHSTOR_STRESS_SECONDS=6
# The drive-fault tests' wall-clock bounds twice as long (still below waiting for the drive).
export FLASHSTOR_TIME_SCALE=2
regex="^($(IFS='|'; echo "${tests[*]}"))\$"
(cd "$build" && ctest --output-on-failure -j 2 -R "$regex")
