"""S3 versioning against the real server with boto3 and the aws cli: Put/GetBucketVersioning,
version ids on PUT / multipart / copy, GET and HEAD by version id, delete markers, deleting
versions for good, the null version under Suspended, DeleteObjects with versions and
ListObjectVersions (markers, prefix, delimiter, paging), as AWS documents them."""
import json
import uuid

import pytest
from botocore.exceptions import ClientError

MIB = 1024 * 1024


def delete_all_versions(s3, name):
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
        for v in entries:
            s3.delete_object(Bucket=name, Key=v["Key"], VersionId=v["VersionId"])


@pytest.fixture
def vbucket(s3):
    """A bucket with versioning enabled; every version is removed afterwards."""
    name = "vers-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    yield name
    try:
        delete_all_versions(s3, name)
        s3.delete_bucket(Bucket=name)
    except Exception:
        pass


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def status_of(excinfo):
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_bucket_versioning_states(s3, bucket):
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"
    # No way back to "never enabled"; anything else is malformed.
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Disabled"})
    assert error_code(e) == "MalformedXML"
    # MFA delete is not implemented: refused, never ignored.
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={
            "Status": "Enabled", "MFADelete": "Enabled"})
    assert error_code(e) == "NotImplemented"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"
    with pytest.raises(ClientError) as e:
        s3.get_bucket_versioning(Bucket="no-such-bucket-" + uuid.uuid4().hex[:8])
    assert error_code(e) == "NoSuchBucket"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="x", Body=b"1")
    delete_all_versions(s3, bucket)


def test_put_creates_versions_and_get_by_id(s3, vbucket):
    ids = []
    for i in range(3):
        r = s3.put_object(Bucket=vbucket, Key="k", Body=f"body {i}".encode())
        assert r["VersionId"] and r["VersionId"] != "null"
        ids.append(r["VersionId"])
    assert len(set(ids)) == 3
    assert s3.get_object(Bucket=vbucket, Key="k")["Body"].read() == b"body 2"
    for i, vid in enumerate(ids):
        got = s3.get_object(Bucket=vbucket, Key="k", VersionId=vid)
        assert got["Body"].read() == f"body {i}".encode()
        assert got["VersionId"] == vid
        head = s3.head_object(Bucket=vbucket, Key="k", VersionId=vid)
        assert head["ContentLength"] == len(f"body {i}")
        assert head["VersionId"] == vid
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=vbucket, Key="k", VersionId="0123456789abcdef0123456789abcdef")
    assert error_code(e) == "NoSuchVersion"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=vbucket, Key="k", VersionId="not/a/version")
    assert error_code(e) == "InvalidArgument"


def test_large_versions_keep_their_data(s3, vbucket):
    # Versions with data dirs (not inline): each keeps its own.
    bodies = [bytes([i]) * (2 * MIB + i) for i in range(3)]
    ids = [s3.put_object(Bucket=vbucket, Key="big", Body=b)["VersionId"] for b in bodies]
    for vid, body in zip(ids, bodies):
        assert s3.get_object(Bucket=vbucket, Key="big", VersionId=vid)["Body"].read() == body
    s3.delete_object(Bucket=vbucket, Key="big", VersionId=ids[1])
    assert s3.get_object(Bucket=vbucket, Key="big", VersionId=ids[0])["Body"].read() == bodies[0]
    assert s3.get_object(Bucket=vbucket, Key="big")["Body"].read() == bodies[2]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=vbucket, Key="big", VersionId=ids[1])
    assert error_code(e) == "NoSuchVersion"


def test_delete_marker(s3, vbucket):
    v1 = s3.put_object(Bucket=vbucket, Key="d", Body=b"one")["VersionId"]
    r = s3.delete_object(Bucket=vbucket, Key="d")
    assert r["DeleteMarker"] is True
    marker = r["VersionId"]
    assert marker and marker != v1
    # The key is gone for plain GET/HEAD, with the marker named.
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=vbucket, Key="d")
    assert error_code(e) == "NoSuchKey"
    headers = e.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-delete-marker"] == "true"
    assert headers["x-amz-version-id"] == marker
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=vbucket, Key="d")
    assert status_of(e) == 404
    # A marker named by its id: 405 MethodNotAllowed.
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=vbucket, Key="d", VersionId=marker)
    assert status_of(e) == 405
    assert e.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=vbucket, Key="d", VersionId=marker)
    assert status_of(e) == 405
    # The old version is still there, and the key is not listed.
    assert s3.get_object(Bucket=vbucket, Key="d", VersionId=v1)["Body"].read() == b"one"
    assert "Contents" not in s3.list_objects_v2(Bucket=vbucket)
    assert "Contents" not in s3.list_objects(Bucket=vbucket)
    # Removing the marker brings the object back.
    r = s3.delete_object(Bucket=vbucket, Key="d", VersionId=marker)
    assert r["DeleteMarker"] is True and r["VersionId"] == marker
    assert s3.get_object(Bucket=vbucket, Key="d")["Body"].read() == b"one"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=vbucket)["Contents"]] == ["d"]
    # Removing the last version removes the key.
    r = s3.delete_object(Bucket=vbucket, Key="d", VersionId=v1)
    assert r["VersionId"] == v1 and "DeleteMarker" not in r
    assert "Versions" not in s3.list_object_versions(Bucket=vbucket)
    # Deleting a version that does not exist is not an error.
    s3.delete_object(Bucket=vbucket, Key="d", VersionId=v1)


def test_suspended_null_version(s3, bucket):
    # An object written before versioning is the null version, and stays.
    s3.put_object(Bucket=bucket, Key="n", Body=b"before")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="n", Body=b"enabled")["VersionId"]
    assert s3.get_object(Bucket=bucket, Key="n", VersionId="null")["Body"].read() == b"before"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    # Suspended: writes replace the null version; other versions stay.
    s3.put_object(Bucket=bucket, Key="n", Body=b"suspended 1")
    s3.put_object(Bucket=bucket, Key="n", Body=b"suspended 2")
    versions = s3.list_object_versions(Bucket=bucket, Prefix="n")["Versions"]
    assert [v["VersionId"] for v in versions] == ["null", v1]
    assert versions[0]["IsLatest"] and not versions[1]["IsLatest"]
    assert s3.get_object(Bucket=bucket, Key="n")["Body"].read() == b"suspended 2"
    assert s3.get_object(Bucket=bucket, Key="n", VersionId=v1)["Body"].read() == b"enabled"
    # A delete under Suspended: a delete marker that is the null version.
    r = s3.delete_object(Bucket=bucket, Key="n")
    assert r["DeleteMarker"] is True and r["VersionId"] == "null"
    listed = s3.list_object_versions(Bucket=bucket, Prefix="n")
    assert [m["VersionId"] for m in listed["DeleteMarkers"]] == ["null"]
    assert [v["VersionId"] for v in listed["Versions"]] == [v1]
    assert s3.get_object(Bucket=bucket, Key="n", VersionId=v1)["Body"].read() == b"enabled"
    delete_all_versions(s3, bucket)


def test_multipart_and_copy_into_versioned_bucket(s3, vbucket):
    parts = [b"a" * (5 * MIB), b"b" * 1000]
    up = s3.create_multipart_upload(Bucket=vbucket, Key="mp")
    etags = [s3.upload_part(Bucket=vbucket, Key="mp", UploadId=up["UploadId"], PartNumber=i + 1,
                            Body=p)["ETag"] for i, p in enumerate(parts)]
    done = s3.complete_multipart_upload(
        Bucket=vbucket, Key="mp", UploadId=up["UploadId"],
        MultipartUpload={"Parts": [{"ETag": e, "PartNumber": i + 1} for i, e in enumerate(etags)]})
    mp_id = done["VersionId"]
    assert mp_id
    v2 = s3.put_object(Bucket=vbucket, Key="mp", Body=b"small")["VersionId"]
    # Copy an old version back over the key: a new version with the old bytes.
    copied = s3.copy_object(Bucket=vbucket, Key="mp",
                            CopySource={"Bucket": vbucket, "Key": "mp", "VersionId": mp_id})
    assert copied["CopySourceVersionId"] == mp_id
    assert copied["VersionId"] not in (mp_id, v2)
    assert s3.get_object(Bucket=vbucket, Key="mp")["Body"].read() == b"".join(parts)
    assert s3.get_object(Bucket=vbucket, Key="mp", VersionId=v2)["Body"].read() == b"small"
    ids = [v["VersionId"] for v in s3.list_object_versions(Bucket=vbucket)["Versions"]]
    assert ids == [copied["VersionId"], v2, mp_id]
    # A delete marker cannot be a copy source by id.
    marker = s3.delete_object(Bucket=vbucket, Key="mp")["VersionId"]
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=vbucket, Key="other",
                       CopySource={"Bucket": vbucket, "Key": "mp", "VersionId": marker})
    assert error_code(e) == "InvalidRequest"


def test_delete_objects_with_versions(s3, vbucket):
    a1 = s3.put_object(Bucket=vbucket, Key="a", Body=b"1")["VersionId"]
    a2 = s3.put_object(Bucket=vbucket, Key="a", Body=b"2")["VersionId"]
    s3.put_object(Bucket=vbucket, Key="b", Body=b"3")
    r = s3.delete_objects(Bucket=vbucket, Delete={"Objects": [
        {"Key": "a", "VersionId": a1}, {"Key": "b"}]})
    deleted = {d["Key"]: d for d in r["Deleted"]}
    assert deleted["a"]["VersionId"] == a1 and "DeleteMarker" not in deleted["a"]
    assert deleted["b"]["DeleteMarker"] is True and deleted["b"]["DeleteMarkerVersionId"]
    assert "Errors" not in r
    ids = [v["VersionId"] for v in s3.list_object_versions(Bucket=vbucket, Prefix="a")["Versions"]]
    assert ids == [a2]
    # Removing the marker by id through DeleteObjects.
    marker = deleted["b"]["DeleteMarkerVersionId"]
    r = s3.delete_objects(Bucket=vbucket, Delete={"Objects": [{"Key": "b", "VersionId": marker}]})
    assert r["Deleted"][0]["DeleteMarker"] is True
    assert r["Deleted"][0]["DeleteMarkerVersionId"] == marker
    assert s3.get_object(Bucket=vbucket, Key="b")["Body"].read() == b"3"


def test_list_object_versions_paging(s3, vbucket):
    expected = []
    for key in ["p/a", "p/b", "q"]:
        ids = [s3.put_object(Bucket=vbucket, Key=key, Body=key.encode() * i)["VersionId"]
               for i in range(1, 4)]
        expected += [(key, vid) for vid in reversed(ids)]  # newest first
    marker = s3.delete_object(Bucket=vbucket, Key="q")["VersionId"]
    full = s3.list_object_versions(Bucket=vbucket)
    assert [(v["Key"], v["VersionId"]) for v in full["Versions"]] == expected
    assert [(m["Key"], m["VersionId"], m["IsLatest"]) for m in full["DeleteMarkers"]] == [
        ("q", marker, True)]
    latest = {v["Key"]: v["VersionId"] for v in full["Versions"] if v["IsLatest"]}
    assert set(latest) == {"p/a", "p/b"}  # q's latest is its marker
    # Pages of 2 entries walk everything exactly once, resuming inside keys.
    seen = []
    kwargs = {}
    while True:
        page = s3.list_object_versions(Bucket=vbucket, MaxKeys=2, **kwargs)
        entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
        assert len(entries) <= 2
        seen += [(v["Key"], v["VersionId"]) for v in entries]
        if not page["IsTruncated"]:
            break
        kwargs = {"KeyMarker": page["NextKeyMarker"],
                  "VersionIdMarker": page["NextVersionIdMarker"]}
    assert sorted(seen) == sorted(expected + [("q", marker)])
    assert len(seen) == len(expected) + 1
    # Prefix and delimiter.
    r = s3.list_object_versions(Bucket=vbucket, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["p/"]
    assert {v["Key"] for v in r["Versions"]} == {"q"}
    r = s3.list_object_versions(Bucket=vbucket, Prefix="p/b")
    assert [v["VersionId"] for v in r["Versions"]] == [vid for k, vid in expected if k == "p/b"]
    # A key marker alone starts after that key.
    r = s3.list_object_versions(Bucket=vbucket, KeyMarker="p/b")
    assert {v["Key"] for v in r["Versions"]} == {"q"}
    r = s3.list_object_versions(Bucket=vbucket, EncodingType="url", Prefix="p/")
    assert r["EncodingType"] == "url"


def test_unversioned_bucket_answers(s3, bucket):
    # Never enabled: no version ids on PUT, "null" readable by id, deletes remove the key.
    r = s3.put_object(Bucket=bucket, Key="u", Body=b"x")
    assert "VersionId" not in r
    assert s3.get_object(Bucket=bucket, Key="u", VersionId="null")["Body"].read() == b"x"
    r = s3.delete_object(Bucket=bucket, Key="u")
    assert "DeleteMarker" not in r
    assert "Versions" not in s3.list_object_versions(Bucket=bucket)


def test_aws_cli_flow(tools, s3, vbucket):
    s3.put_object(Bucket=vbucket, Key="cli", Body=b"first")
    s3.put_object(Bucket=vbucket, Key="cli", Body=b"second")
    out = json.loads(tools.aws("s3api", "get-bucket-versioning", "--bucket", vbucket).stdout)
    assert out["Status"] == "Enabled"
    out = json.loads(tools.aws("s3api", "list-object-versions", "--bucket", vbucket).stdout)
    ids = [v["VersionId"] for v in out["Versions"]]
    assert len(ids) == 2
    out = json.loads(tools.aws("s3api", "delete-object", "--bucket", vbucket, "--key", "cli",
                               "--version-id", ids[0]).stdout)
    assert out["VersionId"] == ids[0]
    body = s3.get_object(Bucket=vbucket, Key="cli")["Body"].read()
    assert body == b"first"
    tools.aws("s3api", "put-bucket-versioning", "--bucket", vbucket,
              "--versioning-configuration", "Status=Suspended")
    out = json.loads(tools.aws("s3api", "get-bucket-versioning", "--bucket", vbucket).stdout)
    assert out["Status"] == "Suspended"
