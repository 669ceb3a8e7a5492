#!/usr/bin/env bash
# `make run`: starts one server on 127.0.0.1:9000 over four drive folders under ./data and
# prints how to reach it. Credentials come from the environment or a local default.
set -euo pipefail
bin=${1:-build/flashstor}
export FLASHSTOR_ROOT_USER=${FLASHSTOR_ROOT_USER:-flashstoradmin}
export FLASHSTOR_ROOT_PASSWORD=${FLASHSTOR_ROOT_PASSWORD:-flashstor-secret-key}
mkdir -p data/disk{1..4}
# Started as root (the usual case on a fresh machine): serve as an unprivileged system user.
if [ "$(id -u)" -eq 0 ] && [ -z "${FLASHSTORE_RUN_USER:-}" ]; then
  id flashstor >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin flashstor
  chown -R flashstor:flashstor data
  export FLASHSTORE_RUN_USER=flashstor FLASHSTORE_RUN_GROUP=flashstor
fi
cat <<MSG
Flashstor starting.
  Endpoint:   http://127.0.0.1:9000
  Access key: $FLASHSTOR_ROOT_USER
  Secret key: $FLASHSTOR_ROOT_PASSWORD
  Drives:     $(pwd)/data/disk{1...4}
Try:
  AWS_ACCESS_KEY_ID=$FLASHSTOR_ROOT_USER AWS_SECRET_ACCESS_KEY=$FLASHSTOR_ROOT_PASSWORD \\
    aws --endpoint-url http://127.0.0.1:9000 s3 mb s3://demo
MSG
exec "$bin" server --address 127.0.0.1:9000 "$(pwd)/data/disk{1...4}"
