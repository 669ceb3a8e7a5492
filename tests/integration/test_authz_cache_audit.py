"""The authorisation decision cache and the audit of denials, against the real binary with
boto3 and curl: a change to a user's policies or to a bucket policy is seen by the very next
request (a cached allow never outlives it), /metrics counts cache hits and misses, and every
request refused by authorisation or authentication leaves an audit record naming the
principal, action, resource, source IP and the deciding statement -- never a secret."""
import json
import os
import shutil
import subprocess
import tempfile

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, CURL, SECRET_KEY, Server, make_client

BUCKET = "authz-audit"


def client(service, endpoint, key, secret):
    cfg = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                 retries={"max_attempts": 1, "mode": "standard"})
    return boto3.client(service, endpoint_url=endpoint, aws_access_key_id=key,
                        aws_secret_access_key=secret, region_name="us-east-1", config=cfg)


def status_of(fn):
    try:
        fn()
        return 200
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"]


def signed_get(url):
    req = AWSRequest(method="GET", url=url, headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1").add_auth(req)
    r = subprocess.run([*CURL, "-s", url] +
                       sum((["-H", f"{k}: {v}"] for k, v in req.headers.items()), []),
                       capture_output=True, timeout=30)
    return r.stdout.decode()


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} missing from /metrics")


@pytest.fixture(scope="module")
def audited():
    root = tempfile.mkdtemp(prefix="flashstor-authz-")
    os.chown(root, 65534, 65534) if os.geteuid() == 0 else None
    audit = os.path.join(root, "audit.log")
    cfg = os.path.join(root, "config.json")
    with open(cfg, "w") as f:
        json.dump({"root_user": ACCESS_KEY, "root_password": SECRET_KEY, "drives": ["/unused"],
                   "audit": {"file": audit, "journald": False}, "metrics_access": "signed"}, f)
    os.chmod(cfg, 0o600)
    srv = Server(drives=4, extra_args=["--config", cfg]).start()
    yield srv, audit
    srv.cleanup()
    shutil.rmtree(root, ignore_errors=True)


def test_changes_are_seen_at_once_and_denials_audited(audited):
    srv, audit = audited
    root_s3 = make_client(srv.endpoint)
    iam = client("iam", srv.endpoint, ACCESS_KEY, SECRET_KEY)
    root_s3.create_bucket(Bucket=BUCKET)
    root_s3.put_object(Bucket=BUCKET, Key="k", Body=b"data")
    root_s3.put_object(Bucket=BUCKET, Key="tmp/t", Body=b"tmp")
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    alice = client("s3", srv.endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    alice_iam = client("iam", srv.endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    get = lambda k="k": alice.get_object(Bucket=BUCKET, Key=k)["Body"].read()
    reads = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Reads", "Effect": "Allow", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{BUCKET}/*"},
        {"Sid": "NoTmp", "Effect": "Deny", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{BUCKET}/tmp/*"}]})

    assert status_of(get) == 403  # no policy yet
    iam.put_user_policy(UserName="alice", PolicyName="reads", PolicyDocument=reads)
    for _ in range(5):  # the first evaluates, the rest come from the cache
        assert get() == b"data"
    assert status_of(lambda: get("tmp/t")) == 403
    # An IAM change: the very next request sees it, on whichever worker serves it.
    iam.delete_user_policy(UserName="alice", PolicyName="reads")
    assert status_of(get) == 403
    iam.put_user_policy(UserName="alice", PolicyName="reads", PolicyDocument=reads)
    assert get() == b"data"
    # A bucket-policy change: the same.
    root_s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Sid": "NoAlice", "Effect": "Deny",
            "Principal": {"AWS": "arn:aws:iam::000000000000:user/alice"},
            "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}]}))
    assert status_of(get) == 403
    root_s3.delete_bucket_policy(Bucket=BUCKET)
    assert get() == b"data"
    # A condition key's value is part of the cached decision: only 127.0.0.1 may read.
    root_s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Sid": "LoopbackOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": "127.0.0.1/32"}}}]}))
    assert get() == b"data"
    root_s3.delete_bucket_policy(Bucket=BUCKET)

    # Denials of other kinds: anonymous, a bad signature, an IAM call without permission.
    anon = subprocess.run([*CURL, "-s", "-o", "/dev/null", "-w", "%{http_code}",
                           f"{srv.endpoint}/{BUCKET}/k"], capture_output=True, timeout=30)
    assert anon.stdout == b"403"
    forged = client("s3", srv.endpoint, key["AccessKeyId"], "not-the-secret-key-at-all")
    assert status_of(lambda: forged.get_object(Bucket=BUCKET, Key="k")) == 403
    assert status_of(lambda: alice_iam.create_user(UserName="mallory")) == 403

    text = signed_get(srv.endpoint + "/metrics")
    hits = metric(text, "flashstor_authz_cache_hits_total")
    misses = metric(text, "flashstor_authz_cache_misses_total")
    assert hits >= 4 and misses >= 5, (hits, misses)

    srv.stop()  # flushes the audit log
    raw = open(audit).read()
    assert SECRET_KEY not in raw and key["SecretAccessKey"] not in raw
    assert "not-the-secret-key-at-all" not in raw and "Signature=" not in raw
    denials = [r["denial"] for r in map(json.loads, raw.splitlines()) if "denial" in r]
    alice_arn = "arn:aws:iam::000000000000:user/alice"
    obj = f"arn:aws:s3:::{BUCKET}/k"

    def find(**want):
        hits = [d for d in denials if all(d.get(k) == v for k, v in want.items())]
        assert hits, f"no denial with {want} in {denials}"
        return hits[0]

    d = find(principal=alice_arn, resource=obj, decided_by="implicit deny")
    assert d["action"] == "s3:GetObject" and d["source_ip"] == "127.0.0.1"
    find(principal=alice_arn, resource=f"arn:aws:s3:::{BUCKET}/tmp/t",
         decided_by="identity:reads:NoTmp")
    find(principal=alice_arn, resource=obj, decided_by="bucket:policy:NoAlice")
    find(principal="anonymous", resource=obj, action="s3:GetObject", decided_by="implicit deny")
    find(principal="anonymous", resource=obj, decided_by="authentication: SignatureDoesNotMatch")
    find(principal=alice_arn, action="iam:CreateUser", decided_by="implicit deny")
    # Allowed requests carry no denial.
    allowed = [r for r in map(json.loads, raw.splitlines()) if r["status"] == 200]
    assert allowed and all("denial" not in r for r in allowed)
