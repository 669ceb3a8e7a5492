"""ListBuckets pages (max-buckets, continuation-token, prefix, bucket-region) over signed raw
requests and the aws cli (the system boto3 predates these parameters), and AWS's
InvalidArgument for bad values."""
import json
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

import pytest

import rawclient

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def list_buckets(server, **params):
    query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    status, _, body = rawclient.signed_request(server.port, "GET", "/", query=query)
    return status, ET.fromstring(body)


def page(server, **params):
    status, root = list_buckets(server, **params)
    assert status == 200, ET.tostring(root)
    names = [b.findtext(NS + "Name") for b in root.iter(NS + "Bucket")]
    regions = {b.findtext(NS + "BucketRegion") for b in root.iter(NS + "Bucket")}
    return names, root.findtext(NS + "ContinuationToken"), root.find(NS + "Prefix"), regions


@pytest.fixture
def named_buckets(s3):
    prefix = "lbp-" + uuid.uuid4().hex[:8] + "-"
    names = [prefix + str(i) for i in range(5)]
    for n in names:
        s3.create_bucket(Bucket=n)
    yield prefix, names
    for n in names:
        s3.delete_bucket(Bucket=n)


def test_pages_with_token_and_prefix(server, named_buckets):
    prefix, names = named_buckets
    seen, token, pages = [], None, 0
    while True:
        params = {"max-buckets": 2, "prefix": prefix}
        if token:
            params["continuation-token"] = token
        got, token, echoed, _ = page(server, **params)
        pages += 1
        assert echoed is not None and echoed.text == prefix
        assert len(got) <= 2
        seen += got
        if not token:
            break
        assert token not in names  # opaque
    assert seen == names
    assert pages == 3


def test_unpaginated_and_default_page(server, s3, named_buckets):
    prefix, names = named_buckets
    everything, token, echoed, regions = page(server)
    assert token is None and echoed is None
    assert set(names) <= set(everything)
    assert regions == {"us-east-1"}
    assert set(names) <= {b["Name"] for b in s3.list_buckets()["Buckets"]}
    # A prefix alone is a paginated request with AWS's default page (10000): all five.
    got, token, _, _ = page(server, prefix=prefix)
    assert got == names and token is None
    # An empty continuation-token is no token.
    got, _, _, _ = page(server, prefix=prefix, **{"continuation-token": ""})
    assert got == names


def test_bucket_region(server, named_buckets):
    prefix, names = named_buckets
    got, _, _, regions = page(server, prefix=prefix, **{"bucket-region": "us-east-1"})
    assert got == names and regions == {"us-east-1"}
    got, _, _, _ = page(server, prefix=prefix, **{"bucket-region": "eu-west-1"})
    assert got == []


@pytest.mark.parametrize("value", ["0", "10001", "-1", "ten", ""])
def test_bad_max_buckets(server, value):
    status, root = list_buckets(server, **{"max-buckets": value})
    assert status == 400
    assert root.findtext("Code") == "InvalidArgument"
    assert root.findtext("Message") == "Argument max-buckets must be an integer between 1 and 10000."


def test_bad_token(server):
    status, root = list_buckets(server, **{"max-buckets": 1, "continuation-token": "not a token!"})
    assert status == 400 and root.findtext("Code") == "InvalidArgument"


def test_aws_cli_pages(tools, named_buckets):
    prefix, names = named_buckets
    out = tools.aws("s3api", "list-buckets", "--prefix", prefix, "--max-buckets", "4",
                    "--no-paginate", "--output", "json")
    first = json.loads(out.stdout)
    assert [b["Name"] for b in first["Buckets"]] == names[:4]
    assert first["Prefix"] == prefix
    rest = tools.aws("s3api", "list-buckets", "--prefix", prefix, "--max-buckets", "4",
                     "--no-paginate", "--continuation-token", first["ContinuationToken"],
                     "--output", "json")
    assert [b["Name"] for b in json.loads(rest.stdout)["Buckets"]] == names[4:]
    # The cli's own paginator follows the tokens.
    everything = tools.aws("s3api", "list-buckets", "--prefix", prefix, "--page-size", "2",
                           "--output", "json")
    assert [b["Name"] for b in json.loads(everything.stdout)["Buckets"]] == names
