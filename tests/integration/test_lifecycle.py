"""Bucket lifecycle with the real binary and boto3 / aws cli: configurations are validated,
stored and returned; x-amz-expiration is announced on PUT, GET and HEAD; with a lifecycle day
of 2 s (--lifecycle-day-seconds) objects under an expiration rule disappear, objects outside
its filter and objects rewritten since stay, and old incomplete multipart uploads are
aborted."""
import json
import subprocess
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import ACCESS_KEY, SECRET_KEY, Server, make_client

DAY = 2  # seconds in a lifecycle day for this server


@pytest.fixture(scope="module")
def srv():
    s = Server(drives=4, extra_args=["--lifecycle-day-seconds", str(DAY)]).start()
    yield s
    s.cleanup()


@pytest.fixture
def s3c(srv):
    return make_client(srv.endpoint)


@pytest.fixture
def bkt(s3c):
    name = "lc-" + uuid.uuid4().hex[:12]
    s3c.create_bucket(Bucket=name)
    return name


def error_code(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def rule(rule_id, prefix, days, **extra):
    r = {"ID": rule_id, "Filter": {"Prefix": prefix}, "Status": "Enabled",
         "Expiration": {"Days": days}}
    r.update(extra)
    return r


def wait_for(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.3)
    raise AssertionError("timed out waiting for " + what)


def keys(s3c, bucket):
    return sorted(o["Key"] for o in s3c.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_configuration_round_trip_and_delete(s3c, bkt):
    assert error_code(lambda: s3c.get_bucket_lifecycle_configuration(Bucket=bkt)) == \
        ("NoSuchLifecycleConfiguration", 404)
    rules = [rule("logs", "logs/", 30),
             {"ID": "tags", "Filter": {"And": {"Prefix": "t/", "Tags": [{"Key": "a", "Value": "b"}],
                                               "ObjectSizeGreaterThan": 10}},
              "Status": "Disabled", "Expiration": {"Days": 5}},
             {"ID": "mpu", "Filter": {"Prefix": ""}, "Status": "Enabled",
              "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 3}}]
    s3c.put_bucket_lifecycle_configuration(Bucket=bkt, LifecycleConfiguration={"Rules": rules})
    got = s3c.get_bucket_lifecycle_configuration(Bucket=bkt)["Rules"]
    assert [r["ID"] for r in got] == ["logs", "tags", "mpu"]
    assert got[0]["Expiration"] == {"Days": 30} and got[0]["Filter"] == {"Prefix": "logs/"}
    assert got[1]["Status"] == "Disabled"
    assert got[1]["Filter"]["And"]["Tags"] == [{"Key": "a", "Value": "b"}]
    assert got[1]["Filter"]["And"]["ObjectSizeGreaterThan"] == 10
    assert got[2]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 3}
    s3c.delete_bucket_lifecycle(Bucket=bkt)
    assert error_code(lambda: s3c.get_bucket_lifecycle_configuration(Bucket=bkt))[0] == \
        "NoSuchLifecycleConfiguration"
    assert error_code(lambda: s3c.get_bucket_lifecycle_configuration(Bucket="lc-no-such-bucket"))[0] == \
        "NoSuchBucket"


@pytest.mark.parametrize("bad,code", [
    ({"ID": "x", "Filter": {"Prefix": ""}, "Status": "Enabled", "Expiration": {"Days": 0}},
     "InvalidArgument"),
    ({"ID": "x", "Filter": {"Prefix": ""}, "Status": "Enabled"}, "InvalidRequest"),
    ({"ID": "x", "Filter": {"Prefix": ""}, "Status": "Enabled",
      "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]}, "NotImplemented"),
    ({"ID": "x", "Filter": {"Tag": {"Key": "a", "Value": "b"}}, "Status": "Enabled",
      "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}, "InvalidRequest"),
])
def test_invalid_configurations_refused(s3c, bkt, bad, code):
    got = error_code(lambda: s3c.put_bucket_lifecycle_configuration(
        Bucket=bkt, LifecycleConfiguration={"Rules": [bad]}))
    assert got[0] == code
    # Nothing was stored.
    assert error_code(lambda: s3c.get_bucket_lifecycle_configuration(Bucket=bkt))[0] == \
        "NoSuchLifecycleConfiguration"


def test_duplicate_rule_ids_and_aws_cli(srv, s3c, bkt):
    dup = [rule("same", "a/", 1), rule("same", "b/", 1)]
    assert error_code(lambda: s3c.put_bucket_lifecycle_configuration(
        Bucket=bkt, LifecycleConfiguration={"Rules": dup}))[0] == "InvalidArgument"
    # The aws cli stores and reads back a configuration.
    env = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
           "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"}
    ok = subprocess.run(["aws", "--endpoint-url", srv.endpoint, "s3api",
                         "put-bucket-lifecycle-configuration", "--bucket", bkt,
                         "--lifecycle-configuration",
                         json.dumps({"Rules": [rule("cli", "x/", 4)]})],
                        env=env, capture_output=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    out = subprocess.run(["aws", "--endpoint-url", srv.endpoint, "s3api",
                          "get-bucket-lifecycle-configuration", "--bucket", bkt],
                         env=env, capture_output=True, timeout=60, check=True)
    assert json.loads(out.stdout)["Rules"][0]["ID"] == "cli"


def test_expiration_header_on_put_get_head(s3c, bkt):
    s3c.put_bucket_lifecycle_configuration(
        Bucket=bkt, LifecycleConfiguration={"Rules": [rule("far", "docs/", 1000)]})
    put = s3c.put_object(Bucket=bkt, Key="docs/a", Body=b"x")
    assert 'rule-id="far"' in put["Expiration"]
    assert put["Expiration"].startswith('expiry-date="')
    assert 'rule-id="far"' in s3c.get_object(Bucket=bkt, Key="docs/a")["Expiration"]
    assert 'rule-id="far"' in s3c.head_object(Bucket=bkt, Key="docs/a")["Expiration"]
    # Outside the filter: no header.
    assert "Expiration" not in s3c.put_object(Bucket=bkt, Key="other", Body=b"x")
    assert "Expiration" not in s3c.head_object(Bucket=bkt, Key="other")


def test_objects_expire_after_their_days(srv, s3c, bkt):
    for k in ["tmp/a", "tmp/b", "keep/c"]:
        s3c.put_object(Bucket=bkt, Key=k, Body=b"data")
    s3c.put_bucket_lifecycle_configuration(
        Bucket=bkt, LifecycleConfiguration={"Rules": [rule("tmp", "tmp/", 2)]})
    # Two lifecycle days are 4 s; a pass runs every half day (1 s here).
    wait_for(lambda: keys(s3c, bkt) == ["keep/c"], 30, "tmp/ to expire")
    assert s3c.get_object(Bucket=bkt, Key="keep/c")["Body"].read() == b"data"
    m = s3c.get_object(Bucket=bkt, Key="keep/c")  # still there a while later
    assert m["ContentLength"] == 4


def test_rewritten_object_lives_on(s3c, bkt):
    s3c.put_bucket_lifecycle_configuration(
        Bucket=bkt, LifecycleConfiguration={"Rules": [rule("short", "", 3)]})
    s3c.put_object(Bucket=bkt, Key="fresh", Body=b"v1")
    # Rewritten before its expiry: the new version gets its own three days.
    time.sleep(DAY * 2)
    s3c.put_object(Bucket=bkt, Key="fresh", Body=b"v2")
    time.sleep(DAY * 1.5)
    assert s3c.get_object(Bucket=bkt, Key="fresh")["Body"].read() == b"v2"
    wait_for(lambda: keys(s3c, bkt) == [], 30, "the rewritten object to expire in turn")


def test_incomplete_uploads_aborted(s3c, bkt):
    up = s3c.create_multipart_upload(Bucket=bkt, Key="big/part")["UploadId"]
    s3c.upload_part(Bucket=bkt, Key="big/part", UploadId=up, PartNumber=1, Body=b"p" * 1024)
    s3c.put_bucket_lifecycle_configuration(
        Bucket=bkt, LifecycleConfiguration={"Rules": [
            {"ID": "mpu", "Filter": {"Prefix": "big/"}, "Status": "Enabled",
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]})
    wait_for(lambda: not s3c.list_multipart_uploads(Bucket=bkt).get("Uploads"), 30,
             "the upload to be aborted")
    assert error_code(lambda: s3c.list_parts(Bucket=bkt, Key="big/part", UploadId=up))[0] == \
        "NoSuchUpload"


def test_lifecycle_metrics_and_config_field(srv, s3c, bkt):
    import urllib.request
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method="GET", url=srv.endpoint + "/metrics",
                     headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1").add_auth(req)
    body = urllib.request.urlopen(urllib.request.Request(
        srv.endpoint + "/metrics", headers=dict(req.headers)), timeout=10).read().decode()
    for name in ["flashstor_lifecycle_passes", "flashstor_lifecycle_objects_expired",
                 "flashstor_lifecycle_uploads_aborted", "flashstor_lifecycle_errors"]:
        assert name in body


def test_tag_and_size_filters(s3c, bkt):
    s3c.put_object(Bucket=bkt, Key="t/tagged", Body=b"x" * 100, Tagging="state=old")
    s3c.put_object(Bucket=bkt, Key="t/untagged", Body=b"x" * 100)
    s3c.put_object(Bucket=bkt, Key="t/tagged-small", Body=b"x", Tagging="state=old")
    s3c.put_bucket_lifecycle_configuration(
        Bucket=bkt, LifecycleConfiguration={"Rules": [
            {"ID": "old", "Status": "Enabled", "Expiration": {"Days": 1},
             "Filter": {"And": {"Prefix": "t/", "Tags": [{"Key": "state", "Value": "old"}],
                                "ObjectSizeGreaterThan": 10}}}]})
    wait_for(lambda: "t/tagged" not in keys(s3c, bkt), 30, "the tagged object to expire")
    assert keys(s3c, bkt) == ["t/tagged-small", "t/untagged"]


def test_expiration_in_a_versioned_bucket_adds_a_delete_marker(s3c, bkt):
    s3c.put_bucket_versioning(Bucket=bkt, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3c.put_object(Bucket=bkt, Key="v/obj", Body=b"one")["VersionId"]
    s3c.put_bucket_lifecycle_configuration(
        Bucket=bkt, LifecycleConfiguration={"Rules": [rule("v", "v/", 1)]})
    wait_for(lambda: keys(s3c, bkt) == [], 30, "the current version to expire")
    versions = s3c.list_object_versions(Bucket=bkt)
    # AWS: expiring a current version in a versioned bucket keeps it as noncurrent behind a
    # delete marker.
    assert [v["VersionId"] for v in versions.get("Versions", [])] == [v1]
    markers = versions.get("DeleteMarkers", [])
    assert len(markers) == 1 and markers[0]["IsLatest"] and markers[0]["Key"] == "v/obj"
    assert s3c.get_object(Bucket=bkt, Key="v/obj", VersionId=v1)["Body"].read() == b"one"
    # A pass later, the marker is still the only one (a marker is not expired again).
    time.sleep(DAY * 2)
    assert len(s3c.list_object_versions(Bucket=bkt).get("DeleteMarkers", [])) == 1


def test_noncurrent_versions_expire_keeping_the_newest(s3c, bkt):
    s3c.put_bucket_versioning(Bucket=bkt, VersioningConfiguration={"Status": "Enabled"})
    ids = [s3c.put_object(Bucket=bkt, Key="n/obj", Body=b"v%d" % i)["VersionId"] for i in range(4)]
    s3c.put_bucket_lifecycle_configuration(
        Bucket=bkt, LifecycleConfiguration={"Rules": [
            {"ID": "nc", "Filter": {"Prefix": "n/"}, "Status": "Enabled",
             "NoncurrentVersionExpiration": {"NoncurrentDays": 1, "NewerNoncurrentVersions": 1}}]})

    def version_ids():
        return [v["VersionId"] for v in s3c.list_object_versions(Bucket=bkt).get("Versions", [])]
    # The current version and the newest noncurrent one stay; the two older ones go.
    wait_for(lambda: version_ids() == [ids[3], ids[2]], 30, "old noncurrent versions to expire")
    assert s3c.get_object(Bucket=bkt, Key="n/obj")["Body"].read() == b"v3"
    time.sleep(DAY * 2)
    assert version_ids() == [ids[3], ids[2]]


def test_expired_object_delete_marker_removed(s3c, bkt):
    s3c.put_bucket_versioning(Bucket=bkt, VersioningConfiguration={"Status": "Enabled"})
    vid = s3c.put_object(Bucket=bkt, Key="m/obj", Body=b"x")["VersionId"]
    s3c.delete_object(Bucket=bkt, Key="m/obj")  # a marker over the version
    s3c.put_object(Bucket=bkt, Key="m/keep", Body=b"x")
    s3c.delete_object(Bucket=bkt, Key="m/keep")
    s3c.delete_object(Bucket=bkt, Key="m/obj", VersionId=vid)  # now the marker stands alone
    s3c.put_bucket_lifecycle_configuration(
        Bucket=bkt, LifecycleConfiguration={"Rules": [
            {"ID": "dm", "Filter": {"Prefix": "m/"}, "Status": "Enabled",
             "Expiration": {"ExpiredObjectDeleteMarker": True}}]})

    def marker_keys():
        return sorted(m["Key"] for m in s3c.list_object_versions(Bucket=bkt).get("DeleteMarkers", []))
    wait_for(lambda: marker_keys() == ["m/keep"], 30, "the lone delete marker to go")
    # m/keep's marker still hides a version: it stays.
    assert [v["Key"] for v in s3c.list_object_versions(Bucket=bkt).get("Versions", [])] == ["m/keep"]
