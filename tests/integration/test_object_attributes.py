"""GetObjectAttributes with boto3, signed raw requests and the aws cli: each attribute, the
part pages of a multipart object, versionId, and AWS's errors."""
import base64
import json
import xml.etree.ElementTree as ET
import zlib

import rawclient

import pytest
from botocore.exceptions import ClientError

ALL = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]
MIB = 1024 * 1024


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_single_part_object(s3, bucket):
    body = b"attributes of a small object"
    put = s3.put_object(Bucket=bucket, Key="small", Body=body, ChecksumAlgorithm="CRC32")
    got = s3.get_object_attributes(Bucket=bucket, Key="small", ObjectAttributes=ALL)
    assert got["ETag"] == put["ETag"].strip('"')  # unquoted, as AWS sends it
    assert got["ObjectSize"] == len(body)
    assert got["StorageClass"] == "STANDARD"
    assert got["Checksum"]["ChecksumCRC32"] == crc32_b64(body)
    assert "ObjectParts" not in got
    assert got["LastModified"] == s3.head_object(Bucket=bucket, Key="small")["LastModified"]


def test_only_what_was_asked(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"12345")
    got = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ObjectSize"])
    assert got["ObjectSize"] == 5
    for absent in ("ETag", "StorageClass", "Checksum", "ObjectParts"):
        assert absent not in got


def test_multipart_parts_pages(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="CRC32")
    parts = []
    datas = [b"a" * (5 * MIB), b"b" * (5 * MIB), b"tail"]
    for i, data in enumerate(datas, start=1):
        r = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=i,
                           Body=data, ChecksumAlgorithm="CRC32")
        parts.append({"PartNumber": i, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up["UploadId"],
                                        MultipartUpload={"Parts": parts})
    got = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=ALL, MaxParts=2)
    assert got["ETag"] == done["ETag"].strip('"')
    assert got["ObjectSize"] == sum(len(d) for d in datas)
    assert got["Checksum"]["ChecksumCRC32"] == done["ChecksumCRC32"].split("-")[0]
    op = got["ObjectParts"]
    assert op["TotalPartsCount"] == 3
    assert op["IsTruncated"] is True
    assert op["MaxParts"] == 2
    assert [p["PartNumber"] for p in op["Parts"]] == [1, 2]
    assert op["Parts"][0]["Size"] == 5 * MIB
    assert op["Parts"][0]["ChecksumCRC32"] == crc32_b64(datas[0])
    rest = s3.get_object_attributes(Bucket=bucket, Key="mp", ObjectAttributes=["ObjectParts"],
                                    PartNumberMarker=int(op["NextPartNumberMarker"]))
    assert rest["ObjectParts"]["IsTruncated"] is False
    assert [p["PartNumber"] for p in rest["ObjectParts"]["Parts"]] == [3]
    assert rest["ObjectParts"]["Parts"][0]["Size"] == 4


def test_version_ids(s3, bucket):
    s3.put_object(Bucket=bucket, Key="v", Body=b"x")
    got = s3.get_object_attributes(Bucket=bucket, Key="v", VersionId="null",
                                   ObjectAttributes=["ObjectSize"])
    assert got["ObjectSize"] == 1
    with pytest.raises(ClientError) as e:
        s3.get_object_attributes(Bucket=bucket, Key="v", VersionId="3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
                                 ObjectAttributes=["ObjectSize"])
    assert e.value.response["Error"]["Code"] == "NoSuchVersion"


def test_errors(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.get_object_attributes(Bucket=bucket, Key="missing", ObjectAttributes=["ETag"])
    assert e.value.response["Error"]["Code"] == "NoSuchKey"
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["Owner"])
    assert e.value.response["Error"]["Code"] == "InvalidArgument"
    with pytest.raises(ClientError) as e:
        s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=[])
    assert e.value.response["Error"]["Code"] == "InvalidRequest"


def test_aws_cli(tools, s3, bucket):
    s3.put_object(Bucket=bucket, Key="cli", Body=b"hello")
    out = tools.aws("s3api", "get-object-attributes", "--bucket", bucket, "--key", "cli",
                    "--object-attributes", "ETag", "ObjectSize", "--output", "json")
    got = json.loads(out.stdout)
    assert got["ObjectSize"] == 5
    assert got["ETag"] == "5d41402abc4b2a76b9719d911017c592"


NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def raw_attributes(server, bucket, key, names, headers=None):
    h = {"x-amz-object-attributes": names, **(headers or {})}
    status, resp_headers, body = rawclient.signed_request(server.port, "GET", f"/{bucket}/{key}",
                                                          query="attributes", headers=h)
    return status, resp_headers, ET.fromstring(body)


def test_checksum_type_and_raw_shape(server, s3, bucket):
    # The system boto3 predates ChecksumType: read the XML itself.
    s3.put_object(Bucket=bucket, Key="one", Body=b"abc", ChecksumAlgorithm="CRC32")
    status, headers, root = raw_attributes(server, bucket, "one", "Checksum, ETag")
    assert status == 200 and "last-modified" in headers
    assert root.tag == NS + "GetObjectAttributesResponse"
    assert root.findtext(f"{NS}Checksum/{NS}ChecksumType") == "FULL_OBJECT"
    assert root.findtext(f"{NS}Checksum/{NS}ChecksumCRC32") == crc32_b64(b"abc")
    assert not root.findtext(NS + "ETag").startswith('"')
    up = s3.create_multipart_upload(Bucket=bucket, Key="two", ChecksumAlgorithm="CRC32")
    r = s3.upload_part(Bucket=bucket, Key="two", UploadId=up["UploadId"], PartNumber=1,
                       Body=b"only", ChecksumAlgorithm="CRC32")
    s3.complete_multipart_upload(Bucket=bucket, Key="two", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": r["ETag"],
                                                             "ChecksumCRC32": r["ChecksumCRC32"]}]})
    status, _, root = raw_attributes(server, bucket, "two", "Checksum,ObjectParts")
    assert status == 200
    assert root.findtext(f"{NS}Checksum/{NS}ChecksumType") == "COMPOSITE"
    assert "-" not in root.findtext(f"{NS}Checksum/{NS}ChecksumCRC32")
    assert root.findtext(f"{NS}ObjectParts/{NS}PartsCount") == "1"


@pytest.mark.parametrize("header,value", [("x-amz-max-parts", "-1"),
                                          ("x-amz-part-number-marker", "x")])
def test_bad_part_paging_headers(server, s3, bucket, header, value):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    status, _, root = raw_attributes(server, bucket, "k", "ObjectParts", {header: value})
    assert status == 400 and root.findtext("Code") == "InvalidArgument"
