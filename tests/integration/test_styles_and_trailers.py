"""Virtual-hosted-style addressing with a configured domain, and uploads whose checksum
arrives in an aws-chunked trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER), good and bad."""
import base64
import hashlib
import zlib

import boto3
import pytest
from botocore.config import Config

import rawclient
from conftest import ACCESS_KEY, SECRET_KEY, Server


@pytest.fixture(scope="module")
def domain_server():
    srv = Server(drives=4, extra_args=["--domain", "s3.flashstor.test"]).start()
    yield srv
    srv.cleanup()


def test_virtual_hosted_style(domain_server):
    # botocore puts the bucket in the Host header; resolve every name to the loopback server.
    import socket
    real = socket.getaddrinfo

    def fake(host, *a, **kw):
        if host.endswith("s3.flashstor.test"):
            host = "127.0.0.1"
        return real(host, *a, **kw)

    socket.getaddrinfo = fake
    try:
        s3 = boto3.client("s3", endpoint_url=f"http://s3.flashstor.test:{domain_server.port}",
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                          region_name="us-east-1",
                          config=Config(s3={"addressing_style": "virtual"}))
        s3.create_bucket(Bucket="vhost")
        s3.put_object(Bucket="vhost", Key="dir/obj", Body=b"virtual")
        assert s3.get_object(Bucket="vhost", Key="dir/obj")["Body"].read() == b"virtual"
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="vhost")["Contents"]] == ["dir/obj"]
    finally:
        socket.getaddrinfo = real
    # Path style keeps working on the same server.
    from conftest import make_client
    assert make_client(domain_server.endpoint).get_object(
        Bucket="vhost", Key="dir/obj")["Body"].read() == b"virtual"


def trailer_put(server, bucket, key, data, checksum_b64):
    host = f"127.0.0.1:{server.port}"
    trailer = f"x-amz-checksum-crc32:{checksum_b64}\r\n".encode()
    body = b"%x\r\n%s\r\n0\r\n%s\r\n" % (len(data), data, trailer)
    headers = {"content-encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(data)),
               "x-amz-trailer": "x-amz-checksum-crc32", "content-length": str(len(body))}
    h, *_ = rawclient.sign("PUT", f"/{bucket}/{key}", host, headers,
                           "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    return rawclient.request(server.port, "PUT", f"/{bucket}/{key}", h, body)


def test_unsigned_payload_with_checksum_trailer(server, s3, bucket):
    data = b"trailer checked " * 5000
    good = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    status, headers, body = trailer_put(server, bucket, "trailed", data, good)
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key="trailed")["Body"].read() == data
    h = s3.head_object(Bucket=bucket, Key="trailed", ChecksumMode="ENABLED")
    assert h.get("ChecksumCRC32") == good
    bad = base64.b64encode((zlib.crc32(data) ^ 1).to_bytes(4, "big")).decode()
    status, _, body = trailer_put(server, bucket, "trailed-bad", data, bad)
    assert status == 400 and b"<Code>" in body
    with pytest.raises(Exception):
        s3.head_object(Bucket=bucket, Key="trailed-bad")
