"""Listing parameters echoed as AWS does: an empty ListObjectsV2 continuation-token is no
token, and the ListObjects (v1) Prefix comes back exactly as sent, even with
encoding-type=url (which boto3 adds to every list_objects call and then does not decode
Prefix from)."""
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

import rawclient

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def listing(server, bucket, **params):
    query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    status, _, body = rawclient.signed_request(server.port, "GET", f"/{bucket}", query=query)
    assert status == 200, body
    root = ET.fromstring(body)
    return root, [c.findtext(NS + "Key") for c in root.iter(NS + "Contents")]


@pytest.fixture
def keys(s3, bucket):
    for k in ["a", "b b/1", "b+b/2", "c%d", "é/x"]:
        s3.put_object(Bucket=bucket, Key=k, Body=b"1")
    return bucket


def test_empty_continuation_token_is_no_token(server, s3, keys):
    root, got = listing(server, keys, **{"list-type": "2", "continuation-token": ""})
    assert got == ["a", "b b/1", "b+b/2", "c%d", "é/x"]
    assert root.find(NS + "ContinuationToken") is None
    # start-after applies, as without a token.
    _, got = listing(server, keys, **{"list-type": "2", "continuation-token": "",
                                      "start-after": "b+b/2"})
    assert got == ["c%d", "é/x"]
    # boto3 sends the same when asked to.
    page = s3.list_objects_v2(Bucket=keys, ContinuationToken="", MaxKeys=2)
    assert [o["Key"] for o in page["Contents"]] == ["a", "b b/1"]


@pytest.mark.parametrize("prefix", ["b b", "b+b", "c%d", "é", "nothing", ""])
def test_v1_prefix_echoed_as_sent(server, s3, keys, prefix):
    root, _ = listing(server, keys, prefix=prefix)
    assert root.findtext(NS + "Prefix") == prefix
    encoded, _ = listing(server, keys, prefix=prefix, **{"encoding-type": "url"})
    assert (encoded.findtext(NS + "Prefix") or "") == prefix
    assert s3.list_objects(Bucket=keys, Prefix=prefix)["Prefix"] == prefix


def test_v2_prefix_still_encoded(server, keys):
    # ListObjectsV2 encodes Prefix under encoding-type=url, and SDKs decode it there.
    root, _ = listing(server, keys, prefix="b b", **{"list-type": "2", "encoding-type": "url"})
    assert urllib.parse.unquote_plus(root.findtext(NS + "Prefix")) == "b b"
    assert root.findtext(NS + "Prefix") != "b b"
