"""Headers that ask for what Flashstor does not implement are refused, never stored and
ignored: SSE-S3/KMS/C, Object Lock, ACL grants, foreign bucket owners. Real boto3."""
import base64
import hashlib
import os
import uuid

import pytest
from botocore.exceptions import ClientError

from s3headers import extra_headers


def code(e):
    return e.value.response["Error"]["Code"]


def status(e):
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def assert_absent(s3, bucket, key):
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key=key)
    assert status(e) == 404


def sse_c_headers():
    key = os.urandom(32)
    return {
        "x-amz-server-side-encryption-customer-algorithm": "AES256",
        "x-amz-server-side-encryption-customer-key": base64.b64encode(key).decode(),
        "x-amz-server-side-encryption-customer-key-MD5":
            base64.b64encode(hashlib.md5(key).digest()).decode(),
    }


def test_sse_c_over_plain_http_refused_and_nothing_stored(s3, bucket):
    # SSE-C is implemented (test_sse.py), but a key sent in clear is refused as AWS does.
    with extra_headers(s3, "PutObject", sse_c_headers()):
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key="secret", Body=b"top secret")
    assert status(e) == 400 and code(e) == "InvalidRequest"
    assert_absent(s3, bucket, "secret")


def test_sse_c_get_refused(s3, bucket):
    s3.put_object(Bucket=bucket, Key="plain", Body=b"plain")
    with extra_headers(s3, "GetObject", sse_c_headers()):
        with pytest.raises(ClientError) as e:
            s3.get_object(Bucket=bucket, Key="plain")
    assert status(e) == 400 and code(e) == "InvalidRequest"


@pytest.mark.parametrize("args", [{"ServerSideEncryption": "AES256"},
                                  {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "k1"}])
def test_sse_s3_without_master_key_and_kms_refused(s3, bucket, args):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="enc", Body=b"x", **args)
    assert status(e) == 501
    assert_absent(s3, bucket, "enc")
    with pytest.raises(ClientError) as e:
        s3.create_multipart_upload(Bucket=bucket, Key="enc", **args)
    assert status(e) == 501
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_sse_on_copy_refused(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"},
                       ServerSideEncryption="AES256")
    assert status(e) == 501
    assert_absent(s3, bucket, "dst")


def test_object_lock_headers_refused(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="locked", Body=b"x", ObjectLockLegalHoldStatus="ON")
    assert status(e) == 400 and code(e) == "InvalidRequest"
    assert_absent(s3, bucket, "locked")


def test_invalid_tagging_refused(s3, bucket):
    # Tagging is implemented (test_tagging.py); a tag AWS forbids is refused, nothing stored.
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="tagged", Body=b"x", Tagging="aws%3Aproject=a")
    assert status(e) == 400 and code(e) == "InvalidTag"
    assert_absent(s3, bucket, "tagged")


def test_public_acl_and_grants_refused(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="pub", Body=b"x", ACL="public-read")
    assert status(e) == 400 and code(e) == "AccessControlListNotSupported"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="pub", Body=b"x", GrantRead='uri="http://acs.amazonaws.com/groups/global/AllUsers"')
    assert status(e) == 400 and code(e) == "AccessControlListNotSupported"
    assert_absent(s3, bucket, "pub")
    # The canned private ACL is what every object has: accepted.
    s3.put_object(Bucket=bucket, Key="priv", Body=b"x", ACL="private")


def test_expected_bucket_owner(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="o", Body=b"x", ExpectedBucketOwner="111122223333")
    assert status(e) == 403
    assert_absent(s3, bucket, "o")
