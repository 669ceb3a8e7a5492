"""POST Object (browser form uploads) end to end with boto3's generate_presigned_post and
python requests: SigV4 and SigV2 forms, each success_action_status, redirects, ${filename},
metadata and tags stored and returned, policy violations, expiry, content-length-range,
malformed bodies, anonymous forms and the bucket policy that admits them."""
import json
import time
import urllib.parse

import boto3
import pytest
import requests
from botocore.config import Config

from conftest import ACCESS_KEY, SECRET_KEY


def client(endpoint, signature_version="s3v4"):
    cfg = Config(signature_version=signature_version, s3={"addressing_style": "path"},
                 retries={"max_attempts": 1, "mode": "standard"})
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY, region_name="us-east-1", config=cfg)


def post(presigned, data=b"hello form", filename="hello.txt", extra=None, drop=()):
    fields = {k: v for k, v in presigned["fields"].items() if k not in drop}
    fields.update(extra or {})
    return requests.post(presigned["url"], data=fields, files={"file": (filename, data)},
                         allow_redirects=False, timeout=60)


def error_code(r):
    return r.status_code, r.text.split("<Code>")[1].split("</Code>")[0] if "<Code>" in r.text else ""


def test_upload_with_filename_metadata_and_tags(s3, bucket):
    tagging = "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>"
    p = s3.generate_presigned_post(
        bucket, "up/${filename}",
        Fields={"x-amz-meta-colour": "red", "Content-Type": "text/plain",
                "Cache-Control": "max-age=60", "tagging": tagging},
        Conditions=[{"x-amz-meta-colour": "red"}, ["starts-with", "$Content-Type", "text/"],
                    {"Cache-Control": "max-age=60"}, {"tagging": tagging},
                    ["content-length-range", 1, 1000]],
        ExpiresIn=300)
    r = post(p, b"form body", "hello.txt")
    assert r.status_code == 204, r.text
    assert r.headers["ETag"].strip('"')
    got = s3.get_object(Bucket=bucket, Key="up/hello.txt")
    assert got["Body"].read() == b"form body"
    assert got["Metadata"] == {"colour": "red"}
    assert got["ContentType"] == "text/plain" and got["CacheControl"] == "max-age=60"
    assert got["ETag"] == r.headers["ETag"]
    tags = s3.get_object_tagging(Bucket=bucket, Key="up/hello.txt")["TagSet"]
    assert tags == [{"Key": "k", "Value": "v"}]


@pytest.mark.parametrize("status,expect", [("200", 200), ("201", 201), ("204", 204),
                                           ("299", 204)])
def test_success_action_status(s3, bucket, status, expect):
    p = s3.generate_presigned_post(bucket, "s", Fields={"success_action_status": status},
                                   Conditions=[{"success_action_status": status}])
    r = post(p)
    assert r.status_code == expect, r.text
    if expect == 201:
        assert "<PostResponse>" in r.text and f"<Bucket>{bucket}</Bucket>" in r.text
        assert "<Key>s</Key>" in r.text and r.headers["ETag"] in r.text
    else:
        assert r.content == b""
    assert s3.get_object(Bucket=bucket, Key="s")["Body"].read() == b"hello form"


def test_redirect(s3, bucket):
    target = "https://example.com/done?x=1"
    p = s3.generate_presigned_post(bucket, "r k", Fields={"success_action_redirect": target},
                                   Conditions=[{"success_action_redirect": target}])
    r = post(p)
    assert r.status_code == 303, r.text
    loc = urllib.parse.urlsplit(r.headers["Location"])
    assert loc.netloc == "example.com" and loc.path == "/done"
    q = urllib.parse.parse_qs(loc.query)
    assert q["x"] == ["1"] and q["bucket"] == [bucket] and q["key"] == ["r k"]
    assert q["etag"] == [r.headers["ETag"]]


def test_sigv2_form(server, s3, bucket):
    v2 = client(server.endpoint, "s3")
    p = v2.generate_presigned_post(bucket, "v2-form")
    assert "AWSAccessKeyId" in p["fields"] and "signature" in p["fields"]
    r = post(p, b"v2 form body")
    assert r.status_code == 204, r.text
    assert s3.get_object(Bucket=bucket, Key="v2-form")["Body"].read() == b"v2 form body"
    bad = dict(p, fields=dict(p["fields"], signature="AAAA" + p["fields"]["signature"][4:]))
    assert error_code(post(bad)) == (403, "SignatureDoesNotMatch")


def test_policy_violations(s3, bucket):
    p = s3.generate_presigned_post(bucket, "fixed", Conditions=[["content-length-range", 1, 100]])
    r = post(p, extra={"key": "other"})
    assert error_code(r) == (403, "AccessDenied") and "Invalid according to Policy" in r.text
    r = post(p, extra={"x-amz-meta-sneaky": "1"})
    assert error_code(r) == (403, "AccessDenied") and "Extra input fields" in r.text
    r = post(p, b"x" * 101)
    assert error_code(r) == (400, "EntityTooLarge")
    r = post(p, b"")
    assert error_code(r) == (400, "EntityTooSmall")
    r = post(p, extra={"x-amz-signature": "0" * 64})
    assert error_code(r) == (403, "SignatureDoesNotMatch")
    r = post(p, drop=("key",))
    assert error_code(r) == (400, "InvalidArgument")
    r = post(p, extra={"policy": "!!!"})
    assert error_code(r)[0] in (400, 403)
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket=bucket, Key="fixed")
    assert post(p, b"ok").status_code == 204


def test_expired_policy(s3, bucket):
    p = s3.generate_presigned_post(bucket, "late", ExpiresIn=1)
    time.sleep(2.1)
    r = post(p)
    assert error_code(r) == (403, "AccessDenied") and "Policy expired" in r.text


def test_acl_other_than_private_refused(s3, bucket):
    p = s3.generate_presigned_post(bucket, "acl", Fields={"acl": "public-read"},
                                   Conditions=[{"acl": "public-read"}])
    assert error_code(post(p)) == (501, "NotImplemented")
    p = s3.generate_presigned_post(bucket, "acl", Fields={"acl": "private"},
                                   Conditions=[{"acl": "private"}])
    assert post(p).status_code == 204


def test_malformed_body(server, s3, bucket):
    ctype = {"Content-Type": "multipart/form-data; boundary=B"}
    body = b"--B\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nno closing delimiter"
    r = requests.post(f"{server.endpoint}/{bucket}", data=body, headers=ctype, timeout=30)
    assert error_code(r) == (400, "MalformedPOSTRequest")
    # A signed form whose file part never ends: refused, nothing stored.
    p = s3.generate_presigned_post(bucket, "truncated")
    body = b"".join(b"--B\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                    % (k.encode(), v.encode()) for k, v in p["fields"].items())
    body += b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n"
    body += b"data without the closing delimiter" * 100
    r = requests.post(p["url"], data=body, headers=ctype, timeout=30)
    assert error_code(r) == (400, "MalformedPOSTRequest")
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket=bucket, Key="truncated")
    # No file part at all.
    body = b"--B\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--B--\r\n"
    r = requests.post(f"{server.endpoint}/{bucket}", data=body,
                      headers={"Content-Type": "multipart/form-data; boundary=B"}, timeout=30)
    assert error_code(r) == (400, "InvalidArgument")


def test_anonymous_form_needs_bucket_policy(server, s3, bucket):
    url = f"{server.endpoint}/{bucket}"
    r = requests.post(url, data={"key": "anon"}, files={"file": ("f", b"anonymous")}, timeout=30)
    assert error_code(r) == (403, "AccessDenied")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{bucket}/anon",
            "Condition": {"StringEquals": {"s3:authType": "POST"}}}]}))
    r = requests.post(url, data={"key": "anon"}, files={"file": ("f", b"anonymous")}, timeout=30)
    assert r.status_code == 204, r.text
    assert s3.get_object(Bucket=bucket, Key="anon")["Body"].read() == b"anonymous"
    s3.delete_bucket_policy(Bucket=bucket)


def test_large_file_streams(s3, bucket):
    data = bytes(range(256)) * (24 * 4096)  # 24 MiB
    p = s3.generate_presigned_post(bucket, "big", Conditions=[["content-length-range", 0, 1 << 30]])
    r = post(p, data, "big.bin")
    assert r.status_code == 204, r.text
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == data


def test_encryption_and_object_lock_refused_not_ignored(s3, bucket):
    """POST uploads do not encrypt or lock: asked for either (by a field or by the bucket's
    defaults), the upload is refused and nothing is stored in plaintext or unlocked."""
    for field in ({"x-amz-server-side-encryption": "AES256"},
                  {"x-amz-object-lock-legal-hold": "ON"}):
        p = s3.generate_presigned_post(bucket, "enc", Fields=field, Conditions=[field],
                                       ExpiresIn=300)
        assert error_code(post(p))[0] == 501
    locked = bucket + "-lk"
    s3.create_bucket(Bucket=locked, ObjectLockEnabledForBucket=True)
    p = s3.generate_presigned_post(locked, "lk", ExpiresIn=300)
    assert error_code(post(p))[0] == 501
    assert "Versions" not in s3.list_object_versions(Bucket=locked)
