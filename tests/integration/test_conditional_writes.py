"""Conditional writes and deletes (If-None-Match: *, If-Match) through real boto3: checked
atomically with the commit, so concurrent create-only PUTs of one key have one winner."""
import concurrent.futures
import os

import pytest
from botocore.exceptions import ClientError

from conftest import make_client
from s3headers import extra_headers


def status(e):
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def put(s3, bucket, key, body, **headers):
    with extra_headers(s3, "PutObject", headers):
        return s3.put_object(Bucket=bucket, Key=key, Body=body)


def test_if_none_match_star_on_existing_key(s3, bucket):
    put(s3, bucket, "k", b"old", **{"If-None-Match": "*"})
    with pytest.raises(ClientError) as e:
        put(s3, bucket, "k", b"new", **{"If-None-Match": "*"})
    assert status(e) == 412
    assert e.value.response["Error"]["Code"] == "PreconditionFailed"
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"old"


def test_if_none_match_etag_not_implemented(s3, bucket):
    with pytest.raises(ClientError) as e:
        put(s3, bucket, "k", b"x", **{"If-None-Match": '"abc"'})
    assert status(e) == 501


def test_if_match(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"v1")["ETag"]
    with pytest.raises(ClientError) as e:
        put(s3, bucket, "k", b"v2", **{"If-Match": '"0123456789abcdef0123456789abcdef"'})
    assert status(e) == 412
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v1"
    put(s3, bucket, "k", b"v2", **{"If-Match": etag})
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v2"


def test_complete_multipart_if_none_match(s3, bucket):
    s3.put_object(Bucket=bucket, Key="mp", Body=b"existing")
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    p = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=1, Body=b"part")
    parts = {"Parts": [{"PartNumber": 1, "ETag": p["ETag"]}]}
    with extra_headers(s3, "CompleteMultipartUpload", {"If-None-Match": "*"}):
        with pytest.raises(ClientError) as e:
            s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up,
                                         MultipartUpload=parts)
    assert status(e) == 412
    assert s3.get_object(Bucket=bucket, Key="mp")["Body"].read() == b"existing"
    s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=up)


def test_delete_if_match(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="d", Body=b"keep")["ETag"]
    with extra_headers(s3, "DeleteObject", {"If-Match": '"0123456789abcdef0123456789abcdef"'}):
        with pytest.raises(ClientError) as e:
            s3.delete_object(Bucket=bucket, Key="d")
    assert status(e) == 412
    assert s3.get_object(Bucket=bucket, Key="d")["Body"].read() == b"keep"
    with extra_headers(s3, "DeleteObject", {"If-Match": etag}):
        s3.delete_object(Bucket=bucket, Key="d")
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="d")
    assert status(e) == 404


def test_concurrent_create_only_puts_have_one_winner(server, bucket):
    threads = 12
    bodies = [os.urandom(200 * 1024) for _ in range(threads)]

    def attempt(i):
        client = make_client(server.endpoint)
        try:
            put(client, bucket, "race", bodies[i], **{"If-None-Match": "*"})
            return i, 200
        except ClientError as e:
            return i, e.response["ResponseMetadata"]["HTTPStatusCode"]

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(attempt, range(threads)))
    winners = [i for i, st in results if st == 200]
    assert len(winners) == 1, results
    assert all(st == 412 for i, st in results if i not in winners), results
    got = make_client(server.endpoint).get_object(Bucket=bucket, Key="race")["Body"].read()
    assert got == bodies[winners[0]]
