"""Multipart uploads: create, upload parts (and copies of ranges), list, complete, abort, and
the errors AWS defines (EntityTooSmall, InvalidPart, InvalidPartOrder, NoSuchUpload)."""
import hashlib
import os

import pytest
from botocore.exceptions import ClientError

MIB = 1024 * 1024


def code(e):
    return e.value.response["Error"]["Code"]


def multipart_etag(parts):
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def test_multipart_3x5mib_plus_1(s3, bucket):
    parts = [os.urandom(5 * MIB) for _ in range(3)] + [b"z"]
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", ContentType="a/b",
                                    Metadata={"k": "v"})
    uid = up["UploadId"]
    etags = []
    for i, p in enumerate(parts, 1):
        r = s3.upload_part(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=i, Body=p)
        assert r["ETag"] == '"%s"' % hashlib.md5(p).hexdigest()
        etags.append(r["ETag"])
    lp = s3.list_parts(Bucket=bucket, Key="mp", UploadId=uid)
    assert [p["PartNumber"] for p in lp["Parts"]] == [1, 2, 3, 4]
    assert [p["Size"] for p in lp["Parts"]] == [5 * MIB] * 3 + [1]
    ups = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert any(u["UploadId"] == uid and u["Key"] == "mp" for u in ups)
    r = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": i, "ETag": e} for i, e in enumerate(etags, 1)]})
    assert r["ETag"] == multipart_etag(parts)
    h = s3.head_object(Bucket=bucket, Key="mp")
    assert h["ContentLength"] == 15 * MIB + 1 and h["ETag"] == multipart_etag(parts)
    assert h["ContentType"] == "a/b" and h["Metadata"] == {"k": "v"}
    body = s3.get_object(Bucket=bucket, Key="mp")["Body"].read()
    assert hashlib.sha256(body).digest() == hashlib.sha256(b"".join(parts)).digest()
    rng = s3.get_object(Bucket=bucket, Key="mp", Range=f"bytes={5 * MIB - 2}-{5 * MIB + 1}")
    assert rng["Body"].read() == parts[0][-2:] + parts[1][:2]
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_part_too_small(s3, bucket):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="small")["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="small", UploadId=uid, PartNumber=1, Body=b"a" * 100)
    e2 = s3.upload_part(Bucket=bucket, Key="small", UploadId=uid, PartNumber=2, Body=b"b")
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="small", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1["ETag"]}, {"PartNumber": 2, "ETag": e2["ETag"]}]})
    assert code(e) == "EntityTooSmall"


def test_invalid_part_and_order(s3, bucket):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="bad")["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="bad", UploadId=uid, PartNumber=1, Body=b"a" * 10)
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="bad", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": '"0123456789abcdef0123456789abcdef"'}]})
    assert code(e) == "InvalidPart"
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="bad", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 2, "ETag": e1["ETag"]}, {"PartNumber": 1, "ETag": e1["ETag"]}]})
    assert code(e) in ("InvalidPartOrder", "InvalidPart")
    s3.abort_multipart_upload(Bucket=bucket, Key="bad", UploadId=uid)
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket=bucket, Key="bad", UploadId=uid)
    assert code(e) == "NoSuchUpload"


def test_upload_part_copy_with_range(s3, bucket):
    src = os.urandom(6 * MIB)
    s3.put_object(Bucket=bucket, Key="copysrc", Body=src)
    uid = s3.create_multipart_upload(Bucket=bucket, Key="pc")["UploadId"]
    r1 = s3.upload_part_copy(Bucket=bucket, Key="pc", UploadId=uid, PartNumber=1,
                             CopySource={"Bucket": bucket, "Key": "copysrc"},
                             CopySourceRange=f"bytes=0-{5 * MIB - 1}")
    r2 = s3.upload_part_copy(Bucket=bucket, Key="pc", UploadId=uid, PartNumber=2,
                             CopySource={"Bucket": bucket, "Key": "copysrc"},
                             CopySourceRange=f"bytes={5 * MIB}-{6 * MIB - 1}")
    s3.complete_multipart_upload(Bucket=bucket, Key="pc", UploadId=uid, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": r1["CopyPartResult"]["ETag"]},
                  {"PartNumber": 2, "ETag": r2["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="pc")["Body"].read() == src


def test_no_such_upload(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="x", UploadId="nonexistent", PartNumber=1, Body=b"x")
    assert code(e) == "NoSuchUpload"


def test_part_number_bounds(s3, bucket):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="pn")["UploadId"]
    for n in (0, 10001):
        with pytest.raises(ClientError) as e:
            s3.upload_part(Bucket=bucket, Key="pn", UploadId=uid, PartNumber=n, Body=b"x")
        assert code(e) == "InvalidArgument"
