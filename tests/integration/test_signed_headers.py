"""A signature covers host and every x-amz-* header: presigned URLs, header-signed and streaming
(aws-chunked) requests carrying an x-amz-* header the signer never saw are refused with AWS's
403 AccessDenied and <HeadersNotSigned>, while real clients (boto3, aws cli, s3cmd, rclone,
curl --aws-sigv4, presigned URLs used by plain HTTP clients) keep working."""
import hashlib
import subprocess
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

import pytest
from botocore.exceptions import ClientError

import rawclient
from conftest import ACCESS_KEY, CURL, SECRET_KEY

NOT_SIGNED = b"There were headers present in the request which were not signed"


def curl(*args):
    """Runs curl; returns (status, body)."""
    r = subprocess.run([*CURL, "-sS", "-o", "-", "-w", "\n%{http_code}", *args],
                       capture_output=True, timeout=60)
    body, _, status = r.stdout.rpartition(b"\n")
    return int(status), body


def error_fields(body):
    root = ET.fromstring(body)
    return {child.tag: child.text for child in root}


def assert_not_signed(status, body, names):
    assert status == 403, body
    fields = error_fields(body)
    assert fields["Code"] == "AccessDenied"
    assert fields["Message"].encode() == NOT_SIGNED
    assert fields["HeadersNotSigned"] == names


def missing(s3, bucket, key):
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key=key)
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


# --- presigned URLs -----------------------------------------------------------------------


def test_presigned_put_cannot_smuggle_copy_source(s3, bucket):
    """The reported attack: a presigned PUT plus an unsigned x-amz-copy-source used to answer
    200 CopyObjectResult and hand the uploader a copy of a document they may not read."""
    s3.put_object(Bucket=bucket, Key="secret-doc", Body=b"top secret")
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "uploads/u9"},
                                    ExpiresIn=600)
    status, body = curl("-X", "PUT", "-H", f"x-amz-copy-source: /{bucket}/secret-doc",
                        "--data-binary", "", url)
    assert_not_signed(status, body, "x-amz-copy-source")
    assert missing(s3, bucket, "uploads/u9")
    # Header names are case-insensitive; a repeated header is named once.
    status, body = curl("-X", "PUT", "-H", f"X-Amz-Copy-Source: /{bucket}/secret-doc",
                        "-H", "x-amz-meta-owner: a", "-H", "X-AMZ-META-OWNER: b",
                        "--data-binary", "", url)
    assert_not_signed(status, body, "x-amz-copy-source, x-amz-meta-owner")
    assert missing(s3, bucket, "uploads/u9")
    # The same URL without extra headers uploads as intended.
    status, body = curl("-X", "PUT", "--data-binary", "mine", url)
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key="uploads/u9")["Body"].read() == b"mine"


def test_presigned_put_unsigned_metadata_not_stored(s3, bucket):
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "m"},
                                    ExpiresIn=600)
    status, body = curl("-X", "PUT", "-H", "x-amz-meta-role: admin", "-H",
                        "x-amz-storage-class: STANDARD", "--data-binary", "x", url)
    assert_not_signed(status, body, "x-amz-meta-role, x-amz-storage-class")
    assert missing(s3, bucket, "m")


def test_presigned_put_with_signed_metadata(s3, bucket):
    """boto3 signs the x-amz-* headers a presigned PUT will carry; sending them works."""
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "signed-meta", "Metadata": {"role": "user"}},
        ExpiresIn=600)
    assert "x-amz-meta-role" in urllib.parse.unquote(url)
    status, body = curl("-X", "PUT", "-H", "x-amz-meta-role: user", "--data-binary", "y", url)
    assert status == 200, body
    assert s3.head_object(Bucket=bucket, Key="signed-meta")["Metadata"] == {"role": "user"}
    # Leaving the signed header out breaks the signature instead.
    status, body = curl("-X", "PUT", "--data-binary", "y", url)
    assert status == 403 and b"SignatureDoesNotMatch" in body


def test_presigned_unsigned_content_sha256_is_exempt(s3, bucket):
    """AWS lets a presigned request carry x-amz-content-sha256 unsigned (it is the payload
    hash); UNSIGNED-PAYLOAD matches what the URL was signed with."""
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "sha"},
                                    ExpiresIn=600)
    status, body = curl("-X", "PUT", "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD",
                        "--data-binary", "z", url)
    assert status == 200, body
    digest = hashlib.sha256(b"z").hexdigest()
    status, body = curl("-X", "PUT", "-H", f"x-amz-content-sha256: {digest}",
                        "--data-binary", "z", url.replace("/sha?", "/sha2?"))
    assert status == 403 and b"SignatureDoesNotMatch" in body


def test_presigned_get_and_head_with_plain_clients(s3, bucket):
    s3.put_object(Bucket=bucket, Key="g", Body=b"presigned get")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "g"},
                                    ExpiresIn=600)
    with urllib.request.urlopen(url, timeout=30) as r:
        assert r.read() == b"presigned get"
    status, body = curl(url)
    assert status == 200 and body == b"presigned get"
    # A Range header is not x-amz-*: it needs no signature.
    status, body = curl("-H", "Range: bytes=0-8", url)
    assert status == 206 and body == b"presigned"
    status, body = curl("-H", "x-amz-checksum-mode: ENABLED", url)
    assert_not_signed(status, body, "x-amz-checksum-mode")
    head = s3.generate_presigned_url("head_object", Params={"Bucket": bucket, "Key": "g"},
                                     ExpiresIn=600)
    status, _ = curl("-I", head)
    assert status == 200


# --- header-signed and streaming requests ----------------------------------------------------


def test_header_auth_unsigned_amz_headers_refused(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="secret-doc", Body=b"top secret")
    host = f"127.0.0.1:{server.port}"
    h, *_ = rawclient.sign("PUT", f"/{bucket}/hdr", host, {}, rawclient.EMPTY_SHA)
    h["X-Amz-Copy-Source"] = f"/{bucket}/secret-doc"  # added after signing
    status, _, body = rawclient.request(server.port, "PUT", f"/{bucket}/hdr", h)
    assert_not_signed(status, body, "x-amz-copy-source")
    assert missing(s3, bucket, "hdr")
    # Signed, the same header is a CopyObject.
    h, *_ = rawclient.sign("PUT", f"/{bucket}/hdr", host,
                           {"x-amz-copy-source": f"/{bucket}/secret-doc"}, rawclient.EMPTY_SHA)
    status, _, body = rawclient.request(server.port, "PUT", f"/{bucket}/hdr", h)
    assert status == 200 and b"CopyObjectResult" in body
    # x-amzn-* (e.g. a tracing header) is not x-amz-* and needs no signature.
    h, *_ = rawclient.sign("GET", f"/{bucket}/hdr", host, {}, rawclient.EMPTY_SHA)
    h["x-amzn-trace-id"] = "Root=1-0-0"
    status, _, body = rawclient.request(server.port, "GET", f"/{bucket}/hdr", h)
    assert status == 200 and body == b"top secret"


def streaming_put(server, bucket, key, chunks, unsigned=None, leave_unsigned=()):
    """An aws-chunked upload; `unsigned` headers are added after signing and the names in
    leave_unsigned are sent but kept out of the signature."""
    host = f"127.0.0.1:{server.port}"
    total = sum(len(c) for c in chunks)
    framed_len = len(rawclient.aws_chunked_body(chunks, b"k" * 32, "x", "y", "0" * 64))
    headers = {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(total),
               "content-length": str(framed_len)}
    to_sign = {k: v for k, v in headers.items() if k not in leave_unsigned}
    h, seed, key_bytes, scope, amz_date = rawclient.sign(
        "PUT", f"/{bucket}/{key}", host, to_sign, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    h.update({k: v for k, v in headers.items() if k in leave_unsigned})
    h.update(unsigned or {})
    body = rawclient.aws_chunked_body(chunks, key_bytes, amz_date, scope, seed)
    return rawclient.request(server.port, "PUT", f"/{bucket}/{key}", h, body)


def test_streaming_upload_unsigned_headers_refused(server, s3, bucket):
    chunks = [b"a" * 70000, b"b" * 10]
    status, _, body = streaming_put(server, bucket, "st", chunks, {"x-amz-meta-evil": "1"})
    assert_not_signed(status, body, "x-amz-meta-evil")
    status, _, body = streaming_put(server, bucket, "st", chunks,
                                    leave_unsigned=("x-amz-decoded-content-length",))
    assert_not_signed(status, body, "x-amz-decoded-content-length")
    assert missing(s3, bucket, "st")
    status, _, body = streaming_put(server, bucket, "st", chunks)
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key="st")["Body"].read() == b"".join(chunks)


# --- real clients keep working ---------------------------------------------------------------


def test_boto3_headers_metadata_copy_multipart(s3, bucket):
    s3.put_object(Bucket=bucket, Key="b1", Body=b"boto3", Metadata={"k": "v"},
                  StorageClass="STANDARD", ContentType="text/plain")
    s3.copy_object(Bucket=bucket, Key="b2", CopySource={"Bucket": bucket, "Key": "b1"},
                   MetadataDirective="REPLACE", Metadata={"k": "w"})
    assert s3.head_object(Bucket=bucket, Key="b2")["Metadata"] == {"k": "w"}
    import io
    from boto3.s3.transfer import TransferConfig
    data = b"m" * (6 * 1024 * 1024)
    s3.upload_fileobj(io.BytesIO(data), bucket, "b3",
                      Config=TransferConfig(multipart_threshold=5 * 1024 * 1024,
                                            multipart_chunksize=5 * 1024 * 1024))
    assert s3.get_object(Bucket=bucket, Key="b3", Range="bytes=0-3")["Body"].read() == b"mmmm"


def test_aws_cli_metadata_and_copy(tools, s3, bucket, tmp_path):
    f = tmp_path / "f.txt"
    f.write_bytes(b"aws cli body")
    tools.aws("s3", "cp", str(f), f"s3://{bucket}/c1", "--metadata", "owner=cli")
    tools.aws("s3", "cp", f"s3://{bucket}/c1", f"s3://{bucket}/c2")
    tools.aws("s3api", "put-object", "--bucket", bucket, "--key", "c3", "--body", str(f),
              "--metadata", "a=b", "--storage-class", "STANDARD")
    assert s3.head_object(Bucket=bucket, Key="c1")["Metadata"] == {"owner": "cli"}
    assert s3.get_object(Bucket=bucket, Key="c2")["Body"].read() == b"aws cli body"
    assert s3.head_object(Bucket=bucket, Key="c3")["Metadata"] == {"a": "b"}
    # aws cli v1 presigns with SigV2 unless told otherwise (we only speak SigV4).
    tools.aws("configure", "set", "default.s3.signature_version", "s3v4")
    url = tools.aws("s3", "presign", f"s3://{bucket}/c3").stdout.decode().strip()
    status, body = curl(url)
    assert status == 200 and body == b"aws cli body"


def test_s3cmd_headers_and_copy(tools, s3, bucket, tmp_path):
    f = tmp_path / "f.txt"
    f.write_bytes(b"s3cmd body")
    tools.s3cmd("put", "--add-header=x-amz-meta-tool:s3cmd", str(f), f"s3://{bucket}/s1")
    tools.s3cmd("cp", f"s3://{bucket}/s1", f"s3://{bucket}/s2")
    assert s3.head_object(Bucket=bucket, Key="s1")["Metadata"].get("tool") == "s3cmd"
    assert s3.get_object(Bucket=bucket, Key="s2")["Body"].read() == b"s3cmd body"


def test_rclone_metadata_and_server_side_copy(tools, s3, bucket, tmp_path):
    f = tmp_path / "f.txt"
    f.write_bytes(b"rclone body")
    tools.rclone("copyto", "--metadata", "--metadata-set", "tool=rclone", str(f),
                 f"fs:{bucket}/r1")
    tools.rclone("copyto", f"fs:{bucket}/r1", f"fs:{bucket}/r2")  # server-side copy
    assert s3.head_object(Bucket=bucket, Key="r1")["Metadata"].get("tool") == "rclone"
    assert s3.get_object(Bucket=bucket, Key="r2")["Body"].read() == b"rclone body"


def test_curl_aws_sigv4(server, s3, bucket):
    sig = ["--aws-sigv4", "aws:amz:us-east-1:s3", "--user", f"{ACCESS_KEY}:{SECRET_KEY}"]
    url = f"{server.endpoint}/{bucket}/curl-obj"
    # curl signs the headers it is given (x-amz-content-sha256 too, which S3 needs).
    status, body = curl(*sig, "-X", "PUT", "-H", "x-amz-meta-via: curl", "-H",
                        f"x-amz-content-sha256: {hashlib.sha256(b'curl body').hexdigest()}",
                        "--data-binary", "curl body", url)
    assert status == 200, body
    status, body = curl(*sig, "-H", f"x-amz-content-sha256: {rawclient.EMPTY_SHA}", url)
    assert status == 200 and body == b"curl body"
    assert s3.head_object(Bucket=bucket, Key="curl-obj")["Metadata"] == {"via": "curl"}
