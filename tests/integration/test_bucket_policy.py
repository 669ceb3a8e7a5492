"""Bucket policies with boto3 and curl: Put/Get/DeleteBucketPolicy and GetBucketPolicyStatus,
anonymous (unsigned) reads of the prefix a policy opens and nothing else, refused documents
(MalformedPolicy naming the element), and a deny in the bucket policy over a user's allow."""
import json
import subprocess

import pytest
from botocore.exceptions import ClientError

from conftest import CURL


def curl(url, method="GET", data=None):
    args = [*CURL, "-s", "-o", "-", "-w", "\n%{http_code}", "-X", method, url]
    if data is not None:
        args += ["--data-binary", data]
    out = subprocess.run(args, capture_output=True, timeout=30).stdout.decode()
    body, _, status = out.rpartition("\n")
    return int(status), body


def public_prefix_policy(bucket):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/public/*"}]})


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_anonymous_read_of_allowed_prefix(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="public/hello.txt", Body=b"hello world")
    s3.put_object(Bucket=bucket, Key="private/secret.txt", Body=b"secret")
    url = f"{server.endpoint}/{bucket}"
    status, body = curl(f"{url}/public/hello.txt")
    assert status == 403 and "<Code>AccessDenied</Code>" in body
    s3.put_bucket_policy(Bucket=bucket, Policy=public_prefix_policy(bucket))
    assert curl(f"{url}/public/hello.txt") == (200, "hello world")
    status, body = curl(f"{url}/private/secret.txt")
    assert status == 403 and "<Code>AccessDenied</Code>" in body
    assert curl(f"{url}/public/new.txt", "PUT", "x")[0] == 403
    assert curl(f"{url}?list-type=2")[0] == 403
    assert curl(f"{url}/public/hello.txt", "DELETE")[0] == 403
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(public_prefix_policy(bucket))
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    s3.delete_bucket_policy(Bucket=bucket)
    assert curl(f"{url}/public/hello.txt")[0] == 403
    with pytest.raises(ClientError) as e:
        s3.get_bucket_policy(Bucket=bucket)
    assert code_of(e) == ("NoSuchBucketPolicy", 404)


def test_policy_conditions_and_status(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="public/a", Body=b"a")
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}}]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False
    assert curl(f"{server.endpoint}/{bucket}/public/a")[0] == 403  # 127.0.0.1 is not in the range
    policy["Statement"][0]["Condition"] = {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    assert curl(f"{server.endpoint}/{bucket}/public/a") == (200, "a")


def test_malformed_policies_refused(s3, bucket):
    cases = [
        ("not json", "Syntax"),
        (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                            "Resource": f"arn:aws:s3:::{bucket}/*"}]}), "Principal"),
        (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                            "Resource": "arn:aws:s3:::some-other-bucket/*"}]}), "resource"),
        (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                            "Resource": f"arn:aws:s3:::{bucket}/*",
                                                            "Condition": {"StringSorta": {"s3:prefix": "a"}}}]}), "StringSorta"),
        (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                            "Resource": f"arn:aws:s3:::{bucket}/" + "x" * 21000}]}), "size"),
    ]
    for doc, hint in cases:
        with pytest.raises(ClientError) as e:
            s3.put_bucket_policy(Bucket=bucket, Policy=doc)
        assert code_of(e) == ("MalformedPolicy", 400), doc[:80]
        assert hint.lower() in e.value.response["Error"]["Message"].lower(), e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        s3.put_bucket_policy(Bucket="no-such-bucket-policy-test", Policy=public_prefix_policy("no-such-bucket-policy-test"))
    assert code_of(e) == ("NoSuchBucket", 404)
