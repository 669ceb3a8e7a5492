"""Authorisation beyond one action per request, with boto3 and curl against the real daemon:
each key of DeleteObjects checked on its own (a mixed Deleted/Error result, for users and
anonymous callers), the source of CopyObject and UploadPartCopy needing s3:GetObject (by
identity or the source bucket's policy), and the condition keys of headers, bodies and stored
tags: s3:ExistingObjectTag/<key> (users and role sessions), s3:RequestObjectTag/<key>,
s3:RequestObjectTagKeys, s3:x-amz-acl, s3:x-amz-server-side-encryption, s3:object-lock-mode,
-remaining-retention-days and -legal-hold, s3:TlsVersion over TLS 1.3 and 1.2."""
import base64
import datetime
import hashlib
import json
import subprocess
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import rawclient
from conftest import ACCESS_KEY, CURL, SECRET_KEY, Server, make_client, sse_master_key_file
from test_authz_cache_audit import audited  # noqa: F401 (a server writing an audit log)


def unique(prefix):
    return prefix + uuid.uuid4().hex[:10]


def code_of(excinfo):
    return (excinfo.value.response["Error"]["Code"],
            excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    keyfile = sse_master_key_file(tmp_path_factory)
    s = Server(drives=4, extra_args=["--sse-master-key-file", str(keyfile)]).start()
    yield s
    s.cleanup()


@pytest.fixture(scope="module")
def s3(server):
    return make_client(server.endpoint)


@pytest.fixture(scope="module")
def iam(server):
    return boto3.client("iam", endpoint_url=server.endpoint, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY, region_name="us-east-1",
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


@pytest.fixture
def bucket(s3):
    name = unique("pc-")
    s3.create_bucket(Bucket=name)
    return name


def new_user(server, iam, statements):
    """A user with one inline policy of these statements, and an s3 client signing as it."""
    name = unique("u")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": statements}))
    client = boto3.client(
        "s3", endpoint_url=server.endpoint, aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"], region_name="us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                      retries={"max_attempts": 1, "mode": "standard"}))
    return f"arn:aws:iam::000000000000:user/{name}", client


def allow(actions, resources, condition=None):
    st = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        st["Condition"] = condition
    return st


def test_delete_objects_checks_each_key(server, s3, iam, bucket):
    for k in ("tmp/a", "tmp/b", "keep/c"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    # Only a prefix: the old whole-bucket check (bucket/*) refused every key of such a user.
    _, user = new_user(server, iam, [allow("s3:DeleteObject", f"arn:aws:s3:::{bucket}/tmp/*")])
    out = user.delete_objects(Bucket=bucket, Delete={"Objects": [
        {"Key": "tmp/a"}, {"Key": "keep/c"}, {"Key": "tmp/b"}]})
    assert sorted(d["Key"] for d in out.get("Deleted", [])) == ["tmp/a", "tmp/b"]
    assert [(e["Key"], e["Code"]) for e in out["Errors"]] == [("keep/c", "AccessDenied")]
    left = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert left == ["keep/c"]


def test_delete_objects_deny_on_a_prefix(server, s3, iam, bucket):
    for k in ("a", "protected/b"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    _, user = new_user(server, iam, [
        allow("s3:*", [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]),
        {"Effect": "Deny", "Action": "s3:DeleteObject",
         "Resource": f"arn:aws:s3:::{bucket}/protected/*"}])
    out = user.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "protected/b"}]})
    assert [d["Key"] for d in out["Deleted"]] == ["a"]
    assert [(e["Key"], e["Code"]) for e in out["Errors"]] == [("protected/b", "AccessDenied")]
    assert s3.get_object(Bucket=bucket, Key="protected/b")["Body"].read() == b"x"
    # A version id asks for s3:DeleteObjectVersion, which this user lacks nowhere but is
    # denied nothing either: allowed by s3:*.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v = s3.put_object(Bucket=bucket, Key="v", Body=b"1")["VersionId"]
    out = user.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "v", "VersionId": v}]})
    assert out["Deleted"][0]["VersionId"] == v


def test_copy_needs_read_of_the_source(server, s3, iam, bucket):
    src = unique("pc-src-")
    s3.create_bucket(Bucket=src)
    s3.put_object(Bucket=src, Key="open/x", Body=b"readable")
    s3.put_object(Bucket=src, Key="secret/y", Body=b"hidden")
    _, user = new_user(server, iam, [
        allow("s3:PutObject", f"arn:aws:s3:::{bucket}/*"),
        allow("s3:GetObject", f"arn:aws:s3:::{src}/open/*")])
    user.copy_object(Bucket=bucket, Key="c1", CopySource={"Bucket": src, "Key": "open/x"})
    assert s3.get_object(Bucket=bucket, Key="c1")["Body"].read() == b"readable"
    with pytest.raises(ClientError) as e:
        user.copy_object(Bucket=bucket, Key="c2", CopySource={"Bucket": src, "Key": "secret/y"})
    assert code_of(e) == ("AccessDenied", 403)
    # The same copy by a caller that may read it works (root here).
    s3.copy_object(Bucket=bucket, Key="c2", CopySource={"Bucket": src, "Key": "secret/y"})
    # UploadPartCopy: the same rule.
    up = user.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    with pytest.raises(ClientError) as e:
        user.upload_part_copy(Bucket=bucket, Key="mp", UploadId=up, PartNumber=1,
                              CopySource={"Bucket": src, "Key": "secret/y"})
    assert code_of(e) == ("AccessDenied", 403)
    part = user.upload_part_copy(Bucket=bucket, Key="mp", UploadId=up, PartNumber=1,
                                 CopySource={"Bucket": src, "Key": "open/x"})
    assert part["CopyPartResult"]["ETag"]
    s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=up)
    # A source version by id asks for s3:GetObjectVersion, which the user lacks.
    s3.put_bucket_versioning(Bucket=src, VersioningConfiguration={"Status": "Enabled"})
    vid = s3.put_object(Bucket=src, Key="open/x", Body=b"v2")["VersionId"]
    with pytest.raises(ClientError) as e:
        user.copy_object(Bucket=bucket, Key="c3",
                         CopySource={"Bucket": src, "Key": "open/x", "VersionId": vid})
    assert code_of(e) == ("AccessDenied", 403)


def test_copy_source_by_bucket_policy(server, s3, iam, bucket):
    src = unique("pc-src-")
    s3.create_bucket(Bucket=src)
    s3.put_object(Bucket=src, Key="x", Body=b"shared")
    arn, user = new_user(server, iam, [allow("s3:PutObject", f"arn:aws:s3:::{bucket}/*")])
    with pytest.raises(ClientError) as e:
        user.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": src, "Key": "x"})
    assert code_of(e) == ("AccessDenied", 403)
    # The source bucket's policy may grant the read.
    s3.put_bucket_policy(Bucket=src, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": arn}, "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{src}/*"}]}))
    user.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": src, "Key": "x"})


def test_existing_object_tag(server, s3, iam, bucket):
    s3.put_object(Bucket=bucket, Key="pub", Body=b"p", Tagging="classification=public")
    s3.put_object(Bucket=bucket, Key="conf", Body=b"c", Tagging="classification=confidential")
    s3.put_object(Bucket=bucket, Key="none", Body=b"n")
    arn, user = new_user(server, iam, [])
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": arn}, "Action": ["s3:GetObject", "s3:GetObjectTagging"],
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringEquals": {"s3:ExistingObjectTag/classification": "public"}}}]}))
    assert user.get_object(Bucket=bucket, Key="pub")["Body"].read() == b"p"
    assert user.get_object_tagging(Bucket=bucket, Key="pub")["TagSet"] == [
        {"Key": "classification", "Value": "public"}]
    for key in ("conf", "none", "missing"):
        with pytest.raises(ClientError) as e:
            user.get_object(Bucket=bucket, Key=key)
        assert code_of(e)[1] == 403
    # The decision follows the stored tags (no stale cached answer).
    s3.put_object_tagging(Bucket=bucket, Key="conf",
                          Tagging={"TagSet": [{"Key": "classification", "Value": "public"}]})
    assert user.get_object(Bucket=bucket, Key="conf")["Body"].read() == b"c"
    s3.put_object_tagging(Bucket=bucket, Key="pub",
                          Tagging={"TagSet": [{"Key": "classification", "Value": "secret"}]})
    with pytest.raises(ClientError) as e:
        user.get_object(Bucket=bucket, Key="pub")
    assert code_of(e) == ("AccessDenied", 403)


def test_request_object_tag_on_put(server, s3, iam, bucket):
    _, user = new_user(server, iam, [
        allow(["s3:PutObject", "s3:PutObjectTagging"], f"arn:aws:s3:::{bucket}/*",
              {"StringEquals": {"s3:RequestObjectTag/project": "blue"}})])
    user.put_object(Bucket=bucket, Key="ok", Body=b"x", Tagging="project=blue&team=a")
    for tagging in ("project=red", ""):
        with pytest.raises(ClientError) as e:
            user.put_object(Bucket=bucket, Key="no", Body=b"x", Tagging=tagging)
        assert code_of(e) == ("AccessDenied", 403)
    # PutObjectTagging: the tags of its body.
    user.put_object_tagging(Bucket=bucket, Key="ok",
                            Tagging={"TagSet": [{"Key": "project", "Value": "blue"}]})
    with pytest.raises(ClientError) as e:
        user.put_object_tagging(Bucket=bucket, Key="ok",
                                Tagging={"TagSet": [{"Key": "project", "Value": "red"}]})
    assert code_of(e) == ("AccessDenied", 403)
    assert s3.get_object_tagging(Bucket=bucket, Key="ok")["TagSet"] == [
        {"Key": "project", "Value": "blue"}]
    # CreateMultipartUpload carries x-amz-tagging too.
    user.create_multipart_upload(Bucket=bucket, Key="mp", Tagging="project=blue")
    with pytest.raises(ClientError) as e:
        user.create_multipart_upload(Bucket=bucket, Key="mp")
    assert code_of(e) == ("AccessDenied", 403)


def test_request_object_tag_keys(server, s3, iam, bucket):
    _, user = new_user(server, iam, [
        allow("s3:PutObject", f"arn:aws:s3:::{bucket}/*",
              {"ForAllValues:StringEquals": {"s3:RequestObjectTagKeys": ["owner", "project"]}})])
    user.put_object(Bucket=bucket, Key="a", Body=b"x", Tagging="owner=me&project=p")
    with pytest.raises(ClientError) as e:
        user.put_object(Bucket=bucket, Key="b", Body=b"x", Tagging="owner=me&cost=1")
    assert code_of(e) == ("AccessDenied", 403)


def test_x_amz_acl_condition(server, s3, iam, bucket):
    _, user = new_user(server, iam, [
        allow("s3:PutObject", f"arn:aws:s3:::{bucket}/*",
              {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}})])
    user.put_object(Bucket=bucket, Key="a", Body=b"x", ACL="bucket-owner-full-control")
    with pytest.raises(ClientError) as e:
        user.put_object(Bucket=bucket, Key="b", Body=b"x")
    assert code_of(e) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as e:
        user.put_object(Bucket=bucket, Key="b", Body=b"x", ACL="private")
    assert code_of(e) == ("AccessDenied", 403)


def test_sse_required_by_bucket_policy(server, s3, iam, bucket):
    _, user = new_user(server, iam, [allow("s3:*", [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"])])
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "RequireAES256", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}}}]}))
    user.put_object(Bucket=bucket, Key="enc", Body=b"x", ServerSideEncryption="AES256")
    assert s3.head_object(Bucket=bucket, Key="enc")["ServerSideEncryption"] == "AES256"
    with pytest.raises(ClientError) as e:
        user.put_object(Bucket=bucket, Key="plain", Body=b"x")
    assert code_of(e) == ("AccessDenied", 403)
    # The copy's destination request is checked the same way.
    with pytest.raises(ClientError) as e:
        user.copy_object(Bucket=bucket, Key="plain", CopySource={"Bucket": bucket, "Key": "enc"})
    assert code_of(e) == ("AccessDenied", 403)
    user.copy_object(Bucket=bucket, Key="enc2", CopySource={"Bucket": bucket, "Key": "enc"},
                     ServerSideEncryption="AES256")


def test_object_lock_conditions(server, s3, iam):
    bucket = unique("pc-lock-")
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    _, user = new_user(server, iam, [
        allow("s3:*", [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]),
        {"Effect": "Deny", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"StringEquals": {"s3:object-lock-mode": "COMPLIANCE"}}},
        {"Effect": "Deny", "Action": "s3:PutObjectRetention", "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"NumericGreaterThan": {"s3:object-lock-remaining-retention-days": "30"}}},
        {"Effect": "Deny", "Action": "s3:PutObjectLegalHold", "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"StringEquals": {"s3:object-lock-legal-hold": "ON"}}}])
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)
    late = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=60)
    user.put_object(Bucket=bucket, Key="g", Body=b"x", ObjectLockMode="GOVERNANCE",
                    ObjectLockRetainUntilDate=soon, ChecksumAlgorithm="SHA256")
    with pytest.raises(ClientError) as e:
        user.put_object(Bucket=bucket, Key="c", Body=b"x", ObjectLockMode="COMPLIANCE",
                        ObjectLockRetainUntilDate=soon, ChecksumAlgorithm="SHA256")
    assert code_of(e) == ("AccessDenied", 403)
    # PutObjectRetention: the days left of its body's date.
    user.put_object(Bucket=bucket, Key="r", Body=b"x")
    user.put_object_retention(Bucket=bucket, Key="r", ChecksumAlgorithm="SHA256",
                              Retention={"Mode": "GOVERNANCE", "RetainUntilDate": soon})
    with pytest.raises(ClientError) as e:
        user.put_object_retention(Bucket=bucket, Key="r", ChecksumAlgorithm="SHA256",
                                  Retention={"Mode": "GOVERNANCE", "RetainUntilDate": late})
    assert code_of(e) == ("AccessDenied", 403)
    assert s3.get_object_retention(Bucket=bucket, Key="r")["Retention"]["RetainUntilDate"].date() == soon.date()
    # PutObjectLegalHold: its body's status.
    user.put_object_legal_hold(Bucket=bucket, Key="r", LegalHold={"Status": "OFF"},
                               ChecksumAlgorithm="SHA256")
    with pytest.raises(ClientError) as e:
        user.put_object_legal_hold(Bucket=bucket, Key="r", LegalHold={"Status": "ON"},
                                   ChecksumAlgorithm="SHA256")
    assert code_of(e) == ("AccessDenied", 403)


def curl(*args):
    out = subprocess.run([*CURL, "-s", "-o", "-", "-w", "\n%{http_code}", *args],
                         capture_output=True, timeout=30).stdout.decode()
    body, _, status = out.rpartition("\n")
    return int(status), body


def test_anonymous_copy_needs_both_bucket_policies(server, s3, bucket):
    src = unique("pc-src-")
    s3.create_bucket(Bucket=src)
    s3.put_object(Bucket=src, Key="x", Body=b"anon")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    put = ["-X", "PUT", "-H", f"x-amz-copy-source: /{src}/x", f"{server.endpoint}/{bucket}/c"]
    status, body = curl(*put)
    assert status == 403 and "<Code>AccessDenied</Code>" in body
    s3.put_bucket_policy(Bucket=src, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{src}/*"}]}))
    status, body = curl(*put)
    assert status == 200 and "<CopyObjectResult" in body, body
    assert s3.get_object(Bucket=bucket, Key="c")["Body"].read() == b"anon"


def test_anonymous_delete_objects_by_bucket_policy(server, s3, bucket):
    for k in ("open/a", "closed/b"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:DeleteObject",
        "Resource": f"arn:aws:s3:::{bucket}/open/*"}]}))
    body = ("<Delete><Object><Key>open/a</Key></Object>"
            "<Object><Key>closed/b</Key></Object></Delete>")
    md5 = base64.b64encode(hashlib.md5(body.encode()).digest()).decode()
    status, out = curl("-X", "POST", "-H", f"Content-MD5: {md5}", "--data-binary", body,
                       f"{server.endpoint}/{bucket}?delete")
    assert status == 200, out
    assert "<Deleted><Key>open/a</Key>" in out
    assert "<Key>closed/b</Key><Code>AccessDenied</Code>" in out.replace("\n", "")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["closed/b"]


@pytest.mark.parametrize("query", ["delete", "tagging", "retention", "legal-hold"])
def test_anonymous_body_never_read_without_a_bucket_policy(server, bucket, query):
    """The operations that decide after reading their body (per-key DeleteObjects, the body's
    condition keys) answer an anonymous caller that no bucket policy could admit at once: the
    head promises a body that never comes, and 403 arrives without waiting for it."""
    method = "POST" if query == "delete" else "PUT"
    path = f"/{bucket}" if query == "delete" else f"/{bucket}/k"
    # A server waiting for the body would answer nothing before the 3 s timeout (status 0).
    req = rawclient.open_request(server.port, method, f"{path}?{query}",
                                 {"content-type": "application/xml", "content-length": "100000"},
                                 timeout=3)
    status, _, body = req.response()
    assert status == 403 and b"<Code>AccessDenied</Code>" in body, (status, body)


def test_existing_object_tag_for_a_role_session(server, s3, bucket):
    from test_sts import make_role, s3_session, sts_client
    s3.put_object(Bucket=bucket, Key="pub", Body=b"p", Tagging="classification=public")
    s3.put_object(Bucket=bucket, Key="conf", Body=b"c", Tagging="classification=confidential")
    role = make_role(boto3.client("iam", endpoint_url=server.endpoint, aws_access_key_id=ACCESS_KEY,
                                  aws_secret_access_key=SECRET_KEY, region_name="us-east-1"),
                     {"AWS": "000000000000"}, json.dumps({"Version": "2012-10-17", "Statement": [
                         allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*",
                               {"StringEquals": {"s3:ExistingObjectTag/classification": "public"}})]}))
    creds = sts_client(server.endpoint).assume_role(RoleArn=role["Arn"],
                                                    RoleSessionName="tags")["Credentials"]
    session = s3_session(server.endpoint, creds)
    assert session.get_object(Bucket=bucket, Key="pub")["Body"].read() == b"p"
    with pytest.raises(ClientError) as e:
        session.get_object(Bucket=bucket, Key="conf")
    assert code_of(e) == ("AccessDenied", 403)


def test_tls_version_condition(tmp_path_factory):
    from test_http2 import make_cert
    certs, ca = make_cert(str(tmp_path_factory.mktemp("tlscerts")))
    srv = Server(drives=4, extra_args=["--tls-address", "127.0.0.1:0", "--certs-dir", certs],
                 listeners=2).start()
    try:
        s3 = make_client(srv.endpoint)
        bucket = unique("pc-tls-")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="k", Body=b"tls")
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
            "Condition": {"NumericGreaterThanEquals": {"s3:TlsVersion": "1.3"}}}]}))
        url = f"https://127.0.0.1:{srv.tls_port}/{bucket}/k"
        assert curl("--cacert", ca, "--tlsv1.3", url) == (200, "tls")
        status, body = curl("--cacert", ca, "--tls-max", "1.2", url)
        assert status == 403 and "<Code>AccessDenied</Code>" in body
        # Plain HTTP carries no TLS version: the condition does not hold.
        assert curl(f"{srv.endpoint}/{bucket}/k")[0] == 403
    finally:
        srv.cleanup()


def test_per_key_and_copy_source_denials_audited(audited):
    srv, audit = audited
    root = make_client(srv.endpoint)
    iam = boto3.client("iam", endpoint_url=srv.endpoint, aws_access_key_id=ACCESS_KEY,
                       aws_secret_access_key=SECRET_KEY, region_name="us-east-1")
    bucket = unique("pc-audit-")
    root.create_bucket(Bucket=bucket)
    for k in ("tmp/a", "keep/c", "secret/s"):
        root.put_object(Bucket=bucket, Key=k, Body=b"x")
    arn, user = new_user(srv, iam, [
        allow("s3:DeleteObject", f"arn:aws:s3:::{bucket}/tmp/*"),
        allow("s3:PutObject", f"arn:aws:s3:::{bucket}/*")])
    out = user.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "tmp/a"}, {"Key": "keep/c"}]})
    assert [e["Key"] for e in out["Errors"]] == ["keep/c"]
    with pytest.raises(ClientError):
        user.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "secret/s"})
    srv.stop()  # flushes the audit log
    records = [json.loads(line) for line in open(audit).read().splitlines()]
    partial = [r for r in records if r.get("denial", {}).get("resource") == f"arn:aws:s3:::{bucket}/keep/c"]
    assert partial and partial[0]["status"] == 200
    assert partial[0]["denial"]["action"] == "s3:DeleteObject"
    assert partial[0]["denial"]["principal"] == arn
    copy = [r for r in records if r.get("denial", {}).get("resource") == f"arn:aws:s3:::{bucket}/secret/s"]
    assert copy and copy[0]["status"] == 403 and copy[0]["denial"]["action"] == "s3:GetObject"


def test_post_form_fields_as_condition_keys(server, s3, iam, bucket):
    import requests
    _, user = new_user(server, iam, [
        allow("s3:PutObject", f"arn:aws:s3:::{bucket}/*",
              {"StringEquals": {"s3:RequestObjectTag/project": "blue",
                                "s3:x-amz-acl": "private"}})])

    def form(tag, acl):
        tagging = (f"<Tagging><TagSet><Tag><Key>project</Key><Value>{tag}</Value></Tag>"
                   "</TagSet></Tagging>")
        p = user.generate_presigned_post(bucket, "f", Fields={"tagging": tagging, "acl": acl},
                                         Conditions=[{"tagging": tagging}, {"acl": acl}])
        return requests.post(p["url"], data=p["fields"], files={"file": ("f", b"x")}, timeout=30)

    assert form("blue", "private").status_code == 204
    assert s3.get_object_tagging(Bucket=bucket, Key="f")["TagSet"] == [{"Key": "project", "Value": "blue"}]
    r = form("red", "private")
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text
    r = form("blue", "bucket-owner-full-control")
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text
