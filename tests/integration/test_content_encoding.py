"""Content-Encoding is stored and returned byte for byte; only the aws-chunked coding of a
streaming upload is removed, as AWS does ("gzip, aws-chunked" -> "gzip")."""
import base64
import zlib

import pytest

import rawclient


@pytest.mark.parametrize("sent", ["gzip", "gzip, br", "gzip,br", "GZip", "x-custom ; q=1"])
def test_stored_byte_for_byte(s3, bucket, sent):
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", ContentEncoding=sent)
    assert s3.head_object(Bucket=bucket, Key="k")["ContentEncoding"] == sent
    assert s3.get_object(Bucket=bucket, Key="k")["ContentEncoding"] == sent


def chunked_put(server, bucket, key, data, encoding):
    """An aws-chunked (unsigned, CRC32 trailer) PUT whose Content-Encoding is `encoding`."""
    host = f"127.0.0.1:{server.port}"
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    trailer = f"x-amz-checksum-crc32:{crc}\r\n".encode()
    body = b"%x\r\n%s\r\n0\r\n%s\r\n" % (len(data), data, trailer)
    headers = {"content-encoding": encoding, "x-amz-decoded-content-length": str(len(data)),
               "x-amz-trailer": "x-amz-checksum-crc32", "content-length": str(len(body))}
    h, *_ = rawclient.sign("PUT", f"/{bucket}/{key}", host, headers,
                           "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    return rawclient.request(server.port, "PUT", f"/{bucket}/{key}", h, body)


@pytest.mark.parametrize("sent,stored", [("gzip,aws-chunked", "gzip"),
                                         ("aws-chunked, gzip", "gzip"),
                                         ("gzip, aws-chunked, br", "gzip, br"),
                                         ("aws-chunked", None)])
def test_aws_chunked_removed(server, s3, bucket, sent, stored):
    status, _, body = chunked_put(server, bucket, "chunked", b"streamed body", sent)
    assert status == 200, body
    head = s3.head_object(Bucket=bucket, Key="chunked")
    assert head.get("ContentEncoding") == stored
    assert s3.get_object(Bucket=bucket, Key="chunked")["Body"].read() == b"streamed body"
