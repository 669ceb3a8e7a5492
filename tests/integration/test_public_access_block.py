"""Block Public Access at bucket level with boto3 and curl: Put/Get/DeletePublicAccessBlock
(AWS's XML, NoSuchPublicAccessBlockConfiguration when absent), BlockPublicPolicy (a public
bucket policy is refused with 403), RestrictPublicBuckets (a public policy grants anonymous
callers nothing, from the very next request), BlockPublicAcls (a write carrying a public ACL
is refused with 403), and AWS's definition of a public policy in GetBucketPolicyStatus."""
import hashlib
import json
import subprocess
import urllib.error
import urllib.request

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, CURL, SECRET_KEY


def curl_status(url, method="GET"):
    out = subprocess.run([*CURL, "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", method, url],
                         capture_output=True, timeout=30).stdout.decode()
    return int(out)


def error_of(fn):
    with pytest.raises(ClientError) as e:
        fn()
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def pab(**on):
    names = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    return {n: bool(on.get(n, False)) for n in names}


def public_policy(bucket, condition=None):
    st = {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
          "Resource": f"arn:aws:s3:::{bucket}/*"}
    if condition:
        st["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


def test_put_get_delete(s3, bucket):
    assert error_of(lambda: s3.get_public_access_block(Bucket=bucket)) == (
        "NoSuchPublicAccessBlockConfiguration", 404)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=pab(
        BlockPublicAcls=True, RestrictPublicBuckets=True))
    got = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert got == pab(BlockPublicAcls=True, RestrictPublicBuckets=True)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=pab(
        BlockPublicAcls=True, IgnorePublicAcls=True, BlockPublicPolicy=True,
        RestrictPublicBuckets=True))
    got = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(got.values()) and len(got) == 4
    s3.delete_public_access_block(Bucket=bucket)
    assert error_of(lambda: s3.get_public_access_block(Bucket=bucket))[1] == 404


def signed_put(url, body):
    req = AWSRequest(method="PUT", url=url, data=body,
                     headers={"x-amz-content-sha256": hashlib.sha256(body).hexdigest()})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1").add_auth(req)
    try:
        with urllib.request.urlopen(urllib.request.Request(
                url, data=body, method="PUT", headers=dict(req.headers)), timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_malformed_document_refused(server, s3, bucket):
    url = f"{server.endpoint}/{bucket}?publicAccessBlock"
    for body in (b"<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls>"
                 b"</PublicAccessBlockConfiguration>",
                 b"<PublicAccessBlockConfiguration><Other>true</Other></PublicAccessBlockConfiguration>",
                 b"<Wrong/>", b"not xml", b"<PublicAccessBlockConfiguration>" + b" " * 5000 +
                 b"</PublicAccessBlockConfiguration>"):
        status, text = signed_put(url, body)
        assert status == 400 and "<Code>MalformedXML</Code>" in text, (body[:60], status, text)
    assert error_of(lambda: s3.get_public_access_block(Bucket=bucket))[1] == 404


def test_block_public_policy(s3, bucket):
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=pab(
        BlockPublicPolicy=True))
    assert error_of(lambda: s3.put_bucket_policy(Bucket=bucket, Policy=public_policy(bucket))) == (
        "AccessDenied", 403)
    # A condition on s3:prefix does not fix the caller: still public.
    assert error_of(lambda: s3.put_bucket_policy(Bucket=bucket, Policy=public_policy(
        bucket, {"StringEquals": {"s3:prefix": "x"}})))[1] == 403
    # Limited to a CIDR set: not public, accepted.
    s3.put_bucket_policy(Bucket=bucket, Policy=public_policy(
        bucket, {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}))
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=public_policy(
        bucket, {"StringEquals": {"s3:prefix": "x"}}))
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    s3.delete_bucket_policy(Bucket=bucket)


def test_restrict_public_buckets_applies_at_once(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="open", Body=b"hello")
    url = f"{server.endpoint}/{bucket}/open"
    s3.put_bucket_policy(Bucket=bucket, Policy=public_policy(bucket))
    for _ in range(3):
        assert curl_status(url) == 200  # the decision is cached after the first
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=pab(
        RestrictPublicBuckets=True))
    assert curl_status(url) == 403
    s3.get_object(Bucket=bucket, Key="open")  # the account itself is not restricted
    s3.delete_public_access_block(Bucket=bucket)
    assert curl_status(url) == 200
    s3.delete_bucket_policy(Bucket=bucket)
    assert curl_status(url) == 403


def test_block_public_acls_on_writes(s3, bucket):
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=pab(
        BlockPublicAcls=True))
    for acl in ("public-read", "public-read-write", "authenticated-read"):
        assert error_of(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL=acl)) == (
            "AccessDenied", 403)
    assert error_of(lambda: s3.put_object(
        Bucket=bucket, Key="k", Body=b"x",
        GrantRead='uri="http://acs.amazonaws.com/groups/global/AllUsers"')) == ("AccessDenied", 403)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="private")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"  # reads unaffected
    s3.delete_public_access_block(Bucket=bucket)
