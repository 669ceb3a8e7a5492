"""Object and bucket tagging as AWS defines it, with real boto3 and the aws cli:
Put/Get/DeleteObjectTagging, x-amz-tagging on PutObject, CopyObject (x-amz-tagging-directive)
and multipart, x-amz-tagging-count, AWS's limits, and Put/Get/DeleteBucketTagging."""
import json
import urllib.parse

import pytest
from botocore.exceptions import ClientError

import rawclient


def code(e):
    return e.value.response["Error"]["Code"]


def status(e):
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def tagset(pairs):
    return {"TagSet": [{"Key": k, "Value": v} for k, v in pairs]}


def tags_of(s3, bucket, key):
    return [(t["Key"], t["Value"]) for t in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]]


def test_put_get_delete_object_tagging(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    before = s3.head_object(Bucket=bucket, Key="k")
    assert "x-amz-tagging-count" not in before["ResponseMetadata"]["HTTPHeaders"]
    r = s3.put_object_tagging(Bucket=bucket, Key="k",
                              Tagging=tagset([("project", "blue"), ("cost center", "a+b=c")]))
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert tags_of(s3, bucket, "k") == [("project", "blue"), ("cost center", "a+b=c")]
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "2"
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["TagCount"] == 2 and got["Body"].read() == b"data"
    # Tagging does not modify the object: same ETag, same Last-Modified.
    assert head["ETag"] == before["ETag"]
    assert head["LastModified"] == before["LastModified"]
    # A second put replaces the whole set.
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=tagset([("only", "")]))
    assert tags_of(s3, bucket, "k") == [("only", "")]
    r = s3.delete_object_tagging(Bucket=bucket, Key="k")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert tags_of(s3, bucket, "k") == []
    assert "TagCount" not in s3.get_object(Bucket=bucket, Key="k")
    # GetObjectAttributes is unaffected by tags.
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging=tagset([("a", "1")]))
    attrs = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ObjectSize"])
    assert attrs["ObjectSize"] == 4


def test_object_tagging_missing_key_and_version(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.put_object_tagging(Bucket=bucket, Key="absent", Tagging=tagset([("a", "1")]))
    assert code(e) == "NoSuchKey"
    with pytest.raises(ClientError) as e:
        s3.delete_object_tagging(Bucket=bucket, Key="absent")
    assert code(e) == "NoSuchKey"
    s3.put_object(Bucket=bucket, Key="v", Body=b"x")
    s3.put_object_tagging(Bucket=bucket, Key="v", VersionId="null", Tagging=tagset([("a", "1")]))
    assert tags_of(s3, bucket, "v") == [("a", "1")]
    with pytest.raises(ClientError) as e:
        s3.put_object_tagging(Bucket=bucket, Key="v", VersionId="3HL4kqtJlcpXroDTDmJ",
                              Tagging=tagset([("a", "2")]))
    assert code(e) == "NoSuchVersion"
    assert tags_of(s3, bucket, "v") == [("a", "1")]


def test_tagging_header_on_put(s3, bucket):
    s3.put_object(Bucket=bucket, Key="h", Body=b"x",
                  Tagging=urllib.parse.urlencode({"team": "data eng", "path": "a/b@c"}))
    assert tags_of(s3, bucket, "h") == [("team", "data eng"), ("path", "a/b@c")]
    assert s3.head_object(Bucket=bucket, Key="h")["ResponseMetadata"]["HTTPHeaders"][
        "x-amz-tagging-count"] == "2"
    # An overwrite without the header has no tags.
    s3.put_object(Bucket=bucket, Key="h", Body=b"y")
    assert tags_of(s3, bucket, "h") == []


@pytest.mark.parametrize("tags,err,http", [
    ([(f"k{i}", "v") for i in range(11)], "BadRequest", 400),
    ([("k" * 129, "v")], "InvalidTag", 400),
    ([("k", "v" * 257)], "InvalidTag", 400),
    ([("aws:owner", "v")], "InvalidTag", 400),
    ([("bad*key", "v")], "InvalidTag", 400),
    ([("k", "v"), ("k", "w")], "InvalidTag", 400),
])
def test_object_tag_limits(s3, bucket, tags, err, http):
    s3.put_object(Bucket=bucket, Key="lim", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.put_object_tagging(Bucket=bucket, Key="lim", Tagging=tagset(tags))
    assert code(e) == err and status(e) == http
    assert tags_of(s3, bucket, "lim") == []
    # The same set in the header of a PutObject is refused too, and nothing is stored.
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="lim-put", Body=b"x",
                      Tagging="&".join(urllib.parse.urlencode({k: v}) for k, v in tags))
    assert code(e) == err
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="lim-put")


def test_object_tag_limits_at_the_edge(s3, bucket):
    s3.put_object(Bucket=bucket, Key="edge", Body=b"x")
    ten = [(f"k{i}", "v") for i in range(10)]
    s3.put_object_tagging(Bucket=bucket, Key="edge", Tagging=tagset(ten))
    assert len(tags_of(s3, bucket, "edge")) == 10
    long_unicode = [("é" * 128, "ü" * 256)]  # characters, not bytes
    s3.put_object_tagging(Bucket=bucket, Key="edge", Tagging=tagset(long_unicode))
    assert tags_of(s3, bucket, "edge") == long_unicode


def test_malformed_tagging_body(s3, bucket, server):
    s3.put_object(Bucket=bucket, Key="m", Body=b"x")
    for body in (b"<Tagging/>", b"not xml", b"<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet>"
                 b"</Tagging>"):
        st, _, resp = rawclient.signed_request(server.port, "PUT", f"/{bucket}/m", body=body,
                                               query="tagging=")
        assert st == 400 and b"<Code>MalformedXML</Code>" in resp
    assert tags_of(s3, bucket, "m") == []


def test_copy_tagging_directive(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"payload", Tagging="a=1&b=2")
    # COPY is the default: the source's tags come along, x-amz-tagging is not needed.
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "src"})
    assert tags_of(s3, bucket, "copy") == [("a", "1"), ("b", "2")]
    s3.copy_object(Bucket=bucket, Key="copy2", CopySource={"Bucket": bucket, "Key": "src"},
                   TaggingDirective="COPY")
    assert tags_of(s3, bucket, "copy2") == [("a", "1"), ("b", "2")]
    # REPLACE takes the header's set (none: no tags).
    s3.copy_object(Bucket=bucket, Key="rep", CopySource={"Bucket": bucket, "Key": "src"},
                   TaggingDirective="REPLACE", Tagging="c=3")
    assert tags_of(s3, bucket, "rep") == [("c", "3")]
    s3.copy_object(Bucket=bucket, Key="none", CopySource={"Bucket": bucket, "Key": "src"},
                   TaggingDirective="REPLACE")
    assert tags_of(s3, bucket, "none") == []
    # Onto itself: REPLACE of the tags alone is a change, and the data stays.
    s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"},
                   TaggingDirective="REPLACE", Tagging="d=4")
    assert tags_of(s3, bucket, "src") == [("d", "4")]
    assert s3.get_object(Bucket=bucket, Key="src")["Body"].read() == b"payload"
    # A metadata REPLACE onto itself keeps the tags (tagging directive COPY).
    s3.copy_object(Bucket=bucket, Key="src", CopySource={"Bucket": bucket, "Key": "src"},
                   MetadataDirective="REPLACE", Metadata={"m": "1"})
    assert tags_of(s3, bucket, "src") == [("d", "4")]
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="bad", CopySource={"Bucket": bucket, "Key": "src"},
                       TaggingDirective="REPLACE", Tagging="aws%3Ax=1")
    assert code(e) == "InvalidTag"


def test_multipart_tags_carried_to_object(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", Tagging="stage=raw&owner=me")
    part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1,
                          Body=b"z" * 1024)
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1,
                                                             "ETag": part["ETag"]}]})
    assert tags_of(s3, bucket, "mp") == [("stage", "raw"), ("owner", "me")]
    assert s3.get_object(Bucket=bucket, Key="mp")["TagCount"] == 2
    with pytest.raises(ClientError) as e:
        s3.create_multipart_upload(Bucket=bucket, Key="mp2", Tagging="a=1&a=2")
    assert code(e) == "InvalidTag"


def test_aws_cli_put_object_tagging(tools, s3, bucket):
    s3.put_object(Bucket=bucket, Key="cli", Body=b"x")
    tools.aws("s3api", "put-object-tagging", "--bucket", bucket, "--key", "cli", "--tagging",
              json.dumps(tagset([("env", "prod"), ("tier", "1")])))
    out = json.loads(tools.aws("s3api", "get-object-tagging", "--bucket", bucket, "--key",
                               "cli").stdout)
    assert out["TagSet"] == [{"Key": "env", "Value": "prod"}, {"Key": "tier", "Value": "1"}]
    tools.aws("s3api", "delete-object-tagging", "--bucket", bucket, "--key", "cli")
    out = json.loads(tools.aws("s3api", "get-object-tagging", "--bucket", bucket, "--key",
                               "cli").stdout)
    assert out["TagSet"] == []


def test_bucket_tagging(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.get_bucket_tagging(Bucket=bucket)
    assert code(e) == "NoSuchTagSet" and status(e) == 404
    r = s3.put_bucket_tagging(Bucket=bucket, Tagging=tagset([("owner", "ops"), ("env", "test")]))
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    got = s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
    assert got == [{"Key": "owner", "Value": "ops"}, {"Key": "env", "Value": "test"}]
    fifty = [(f"k{i}", "v") for i in range(50)]
    s3.put_bucket_tagging(Bucket=bucket, Tagging=tagset(fifty))
    assert len(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]) == 50
    with pytest.raises(ClientError) as e:
        s3.put_bucket_tagging(Bucket=bucket, Tagging=tagset(fifty + [("k50", "v")]))
    assert code(e) == "BadRequest"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_tagging(Bucket=bucket, Tagging=tagset([("aws:x", "v")]))
    assert code(e) == "InvalidTag"
    assert len(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]) == 50  # unchanged
    r = s3.delete_bucket_tagging(Bucket=bucket)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        s3.get_bucket_tagging(Bucket=bucket)
    assert code(e) == "NoSuchTagSet"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_tagging(Bucket="no-such-bucket-tagging", Tagging=tagset([("a", "b")]))
    assert code(e) == "NoSuchBucket"


def test_tagging_by_version_id_in_a_versioned_bucket(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    old = s3.put_object(Bucket=bucket, Key="v", Body=b"1", Tagging="gen=old")["VersionId"]
    new = s3.put_object(Bucket=bucket, Key="v", Body=b"2", Tagging="gen=new")["VersionId"]
    # Reads: each version's own tags.
    assert s3.get_object_tagging(Bucket=bucket, Key="v", VersionId=old)["TagSet"] == \
        [{"Key": "gen", "Value": "old"}]
    assert s3.get_object_tagging(Bucket=bucket, Key="v", VersionId=new)["TagSet"] == \
        [{"Key": "gen", "Value": "new"}]
    # Updates change one version in place: the other versions, their order and data stay.
    s3.put_object_tagging(Bucket=bucket, Key="v", VersionId=old,
                          Tagging={"TagSet": [{"Key": "gen", "Value": "older"}]})
    s3.put_object_tagging(Bucket=bucket, Key="v",
                          Tagging={"TagSet": [{"Key": "gen", "Value": "newer"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="v", VersionId=old)["TagSet"] == \
        [{"Key": "gen", "Value": "older"}]
    assert s3.get_object_tagging(Bucket=bucket, Key="v")["TagSet"] == \
        [{"Key": "gen", "Value": "newer"}]
    s3.delete_object_tagging(Bucket=bucket, Key="v", VersionId=old)
    assert s3.get_object_tagging(Bucket=bucket, Key="v", VersionId=old)["TagSet"] == []
    versions = [v["VersionId"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]]
    assert versions == [new, old]
    assert s3.get_object(Bucket=bucket, Key="v", VersionId=old)["Body"].read() == b"1"
    assert s3.get_object(Bucket=bucket, Key="v")["Body"].read() == b"2"
