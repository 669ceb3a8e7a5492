#!/usr/bin/env bash
# Fault-injection and crash-consistency tests of the erasure engine: the real binary on
# temporary drive folders, drive faults (vanished, rotten, truncated, read-only, full) and
# SIGKILLs under load (versioned workloads too), real boto3 clients.
# Usage: ci/fault.sh [BINARY] [pytest args...]
# Needs root (tmpfs mounts, chown of drive folders); the daemon itself runs as 'nobody'.
# About 4.5 minutes on 2 cores; tests marked slow run only with: ci/fault.sh BIN -m slow
set -euo pipefail
bin=$(realpath "${1:-build/flashstor}")
cd "$(dirname "$0")/.."
export FLASHSTOR_BIN=$bin
# Defaults unless the caller names a marker expression or test paths of its own.
marker=(-m "not slow")
paths=(tests/fault)
for a in "${@:2}"; do
  [ "$a" = "-m" ] && marker=()
  [[ "$a" == tests/* ]] && paths=()
done
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider -rfE "${paths[@]}" "${marker[@]}" "${@:2}"
