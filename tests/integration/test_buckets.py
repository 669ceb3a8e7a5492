"""Bucket operations through boto3: create (name rules), head, list, location, delete; PUTs
into a bucket whose folders vanished from the drives."""
import os
import shutil
import uuid

import pytest
from botocore.exceptions import ClientError


def err(e):
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_bucket_lifecycle(s3):
    name = "b-" + uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=name)
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert s3.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    loc = s3.get_bucket_location(Bucket=name)
    assert loc.get("LocationConstraint") in (None, "")
    s3.put_object(Bucket=name, Key="x", Body=b"1")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=name)
    assert err(e) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket=name, Key="x")
    s3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=name)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_create_existing_bucket(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=bucket)
    assert err(e) == ("BucketAlreadyOwnedByYou", 409)


@pytest.mark.parametrize("name", ["ab", "a" * 64, "Upper", "under_score", "-lead", "trail-",
                                  "dot..dot", "192.168.1.1", "xn--bucket", "x.-y"])
def test_invalid_bucket_names(s3, name):
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=name)
    assert err(e) == ("InvalidBucketName", 400)


def test_missing_bucket_errors(s3):
    name = "missing-" + uuid.uuid4().hex[:8]
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=name)
    assert err(e) == ("NoSuchBucket", 404)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=name, Key="k", Body=b"x")
    assert err(e) == ("NoSuchBucket", 404)
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=name)
    assert err(e) == ("NoSuchBucket", 404)


def test_put_into_a_bucket_gone_from_the_drives(server, s3):
    """A PUT does not stat the bucket's folders (its settings, cached, say it exists): a bucket
    whose folders vanished from every drive (by hand, or by another node) still answers
    NoSuchBucket to a small (inline) and a large PUT, and no folder is made again."""
    name = "gone-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"x")  # its settings are now cached
    s3.delete_object(Bucket=name, Key="k")
    for d in server.drives:
        shutil.rmtree(os.path.join(d, name))
    try:
        for body in (b"y", b"z" * (1 << 20)):
            with pytest.raises(ClientError) as e:
                s3.put_object(Bucket=name, Key="k2", Body=body)
            assert err(e) == ("NoSuchBucket", 404)
        for d in server.drives:
            assert not os.path.exists(os.path.join(d, name)), d
    finally:
        for d in server.drives:
            os.makedirs(os.path.join(d, name), exist_ok=True)
        s3.delete_bucket(Bucket=name)


def test_request_id_on_every_response(s3, bucket):
    r = s3.list_objects_v2(Bucket=bucket)
    assert r["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-id")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="nope")
    assert e.value.response["ResponseMetadata"]["HTTPHeaders"].get("x-amz-request-id")
    assert e.value.response["Error"]["Code"] == "NoSuchKey"


@pytest.mark.parametrize("call,code", [
    ("get_bucket_cors", "NoSuchCORSConfiguration"),
    ("get_bucket_tagging", "NoSuchTagSet"),
    ("get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration"),
    ("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError"),
    ("get_object_lock_configuration", "ObjectLockConfigurationNotFoundError"),
    ("get_bucket_website", "NoSuchWebsiteConfiguration"),
    ("get_bucket_replication", "ReplicationConfigurationNotFoundError"),
    ("get_public_access_block", "NoSuchPublicAccessBlockConfiguration"),
])
def test_unconfigured_bucket_features(s3, bucket, call, code):
    # What terraform, rclone and SDK helpers probe: AWS's "not configured" 404 for each.
    with pytest.raises(ClientError) as e:
        getattr(s3, call)(Bucket=bucket)
    assert e.value.response["Error"]["Code"] == code
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_object_without_tags(s3, bucket):
    s3.put_object(Bucket=bucket, Key="untagged", Body=b"x")
    assert s3.get_object_tagging(Bucket=bucket, Key="untagged")["TagSet"] == []
    with pytest.raises(ClientError) as e:
        s3.get_object_tagging(Bucket=bucket, Key="absent")
    assert e.value.response["Error"]["Code"] == "NoSuchKey"


def test_acls_disabled_owner_full_control_only(s3, bucket):
    """Object ownership is BucketOwnerEnforced (AWS's default): the owner-full-control forms
    are accepted, any other ACL is AccessControlListNotSupported, reads show the owner."""
    s3.put_object(Bucket=bucket, Key="acl", Body=b"x")
    s3.put_object_acl(Bucket=bucket, Key="acl", ACL="private")
    s3.put_object_acl(Bucket=bucket, Key="acl", ACL="bucket-owner-full-control")
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    acl = s3.get_object_acl(Bucket=bucket, Key="acl")
    assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"]
    owner = acl["Owner"]
    # The same ACL as a body is accepted; one more grantee is not.
    own_grant = {"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]},
                 "Permission": "FULL_CONTROL"}
    s3.put_object_acl(Bucket=bucket, Key="acl",
                      AccessControlPolicy={"Owner": owner, "Grants": [own_grant]})
    public = {"Grantee": {"Type": "Group",
                          "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
              "Permission": "READ"}
    for call in (lambda: s3.put_object_acl(Bucket=bucket, Key="acl", ACL="public-read"),
                 lambda: s3.put_bucket_acl(Bucket=bucket, ACL="public-read-write"),
                 lambda: s3.put_object_acl(Bucket=bucket, Key="acl", AccessControlPolicy={
                     "Owner": owner, "Grants": [own_grant, public]}),
                 lambda: s3.put_object(Bucket=bucket, Key="pub", Body=b"x",
                                       GrantRead='id="someone-else"')):
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] == "AccessControlListNotSupported"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    grants = s3.get_object_acl(Bucket=bucket, Key="acl")["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]


def test_ownership_controls_bucket_owner_enforced(s3, bucket):
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    for call in (lambda: s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={
                     "Rules": [{"ObjectOwnership": "ObjectWriter"}]}),
                 lambda: s3.delete_bucket_ownership_controls(Bucket=bucket)):
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    name = bucket + "-own"
    s3.create_bucket(Bucket=name, ObjectOwnership="BucketOwnerEnforced")
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=name + "w", ObjectOwnership="ObjectWriter")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


def test_features_off_by_default(s3, bucket):
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)
    n = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert not any(k.endswith("Configurations") for k in n)
    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=bucket)
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"
    with pytest.raises(ClientError) as e:
        s3.get_bucket_logging(Bucket="no-such-bucket-here")
    assert e.value.response["Error"]["Code"] == "NoSuchBucket"
