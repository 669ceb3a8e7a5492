"""S3 Object Lock against the real server with boto3 and the aws cli, as AWS documents it:
buckets created with object lock (versioned for good), Put/GetObjectLockConfiguration with a
default retention, retention and legal hold on PUT, multipart and by Put/GetObjectRetention and
Put/GetObjectLegalHold, GOVERNANCE bypass, COMPLIANCE never shortened, protected versions not
deletable by id while delete markers still hide them, and refusals on buckets without lock."""
import base64
import datetime
import hashlib
import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError


def code(e):
    return e.value.response["Error"]["Code"]


def status(e):
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def md5(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def future(seconds):
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)


@pytest.fixture
def lbucket(s3):
    name = "lock-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def put_locked(s3, bucket, key, body=b"data", **kw):
    return s3.put_object(Bucket=bucket, Key=key, Body=body, ContentMD5=md5(body), **kw)


def test_bucket_with_object_lock(s3, lbucket):
    assert s3.get_bucket_versioning(Bucket=lbucket)["Status"] == "Enabled"
    conf = s3.get_object_lock_configuration(Bucket=lbucket)["ObjectLockConfiguration"]
    assert conf == {"ObjectLockEnabled": "Enabled"}
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket=lbucket, VersioningConfiguration={"Status": "Suspended"})
    assert status(e) == 409 and code(e) == "InvalidBucketState"


def test_bucket_without_object_lock_refuses(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.get_object_lock_configuration(Bucket=bucket)
    assert code(e) == "ObjectLockConfigurationNotFoundError"
    with pytest.raises(ClientError) as e:
        put_locked(s3, bucket, "k", ObjectLockMode="GOVERNANCE",
                   ObjectLockRetainUntilDate=future(3600))
    assert status(e) == 400 and code(e) == "InvalidRequest"
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.put_object_retention(Bucket=bucket, Key="k", Retention={
            "Mode": "GOVERNANCE", "RetainUntilDate": future(3600)})
    assert status(e) == 400 and code(e) == "InvalidRequest"
    with pytest.raises(ClientError) as e:
        s3.get_object_legal_hold(Bucket=bucket, Key="k")
    assert status(e) == 400
    # Object lock on an existing bucket needs versioning Enabled (409), then turns on.
    with pytest.raises(ClientError) as e:
        s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled"})
    assert status(e) == 409 and code(e) == "InvalidBucketState"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled"})
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"][
        "ObjectLockEnabled"] == "Enabled"


def test_compliance_protects_and_is_never_shortened(s3, lbucket):
    until = future(3600).replace(microsecond=0)
    v = put_locked(s3, lbucket, "c", ObjectLockMode="COMPLIANCE",
                   ObjectLockRetainUntilDate=until)["VersionId"]
    head = s3.head_object(Bucket=lbucket, Key="c")
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] == until
    got = s3.get_object_retention(Bucket=lbucket, Key="c", VersionId=v)["Retention"]
    assert got == {"Mode": "COMPLIANCE", "RetainUntilDate": until}
    # Deleting the version is refused, even with the bypass; a delete marker is not.
    for kw in ({}, {"BypassGovernanceRetention": True}):
        with pytest.raises(ClientError) as e:
            s3.delete_object(Bucket=lbucket, Key="c", VersionId=v, **kw)
        assert status(e) == 403 and code(e) == "AccessDenied"
    marker = s3.delete_object(Bucket=lbucket, Key="c")
    assert marker["DeleteMarker"] is True
    assert s3.get_object(Bucket=lbucket, Key="c", VersionId=v)["Body"].read() == b"data"
    # Shorter, removed, or GOVERNANCE: refused; longer: accepted.
    for retention in ({"Mode": "COMPLIANCE", "RetainUntilDate": until - datetime.timedelta(seconds=60)},
                      {"Mode": "GOVERNANCE", "RetainUntilDate": until + datetime.timedelta(seconds=60)}):
        with pytest.raises(ClientError) as e:
            s3.put_object_retention(Bucket=lbucket, Key="c", VersionId=v, Retention=retention,
                                    BypassGovernanceRetention=True)
        assert code(e) == "AccessDenied"
    later = until + datetime.timedelta(days=1)
    s3.put_object_retention(Bucket=lbucket, Key="c", VersionId=v,
                            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later})
    assert s3.get_object_retention(Bucket=lbucket, Key="c", VersionId=v)["Retention"][
        "RetainUntilDate"] == later
    # DeleteObjects reports the protected version per key.
    out = s3.delete_objects(Bucket=lbucket, Delete={"Objects": [{"Key": "c", "VersionId": v}]})
    assert out["Errors"][0]["Code"] == "AccessDenied"
    versions = s3.list_object_versions(Bucket=lbucket)
    assert [x["VersionId"] for x in versions["Versions"]] == [v]


def test_governance_bypass(s3, lbucket):
    v = put_locked(s3, lbucket, "g", ObjectLockMode="GOVERNANCE",
                   ObjectLockRetainUntilDate=future(3600))["VersionId"]
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=lbucket, Key="g", VersionId=v)
    assert code(e) == "AccessDenied"
    with pytest.raises(ClientError) as e:
        s3.put_object_retention(Bucket=lbucket, Key="g", VersionId=v, Retention={})
    assert code(e) == "AccessDenied"
    s3.delete_object(Bucket=lbucket, Key="g", VersionId=v, BypassGovernanceRetention=True)
    assert "Versions" not in s3.list_object_versions(Bucket=lbucket, Prefix="g")


def test_legal_hold(s3, lbucket):
    v = put_locked(s3, lbucket, "h", ObjectLockLegalHoldStatus="ON")["VersionId"]
    assert s3.head_object(Bucket=lbucket, Key="h")["ObjectLockLegalHoldStatus"] == "ON"
    assert s3.get_object_legal_hold(Bucket=lbucket, Key="h")["LegalHold"]["Status"] == "ON"
    with pytest.raises(ClientError) as e:
        s3.get_object_retention(Bucket=lbucket, Key="h")
    assert code(e) == "NoSuchObjectLockConfiguration"
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=lbucket, Key="h", VersionId=v, BypassGovernanceRetention=True)
    assert code(e) == "AccessDenied"
    s3.put_object_legal_hold(Bucket=lbucket, Key="h", VersionId=v, LegalHold={"Status": "OFF"})
    assert s3.get_object_legal_hold(Bucket=lbucket, Key="h")["LegalHold"]["Status"] == "OFF"
    s3.delete_object(Bucket=lbucket, Key="h", VersionId=v)


def test_default_retention_and_multipart(s3, lbucket):
    s3.put_object_lock_configuration(Bucket=lbucket, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    conf = s3.get_object_lock_configuration(Bucket=lbucket)["ObjectLockConfiguration"]
    assert conf["Rule"]["DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 1}
    before = datetime.datetime.now(datetime.timezone.utc)
    s3.put_object(Bucket=lbucket, Key="d", Body=b"plain")
    head = s3.head_object(Bucket=lbucket, Key="d")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    delta = head["ObjectLockRetainUntilDate"] - before
    assert datetime.timedelta(hours=23, minutes=59) < delta < datetime.timedelta(hours=24, minutes=1)
    # Explicit headers win over the default; multipart uploads carry them to the object.
    until = future(7200).replace(microsecond=0)
    up = s3.create_multipart_upload(Bucket=lbucket, Key="mp", ObjectLockMode="COMPLIANCE",
                                    ObjectLockRetainUntilDate=until,
                                    ObjectLockLegalHoldStatus="ON")
    part = s3.upload_part(Bucket=lbucket, Key="mp", UploadId=up["UploadId"], PartNumber=1,
                          Body=b"m" * 1000)
    s3.complete_multipart_upload(Bucket=lbucket, Key="mp", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1,
                                                             "ETag": part["ETag"]}]})
    head = s3.head_object(Bucket=lbucket, Key="mp")
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] == until
    assert head["ObjectLockLegalHoldStatus"] == "ON"


def test_bad_lock_requests(s3, lbucket):
    s3.put_object(Bucket=lbucket, Key="k", Body=b"x")
    # A date in the past, a mode without a date, an unknown mode.
    with pytest.raises(ClientError) as e:
        s3.put_object_retention(Bucket=lbucket, Key="k", Retention={
            "Mode": "GOVERNANCE", "RetainUntilDate": future(-60)})
    assert code(e) == "InvalidArgument"
    with pytest.raises(ClientError) as e:
        put_locked(s3, lbucket, "k2", ObjectLockMode="GOVERNANCE")
    assert code(e) == "InvalidArgument"
    with pytest.raises(ClientError) as e:
        s3.put_object_lock_configuration(Bucket=lbucket, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1, "Years": 1}}})
    assert code(e) == "MalformedXML"
    # A delete marker has no retention (405).
    marker = s3.delete_object(Bucket=lbucket, Key="k")["VersionId"]
    with pytest.raises(ClientError) as e:
        s3.get_object_retention(Bucket=lbucket, Key="k", VersionId=marker)
    assert status(e) == 405


def test_aws_cli_retention(tools, s3, lbucket):
    put_locked(s3, lbucket, "cli")
    until = future(3600).strftime("%Y-%m-%dT%H:%M:%SZ")
    tools.aws("s3api", "put-object-retention", "--bucket", lbucket, "--key", "cli",
              "--retention", json.dumps({"Mode": "GOVERNANCE", "RetainUntilDate": until}))
    out = json.loads(tools.aws("s3api", "get-object-retention", "--bucket", lbucket,
                               "--key", "cli").stdout)
    assert out["Retention"]["Mode"] == "GOVERNANCE"
    assert out["Retention"]["RetainUntilDate"].startswith(until[:19])
    tools.aws("s3api", "put-object-legal-hold", "--bucket", lbucket, "--key", "cli",
              "--legal-hold", "Status=ON")
    out = json.loads(tools.aws("s3api", "get-object-legal-hold", "--bucket", lbucket,
                               "--key", "cli").stdout)
    assert out["LegalHold"]["Status"] == "ON"


def test_retention_expires(s3, lbucket):
    until = future(3)
    v = put_locked(s3, lbucket, "short", ObjectLockMode="COMPLIANCE",
                   ObjectLockRetainUntilDate=until)["VersionId"]
    with pytest.raises(ClientError):
        s3.delete_object(Bucket=lbucket, Key="short", VersionId=v)
    time.sleep(max(0.0, (until - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) + 0.5)
    s3.delete_object(Bucket=lbucket, Key="short", VersionId=v)
