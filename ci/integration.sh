#!/usr/bin/env bash
# Integration tests: the real binary on free ports with temporary drives, real S3 clients.
# Uses Debian's python3 (boto3, pytest come from Debian packages).
set -euo pipefail
bin=$(realpath "${1:-build/flashstor}")
cd "$(dirname "$0")/.."
export FLASHSTOR_BIN=$bin
# Drive folders on tmpfs (/dev/shm) unless the caller chose TMPDIR: the suite checks behaviour,
# not the disk, and on a filesystem mounted with online discard removing a test server's tens
# of thousands of files takes a minute. The fault suite and `make bench` use the real disk.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  export TMPDIR=/dev/shm
fi
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration "${@:2}"
