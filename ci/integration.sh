#!/usr/bin/env bash
# Integration tests: the real binary on free ports with temporary drives, real S3 clients.
# Uses Debian's python3 (boto3, pytest come from Debian packages).
set -euo pipefail
bin=$(realpath "${1:-build/flashstor}")
cd "$(dirname "$0")/.."
export FLASHSTOR_BIN=$bin
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration "${@:2}"
