"""Requests AWS refuses before touching an object: keys that are not UTF-8 (400 InvalidURI)
or too long, GET/HEAD with both partNumber and Range (400 InvalidRequest), and presigned URLs
whose query parameters are bad (400 AuthorizationQueryParametersError)."""
import subprocess
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
from botocore.exceptions import ClientError

import rawclient
from conftest import CURL


def error_fields(body):
    return {child.tag: child.text for child in ET.fromstring(body)}


def test_key_not_utf8_refused(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="fine", Body=b"1")
    for raw_key in ("bad%FFkey", "half%C3", "overlong%C0%AF", "surrogate%ED%A0%80"):
        status, _, body = rawclient.signed_request(server.port, "PUT", f"/{bucket}/{raw_key}",
                                                   body=b"x")
        assert status == 400, (raw_key, body)
        assert error_fields(body)["Code"] == "InvalidURI"
    # Nothing was stored and listing still works (and stays well-formed UTF-8 XML).
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["fine"]
    assert [o["Key"] for o in s3.list_objects(Bucket=bucket)["Contents"]] == ["fine"]
    # Valid UTF-8, percent-encoded, is an ordinary key.
    status, _, body = rawclient.signed_request(server.port, "PUT", f"/{bucket}/caf%C3%A9",
                                               body=b"x")
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key="caf\u00e9")["Body"].read() == b"x"


def test_key_length_limit(s3, bucket):
    key = ("d" * 199 + "/") * 5 + "k" * 24  # 1024 bytes; components under the 255-byte limit
    assert len(key) == 1024
    s3.put_object(Bucket=bucket, Key=key, Body=b"")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key=key + "k", Body=b"")
    assert e.value.response["Error"]["Code"] == "KeyTooLongError"


def test_part_number_with_range_refused(s3, bucket):
    s3.put_object(Bucket=bucket, Key="pr", Body=b"0123456789")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="pr", PartNumber=1, Range="bytes=0-1")
    err = e.value.response["Error"]
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["Code"] == "InvalidRequest"
    assert err["Message"] == "Cannot specify both Range header and partNumber query parameter."
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="pr", PartNumber=1, Range="bytes=0-1")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Each alone still works.
    assert s3.get_object(Bucket=bucket, Key="pr", PartNumber=1)["Body"].read() == b"0123456789"
    assert s3.get_object(Bucket=bucket, Key="pr", Range="bytes=0-1")["Body"].read() == b"01"


def curl(url):
    r = subprocess.run([*CURL, "-sS", "-o", "-", "-w", "\n%{http_code}", url],
                       capture_output=True, timeout=60)
    body, _, status = r.stdout.rpartition(b"\n")
    return int(status), body


def with_param(url, name, value=None):
    """url with query parameter `name` set to value, or removed when value is None."""
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
             if k != name]
    if value is not None:
        query.append((name, value))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


@pytest.mark.parametrize("expires,message", [
    ("abc", "X-Amz-Expires should be a number"),
    ("-1", "X-Amz-Expires must be non-negative"),
    ("604801", "X-Amz-Expires must be less than a week (in seconds) that is 604800"),
])
def test_presigned_bad_expires(s3, bucket, expires, message):
    s3.put_object(Bucket=bucket, Key="e", Body=b"e")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "e"},
                                    ExpiresIn=600)
    status, body = curl(with_param(url, "X-Amz-Expires", expires))
    assert status == 400, body
    fields = error_fields(body)
    assert fields["Code"] == "AuthorizationQueryParametersError"
    assert fields["Message"] == message


@pytest.mark.parametrize("param", ["X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
                                   "X-Amz-Signature", "X-Amz-Credential"])
def test_presigned_missing_parameter(s3, bucket, param):
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "e"},
                                    ExpiresIn=600)
    status, body = curl(with_param(url, param))
    assert status == 400, body
    assert error_fields(body)["Code"] == "AuthorizationQueryParametersError"
