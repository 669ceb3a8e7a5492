"""SigV4 end to end: presigned GET/PUT through curl, anonymous and wrongly signed requests,
clock skew, payload hash mismatch, and streaming (aws-chunked) uploads with good, bad and
replayed chunk signatures."""
import datetime
import hashlib
import subprocess
import uuid

import pytest

import rawclient
from conftest import ACCESS_KEY, CURL, SECRET_KEY


def test_presigned_get_and_put_with_curl(s3, bucket, server, tmp_path):
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "pre"},
                                        ExpiresIn=600)
    src = tmp_path / "src"
    src.write_bytes(b"presigned body" * 1000)
    r = subprocess.run([*CURL, "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT",
                        "--data-binary", f"@{src}", put_url], capture_output=True, timeout=60)
    assert r.stdout == b"200", r.stderr
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "pre"},
                                        ExpiresIn=600)
    r = subprocess.run([*CURL, "-sS", "-f", get_url], capture_output=True, timeout=60)
    assert r.returncode == 0 and r.stdout == src.read_bytes()
    # Tampering with the URL breaks the signature.
    r = subprocess.run([*CURL, "-sS", "-w", "%{http_code}", get_url.replace("pre?", "pre2?")],
                       capture_output=True, timeout=60)
    assert r.stdout.endswith(b"403") and b"SignatureDoesNotMatch" in r.stdout


def test_presigned_expired(s3, bucket, server):
    s3.put_object(Bucket=bucket, Key="exp", Body=b"x")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "exp"},
                                    ExpiresIn=1)
    import time
    time.sleep(2)
    r = subprocess.run([*CURL, "-sS", "-w", "%{http_code}", url], capture_output=True, timeout=60)
    assert r.stdout.endswith(b"403") and b"AccessDenied" in r.stdout


def test_anonymous_denied(server, bucket):
    status, headers, body = rawclient.request(server.port, "GET", f"/{bucket}")
    assert status == 403 and b"<Code>AccessDenied</Code>" in body
    assert headers.get("x-amz-request-id")


def test_wrong_secret_and_unknown_key(server, bucket):
    host = f"127.0.0.1:{server.port}"
    h, *_ = rawclient.sign("GET", f"/{bucket}", host, {}, rawclient.EMPTY_SHA, secret="wrong-secret")
    status, _, body = rawclient.request(server.port, "GET", f"/{bucket}", h)
    assert status == 403 and b"SignatureDoesNotMatch" in body
    h, *_ = rawclient.sign("GET", f"/{bucket}", host, {}, rawclient.EMPTY_SHA, access="NOSUCHKEY")
    status, _, body = rawclient.request(server.port, "GET", f"/{bucket}", h)
    assert status == 403 and b"InvalidAccessKeyId" in body
    # Secrets never reach the log.
    assert SECRET_KEY not in server.read_log()


def test_clock_skew(server, bucket):
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
    h, *_ = rawclient.sign("GET", f"/{bucket}", f"127.0.0.1:{server.port}", {},
                           rawclient.EMPTY_SHA, now=old)
    status, _, body = rawclient.request(server.port, "GET", f"/{bucket}", h)
    assert status == 403 and b"RequestTimeTooSkewed" in body


def test_payload_hash_mismatch(server, s3, bucket):
    body = b"real body"
    h, *_ = rawclient.sign("PUT", f"/{bucket}/ph", f"127.0.0.1:{server.port}", {},
                           hashlib.sha256(b"other body").hexdigest())
    status, _, resp = rawclient.request(server.port, "PUT", f"/{bucket}/ph", h, body)
    assert status == 400 and b"XAmzContentSHA256Mismatch" in resp
    with pytest.raises(Exception):
        s3.head_object(Bucket=bucket, Key="ph")


def streaming_put(server, bucket, key, chunks, tamper=None):
    host = f"127.0.0.1:{server.port}"
    total = sum(len(c) for c in chunks)
    framed_len = len(rawclient.aws_chunked_body(chunks, b"k" * 32, "x", "y", "0" * 64))
    headers = {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(total),
               "content-length": str(framed_len)}
    h, seed, key_bytes, scope, amz_date = rawclient.sign(
        "PUT", f"/{bucket}/{key}", host, headers, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    body = rawclient.aws_chunked_body(chunks, key_bytes, amz_date, scope, seed, tamper)
    return rawclient.request(server.port, "PUT", f"/{bucket}/{key}", h, body)


def test_streaming_signed_upload(server, s3, bucket):
    chunks = [b"a" * 65536, b"b" * 65536, b"c" * 1000]
    status, headers, body = streaming_put(server, bucket, "stream", chunks)
    assert status == 200, body
    got = s3.get_object(Bucket=bucket, Key="stream")["Body"].read()
    assert got == b"".join(chunks)
    assert headers["etag"] == '"%s"' % hashlib.md5(got).hexdigest()


def test_streaming_bad_chunk_signature(server, s3, bucket):
    chunks = [b"a" * 65536, b"b" * 100]
    flip = lambda i, sig: ("0" if sig[0] != "0" else "1") + sig[1:] if i == 1 else sig
    status, _, body = streaming_put(server, bucket, "stream-bad", chunks, tamper=flip)
    assert status == 403 and b"SignatureDoesNotMatch" in body
    with pytest.raises(Exception):
        s3.head_object(Bucket=bucket, Key="stream-bad")


def test_streaming_replayed_chunk(server, s3, bucket):
    chunks = [b"x" * 8192, b"x" * 8192]
    sigs = {}

    def replay(i, sig):
        sigs[i] = sig
        return sigs[0] if i == 1 else sig  # chunk 1 carries chunk 0's (valid) signature

    status, _, body = streaming_put(server, bucket, "stream-replay", chunks, tamper=replay)
    assert status == 403 and b"SignatureDoesNotMatch" in body
    with pytest.raises(Exception):
        s3.head_object(Bucket=bucket, Key="stream-replay")
