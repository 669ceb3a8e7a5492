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
status=0
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration "${@:2}" || status=$?
# The HTTP/2 pass (docs/http2.md): again over h2c with prior knowledge (FLASHSTOR_TEST_HTTP=2),
# the modules that send requests themselves, through rawclient.py or curl. boto3, the aws cli,
# s3cmd and rclone speak HTTP/1.1 only, so modules using nothing else would repeat the first
# run. Tests marked http1_only are skipped there; -rs prints why.
h2_modules=(test_auth test_authz_cache_audit test_bad_input test_bucket_policy
  test_content_encoding test_cors test_drive_health test_expect_continue
  test_list_buckets_paging test_listing_echo test_monitoring test_object_attributes
  test_policy_conditions test_public_access_block test_request_validation test_runtime
  test_signed_headers test_sigv2 test_slow_clients test_slow_clients_at_scale
  test_styles_and_trailers test_tagging)
# Left out of those modules: tests that send nothing through rawclient or curl and take
# seconds (the aws cli, s3cmd and rclone runs; boto3 uploads; systemd start-up).
h2_deselect=(test_list_buckets_paging.py::test_aws_cli_pages test_object_attributes.py::test_aws_cli
  test_signed_headers.py::test_aws_cli_metadata_and_copy
  test_signed_headers.py::test_s3cmd_headers_and_copy
  test_signed_headers.py::test_rclone_metadata_and_server_side_copy
  test_sigv2.py::test_s3cmd_signature_v2 test_tagging.py::test_aws_cli_put_object_tagging
  test_bad_input.py::test_sdk_sending_its_whole_body_still_reads_the_507
  test_runtime.py::test_socket_activation_plain_and_tls test_runtime.py::test_notify_ready_and_watchdog)
h2_args=()
for m in "${h2_modules[@]}"; do h2_args+=("tests/integration/$m.py"); done
for t in "${h2_deselect[@]}"; do h2_args+=(--deselect "tests/integration/$t"); done
echo "flashstor: the HTTP/2 pass (FLASHSTOR_TEST_HTTP=2)"
FLASHSTOR_TEST_HTTP=2 /usr/bin/python3 -m pytest -q -rs -p no:cacheprovider "${h2_args[@]}" \
  "${@:2}" || status=$?
exit $status
