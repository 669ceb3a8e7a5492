#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets with clang-16 (ASan+UBSan) and runs each for a
# bounded time (FUZZ_SECONDS, default 60). A crash fails the run and leaves its input in
# build-fuzz/crashes/. Seeds: tests/fuzz/seeds/<target without _fuzz>/ (read only); new inputs
# go to build-fuzz/corpus/<target>/ and are reused by the next run. An input slower than 10 s
# counts as a hang (crash).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
build=build-fuzz
CC=clang-16 CXX=clang++-16 cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DFLASHSTOR_FUZZ=ON \
  >/dev/null
# Run from `make fuzz`: drop the outer make's level so the build does not print every directory.
env -u MAKELEVEL -u MAKEFLAGS -u MFLAGS cmake --build "$build" -j "${FUZZ_JOBS:-$(nproc)}" --target fuzz_targets
mkdir -p "$build/crashes"
status=0
for t in "$build"/tests/fuzz/*_fuzz; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  corpus="$build/corpus/$name"
  mkdir -p "$corpus"
  seeds=tests/fuzz/seeds/${name%_fuzz}
  echo "fuzzing $name for ${seconds}s"
  if ! "$t" -max_total_time="$seconds" -timeout=10 -artifact_prefix="$build/crashes/$name-" \
      -print_final_stats=1 "$corpus" $( [ -d "$seeds" ] && echo "$seeds" ) 2>"$build/$name.log"; then
    echo "CRASH in $name: see $build/$name.log and $build/crashes/"
    tail -30 "$build/$name.log"
    status=1
  else
    execs=$(grep -m1 -o 'stat::number_of_executed_units: [0-9]*' "$build/$name.log" | grep -o '[0-9]*$' || true)
    last=$(grep -E '^#[0-9]+.*cov:' "$build/$name.log" | tail -1 || true)
    echo "  $name: ${execs:-?} executions; ${last:-no coverage line}"
  fi
done
exit $status
