"""Object operations through boto3: put/get/head, metadata, ranges, conditionals, overrides,
delete, multi-delete, copy, checksums, large objects. Bytes compared by digest."""
import base64
import datetime
import hashlib
import os

import pytest
from botocore.exceptions import ClientError


def code(e):
    return e.value.response["Error"]["Code"]


def status(e):
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_put_get_zero_bytes(s3, bucket):
    r = s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert r["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    g = s3.get_object(Bucket=bucket, Key="empty")
    assert g["Body"].read() == b""
    assert g["ContentLength"] == 0


@pytest.mark.parametrize("size", [1, 4096, 128 * 1024 - 1, 128 * 1024 + 1, 1024 * 1024,
                                  3 * 1024 * 1024 + 7])
def test_put_get_sizes(s3, bucket, size):
    data = os.urandom(size)
    r = s3.put_object(Bucket=bucket, Key=f"obj-{size}", Body=data)
    assert r["ETag"] == '"%s"' % hashlib.md5(data).hexdigest()
    got = s3.get_object(Bucket=bucket, Key=f"obj-{size}")["Body"].read()
    assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()


def test_metadata_and_entity_headers(s3, bucket):
    s3.put_object(Bucket=bucket, Key="meta", Body=b"hello", ContentType="text/plain",
                  Metadata={"color": "blue", "shape": "round"}, CacheControl="max-age=60",
                  ContentDisposition="attachment", ContentEncoding="identity",
                  ContentLanguage="en")
    h = s3.head_object(Bucket=bucket, Key="meta")
    assert h["ContentType"] == "text/plain"
    assert h["Metadata"] == {"color": "blue", "shape": "round"}
    assert h["CacheControl"] == "max-age=60"
    assert h["ContentDisposition"] == "attachment"
    assert h["ContentLanguage"] == "en"
    assert h["ContentLength"] == 5
    assert isinstance(h["LastModified"], datetime.datetime)


def test_content_md5(s3, bucket):
    data = b"payload"
    good = base64.b64encode(hashlib.md5(data).digest()).decode()
    s3.put_object(Bucket=bucket, Key="md5", Body=data, ContentMD5=good)
    bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="md5-bad", Body=data, ContentMD5=bad)
    assert code(e) == "BadDigest"
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="md5-bad")
    assert status(e) == 404  # nothing was committed


def test_ranges(s3, bucket):
    data = os.urandom(3 * 1024 * 1024 + 5)
    s3.put_object(Bucket=bucket, Key="r", Body=data)
    for rng, (a, b) in {"bytes=0-0": (0, 0), "bytes=10-20": (10, 20),
                        "bytes=1048570-1048580": (1048570, 1048580),
                        "bytes=-5": (len(data) - 5, len(data) - 1),
                        "bytes=3145000-": (3145000, len(data) - 1)}.items():
        g = s3.get_object(Bucket=bucket, Key="r", Range=rng)
        assert g["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert g["ContentRange"] == f"bytes {a}-{b}/{len(data)}"
        assert g["Body"].read() == data[a:b + 1]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="r", Range=f"bytes={len(data)}-")
    assert status(e) == 416 and code(e) == "InvalidRange"


def test_conditionals(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"cond")["ETag"]
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"cond"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"0000"')
    assert status(e) == 412
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert status(e) == 304
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    past = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=future)
    assert status(e) == 304
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=past)
    assert status(e) == 412
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=past)["Body"].read() == b"cond"


def test_response_overrides(s3, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"x", ContentType="text/plain")
    g = s3.get_object(Bucket=bucket, Key="o", ResponseContentType="application/json",
                      ResponseContentDisposition="inline", ResponseCacheControl="no-cache")
    assert g["ContentType"] == "application/json"
    assert g["ContentDisposition"] == "inline"
    assert g["CacheControl"] == "no-cache"


def test_delete_and_multi_delete(s3, bucket):
    s3.delete_object(Bucket=bucket, Key="never-existed")  # 204, not an error
    keys = [f"d/{i}" for i in range(20)]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
    assert sorted(d["Key"] for d in r["Deleted"]) == sorted(keys)
    assert s3.list_objects_v2(Bucket=bucket, Prefix="d/")["KeyCount"] == 0
    s3.put_object(Bucket=bucket, Key="q", Body=b"x")
    r = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "q"}], "Quiet": True})
    assert "Deleted" not in r or r["Deleted"] == []


def test_copy_object(s3, bucket):
    data = os.urandom(200 * 1024)
    s3.put_object(Bucket=bucket, Key="src", Body=data, Metadata={"a": "1"}, ContentType="x/y")
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    h = s3.head_object(Bucket=bucket, Key="dst")
    assert h["Metadata"] == {"a": "1"} and h["ContentType"] == "x/y"
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == data
    s3.copy_object(Bucket=bucket, Key="dst2", CopySource={"Bucket": bucket, "Key": "src"},
                   MetadataDirective="REPLACE", Metadata={"b": "2"}, ContentType="a/b")
    h = s3.head_object(Bucket=bucket, Key="dst2")
    assert h["Metadata"] == {"b": "2"} and h["ContentType"] == "a/b"
    # Copy onto itself needs REPLACE.
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"})
    assert code(e) == "InvalidRequest"
    s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"},
                   MetadataDirective="REPLACE", Metadata={"c": "3"})
    assert s3.head_object(Bucket=bucket, Key="src")["Metadata"] == {"c": "3"}
    assert s3.get_object(Bucket=bucket, Key="src")["Body"].read() == data
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "src"},
                       CopySourceIfMatch='"deadbeef"')
    assert status(e) == 412
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "nope"})
    assert code(e) == "NoSuchKey"


@pytest.mark.parametrize("key", ["a/../b", "../escape", "./dot", "a//b", "trailing/",
                                 "unicodé/ключ/鍵", "sp ace+plus%percent", "q?x=1&y", "%e2zz",
                                 "x" * 255, "/".join(["seg"] * 250)])
def test_unusual_keys(s3, bucket, key):
    s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=key[:3])["Contents"]]
    assert key in listed


def test_key_too_long(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert code(e) == "KeyTooLongError"


@pytest.mark.parametrize("algo", ["CRC32", "CRC32C", "SHA1", "SHA256"])
def test_additional_checksums(s3, bucket, algo):
    data = os.urandom(70000)
    r = s3.put_object(Bucket=bucket, Key=f"ck-{algo}", Body=data, ChecksumAlgorithm=algo)
    returned = r.get(f"Checksum{algo}")
    assert returned
    h = s3.head_object(Bucket=bucket, Key=f"ck-{algo}", ChecksumMode="ENABLED")
    assert h.get(f"Checksum{algo}") == returned
    if algo == "SHA256":
        assert base64.b64decode(returned) == hashlib.sha256(data).digest()
    if algo == "SHA1":
        assert base64.b64decode(returned) == hashlib.sha1(data).digest()


def test_wrong_checksum_rejected(s3, bucket):
    wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="ck-bad", Body=b"data", ChecksumSHA256=wrong)
    assert status(e) == 400
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="ck-bad")


def test_100_mib_object(s3, bucket, tmp_path):
    path = tmp_path / "big"
    h = hashlib.sha256()
    with open(path, "wb") as f:
        for _ in range(100):
            chunk = os.urandom(1024 * 1024)
            h.update(chunk)
            f.write(chunk)
    s3.upload_file(str(path), bucket, "big", Config=__import__("boto3").s3.transfer.TransferConfig(
        multipart_threshold=200 * 1024 * 1024))
    assert s3.head_object(Bucket=bucket, Key="big")["ContentLength"] == 100 * 1024 * 1024
    out = tmp_path / "big.out"
    s3.download_file(bucket, "big", str(out))
    g = hashlib.sha256()
    with open(out, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            g.update(chunk)
    assert g.digest() == h.digest()
