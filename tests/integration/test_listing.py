"""Listing: V1 and V2 with prefix, delimiter, pagination, start-after, url encoding, and
UTF-8 byte order, over 2,500 keys compared against a sorted reference."""
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def many(s3):
    name = "list-many"
    s3.create_bucket(Bucket=name)
    keys = []
    for d in range(25):
        for f in range(90):
            keys.append(f"dir{d:02d}/file{f:03d}")
    keys += [f"top{i}" for i in range(250)]
    keys += ["a", "a-b", "a/b", "a/c/d", "b", "é", "z\u00ff", "Zed", "0"]
    with ThreadPoolExecutor(16) as ex:
        list(ex.map(lambda k: s3.put_object(Bucket=name, Key=k, Body=b"v"), keys))
    return name, sorted(keys, key=lambda k: k.encode())


def test_v2_full_pagination(s3, many):
    name, keys = many
    got = []
    token = None
    pages = 0
    while True:
        kw = {"Bucket": name, "MaxKeys": 333}
        if token:
            kw["ContinuationToken"] = token
        r = s3.list_objects_v2(**kw)
        pages += 1
        got += [o["Key"] for o in r.get("Contents", [])]
        assert r["KeyCount"] == len(r.get("Contents", []))
        if not r["IsTruncated"]:
            break
        token = r["NextContinuationToken"]
    assert got == keys
    assert pages == (len(keys) + 332) // 333


def test_v2_delimiter(s3, many):
    name, keys = many
    r = s3.list_objects_v2(Bucket=name, Delimiter="/")
    prefixes = [p["Prefix"] for p in r["CommonPrefixes"]]
    assert prefixes == sorted({k.split("/")[0] + "/" for k in keys if "/" in k})
    top = [o["Key"] for o in r["Contents"]]
    assert top == [k for k in keys if "/" not in k]
    r = s3.list_objects_v2(Bucket=name, Prefix="dir07/", Delimiter="/", MaxKeys=1000)
    assert [o["Key"] for o in r["Contents"]] == [k for k in keys if k.startswith("dir07/")]


def test_v2_delimiter_paginated(s3, many):
    name, keys = many
    seen, token = [], None
    while True:
        kw = {"Bucket": name, "Delimiter": "/", "MaxKeys": 7}
        if token:
            kw["ContinuationToken"] = token
        r = s3.list_objects_v2(**kw)
        page = [p["Prefix"] for p in r.get("CommonPrefixes", [])]
        page += [o["Key"] for o in r.get("Contents", [])]
        assert len(page) <= 7
        seen += sorted(page, key=lambda k: k.encode())
        if not r["IsTruncated"]:
            break
        token = r["NextContinuationToken"]
    expected = sorted({(k.split("/")[0] + "/") if "/" in k else k for k in keys},
                      key=lambda k: k.encode())
    assert seen == expected


def test_v2_start_after(s3, many):
    name, keys = many
    r = s3.list_objects_v2(Bucket=name, StartAfter="dir24/file050", MaxKeys=10)
    i = keys.index("dir24/file050")
    assert [o["Key"] for o in r["Contents"]] == keys[i + 1:i + 11]


def test_v1_marker(s3, many):
    name, keys = many
    got, marker = [], ""
    while True:
        r = s3.list_objects(Bucket=name, Marker=marker, MaxKeys=500)
        got += [o["Key"] for o in r.get("Contents", [])]
        if not r["IsTruncated"]:
            break
        marker = got[-1]
    assert got == keys


def test_encoding_type_url(s3, many):
    name, _ = many
    r = s3.list_objects_v2(Bucket=name, Prefix="é", EncodingType="url")
    # Asked for explicitly, botocore leaves the encoding in place: the server's own bytes.
    assert [o["Key"] for o in r["Contents"]] == ["%C3%A9"]
    assert r["Prefix"] == "%C3%A9"
    # Without it the key comes back as UTF-8.
    r = s3.list_objects(Bucket=name, Prefix="é")
    assert [o["Key"] for o in r["Contents"]] == ["é"]


def test_max_keys_zero(s3, many):
    name, _ = many
    r = s3.list_objects_v2(Bucket=name, MaxKeys=0)
    assert r["KeyCount"] == 0 and "Contents" not in r


def test_list_object_versions_of_unversioned_bucket(s3, bucket):
    # Versioning is never enabled: every object is its one "null" version (what
    # `rclone --s3-versions`, `aws s3api list-object-versions` and cleanup scripts read).
    keys = [f"v/{i:02d}" for i in range(7)] + ["top"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
    pages = s3.get_paginator("list_object_versions").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 3})
    versions = [v for p in pages for v in p.get("Versions", [])]
    assert [v["Key"] for v in versions] == sorted(keys)
    assert all(v["VersionId"] == "null" and v["IsLatest"] for v in versions)
    first = next(v for v in versions if v["Key"] == "v/00")
    assert first["Size"] == 4 and first["ETag"].startswith('"')
    r = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["v/"]
    assert [v["Key"] for v in r["Versions"]] == ["top"]
    assert "DeleteMarkers" not in r
    r = s3.list_object_versions(Bucket=bucket, KeyMarker="v/05", VersionIdMarker="null")
    assert [v["Key"] for v in r["Versions"]] == ["v/06"]
    with pytest.raises(ClientError) as e:
        s3.list_object_versions(Bucket=bucket, VersionIdMarker="null")
    assert e.value.response["Error"]["Code"] == "InvalidArgument"
