"""Temporary credentials (AssumeRole) with every signature kind, not only SigV4 headers: SigV2
headers and presigned URLs (botocore's 's3' signer) and browser POST forms (SigV4 and SigV2)
carrying x-amz-security-token. The session is validated statelessly from its token, its
session policy caps it, a forged token is InvalidToken and an expired one ExpiredToken."""
import json
import time

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server
from test_iam import code_of, iam_client, unique
from test_sts import bucket_rw, make_bucket, make_role, sts_client


@pytest.fixture(scope="module")
def ep():
    srv = Server(drives=4, extra_args=["--sts-min-duration-seconds", "1"]).start()
    yield srv.endpoint
    srv.stop()
    srv.cleanup()


def session_client(ep, creds, signature_version, token=None):
    cfg = Config(signature_version=signature_version, s3={"addressing_style": "path"},
                 retries={"max_attempts": 1, "mode": "standard"})
    return boto3.client("s3", endpoint_url=ep, aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"] if token is None else token,
                        region_name="us-east-1", config=cfg)


def read_only_session(ep, bucket, duration=900):
    role = make_role(iam_client(ep), {"AWS": "000000000000"}, bucket_rw(bucket))
    read_a = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": f"arn:aws:s3:::{bucket}/a*"}]})
    return sts_client(ep).assume_role(RoleArn=role["Arn"], RoleSessionName=unique("s"),
                                      Policy=read_a, DurationSeconds=duration)["Credentials"]


def form_post(presigned, data=b"form body"):
    return requests.post(presigned["url"], data=presigned["fields"],
                         files={"file": ("f.txt", data)}, allow_redirects=False, timeout=60)


def error_code(r):
    return r.status_code, r.text.split("<Code>")[1].split("</Code>")[0] if "<Code>" in r.text else ""


def test_sigv2_header_with_session_token(ep):
    bucket = make_bucket(ep)
    creds = read_only_session(ep, bucket)
    v2 = session_client(ep, creds, "s3")
    assert v2.get_object(Bucket=bucket, Key="a.txt")["Body"].read() == b"hello"
    v2.put_object(Bucket=bucket, Key="a-new", Body=b"x")
    # The session policy caps the role: secret/ is the role's, not the session's.
    with pytest.raises(ClientError) as e:
        v2.get_object(Bucket=bucket, Key="secret/b.txt")
    assert code_of(e) == ("AccessDenied", 403)
    tok = creds["SessionToken"]
    middle = len(tok) // 2
    forged = tok[:middle] + ("A" if tok[middle] != "A" else "B") + tok[middle + 1:]
    with pytest.raises(ClientError) as e:
        session_client(ep, creds, "s3", token=forged).get_object(Bucket=bucket, Key="a.txt")
    assert code_of(e) == ("InvalidToken", 400)


def test_sigv2_presigned_url_with_session_token(ep):
    bucket = make_bucket(ep)
    creds = read_only_session(ep, bucket)
    v2 = session_client(ep, creds, "s3")
    url = v2.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a.txt"},
                                    ExpiresIn=60)
    assert "Signature=" in url and "x-amz-security-token" in url.lower()
    r = requests.get(url, timeout=30)
    assert r.status_code == 200 and r.content == b"hello"
    denied = v2.generate_presigned_url("get_object",
                                       Params={"Bucket": bucket, "Key": "secret/b.txt"},
                                       ExpiresIn=60)
    assert error_code(requests.get(denied, timeout=30)) == (403, "AccessDenied")


@pytest.mark.parametrize("signature_version", ["s3v4", "s3"])
def test_post_form_with_session_token(ep, signature_version):
    bucket = make_bucket(ep)
    creds = read_only_session(ep, bucket)
    client = session_client(ep, creds, signature_version)
    p = client.generate_presigned_post(bucket, "a-form")
    assert p["fields"].get("x-amz-security-token") == creds["SessionToken"]
    r = form_post(p, b"posted")
    assert r.status_code == 204, r.text
    assert client.get_object(Bucket=bucket, Key="a-form")["Body"].read() == b"posted"
    # Outside the session policy (b...): refused.
    assert error_code(form_post(client.generate_presigned_post(bucket, "b-form"))) == \
        (403, "AccessDenied")
    # A forged token in the form.
    bad = client.generate_presigned_post(bucket, "a-forged")
    tok = bad["fields"]["x-amz-security-token"]
    bad["fields"]["x-amz-security-token"] = tok[:-4] + ("AAAA" if tok[-4:] != "AAAA" else "BBBB")
    assert error_code(form_post(bad)) == (400, "InvalidToken")


def test_expired_session_refused_by_v2_and_post(ep):
    bucket = make_bucket(ep)
    creds = read_only_session(ep, bucket, duration=2)
    v2 = session_client(ep, creds, "s3")
    assert v2.get_object(Bucket=bucket, Key="a.txt")["Body"].read() == b"hello"
    form = session_client(ep, creds, "s3v4").generate_presigned_post(bucket, "a-late")
    time.sleep(max(0.0, creds["Expiration"].timestamp() - time.time()) + 1.1)
    with pytest.raises(ClientError) as e:
        v2.get_object(Bucket=bucket, Key="a.txt")
    assert code_of(e) == ("ExpiredToken", 400)
    assert error_code(form_post(form)) == (400, "ExpiredToken")
