"""Bucket CORS as AWS defines it: Put/Get/DeleteBucketCors with boto3, preflight OPTIONS
requests as a browser sends them (no credentials, answered before authentication), and the
CORS headers of ordinary responses. Preflights go over a raw HTTP connection (rawclient).

Without a CORS configuration, or when no rule matches, a preflight answers 403 AccessForbidden
("CORSResponse: ..."), which is what AWS answers (and what Ceph's s3-tests expect); issue 13's
"400" is what AWS answers only when the Origin or Access-Control-Request-Method header is
missing."""
import pytest
from botocore.exceptions import ClientError

import rawclient

WEB = "https://app.example.com"

RULES = [
    {"ID": "uploads", "AllowedOrigins": [WEB], "AllowedMethods": ["PUT", "POST"],
     "AllowedHeaders": ["x-amz-*", "Content-Type"], "ExposeHeaders": ["ETag", "x-amz-request-id"],
     "MaxAgeSeconds": 600},
    {"ID": "reads", "AllowedOrigins": ["https://*.example.org"], "AllowedMethods": ["GET", "HEAD"]},
    {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]},
]


def code(e):
    return e.value.response["Error"]["Code"]


def preflight(server, path, origin=WEB, method="PUT", headers=None):
    h = {}
    if origin is not None:
        h["Origin"] = origin
    if method is not None:
        h["Access-Control-Request-Method"] = method
    if headers is not None:
        h["Access-Control-Request-Headers"] = headers
    return rawclient.request(server.port, "OPTIONS", path, h)


@pytest.fixture
def cors_bucket(s3, bucket):
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    s3.put_object(Bucket=bucket, Key="page.html", Body=b"<html/>")
    return bucket


def test_put_get_delete_bucket_cors(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.get_bucket_cors(Bucket=bucket)
    assert code(e) == "NoSuchCORSConfiguration"
    r = s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    assert got == RULES
    r = s3.delete_bucket_cors(Bucket=bucket)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        s3.get_bucket_cors(Bucket=bucket)
    assert code(e) == "NoSuchCORSConfiguration"
    with pytest.raises(ClientError) as e:
        s3.put_bucket_cors(Bucket="no-such-bucket-cors", CORSConfiguration={"CORSRules": RULES})
    assert code(e) == "NoSuchBucket"


@pytest.mark.parametrize("rule,err", [
    ({"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}, "InvalidRequest"),
    ({"AllowedOrigins": ["https://*.*.example"], "AllowedMethods": ["GET"]}, "InvalidRequest"),
    ({"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "AllowedHeaders": ["a*b*"]},
     "InvalidRequest"),
    ({"AllowedOrigins": ["*"], "AllowedMethods": ["GET"], "ExposeHeaders": ["*"]},
     "InvalidRequest"),
    ({"AllowedOrigins": ["*"], "AllowedMethods": []}, "MalformedXML"),
])
def test_invalid_cors_rules(s3, bucket, rule, err):
    with pytest.raises(ClientError) as e:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [rule]})
    assert code(e) == err
    with pytest.raises(ClientError) as e:
        s3.get_bucket_cors(Bucket=bucket)
    assert code(e) == "NoSuchCORSConfiguration"


def test_rule_count_limit(s3, bucket):
    rule = {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]}
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [rule] * 100})
    assert len(s3.get_bucket_cors(Bucket=bucket)["CORSRules"]) == 100
    with pytest.raises(ClientError) as e:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [rule] * 101})
    assert code(e) == "InvalidRequest"


def test_preflight_allowed(server, cors_bucket):
    for path in (f"/{cors_bucket}/page.html", f"/{cors_bucket}/not-yet-uploaded",
                 f"/{cors_bucket}"):
        st, h, body = preflight(server, path, headers="X-Amz-Date, content-type")
        assert st == 200, body
        assert h["access-control-allow-origin"] == WEB
        assert h["access-control-allow-methods"] == "PUT, POST"
        assert h["access-control-allow-headers"] == "X-Amz-Date, content-type"
        assert h["access-control-expose-headers"] == "ETag, x-amz-request-id"
        assert h["access-control-max-age"] == "600"
        assert h["access-control-allow-credentials"] == "true"
        assert h["vary"] == "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
    # The first matching rule wins; "*" origins are answered with "*" and no credentials.
    st, h, _ = preflight(server, f"/{cors_bucket}/page.html", origin="https://x.example.org",
                         method="GET")
    assert st == 200 and h["access-control-allow-origin"] == "https://x.example.org"
    assert h["access-control-allow-methods"] == "GET, HEAD"
    st, h, _ = preflight(server, f"/{cors_bucket}/page.html", origin="http://elsewhere",
                         method="GET")
    assert st == 200 and h["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in h


@pytest.mark.parametrize("origin,method,headers", [
    ("https://evil.example", "PUT", None),           # origin no rule allows for PUT
    (WEB, "DELETE", None),                           # method
    (WEB, "PUT", "x-amz-date, x-custom-header"),     # one header not allowed
    ("https://x.example.org", "GET", "x-amz-date"),  # rule 2 has no headers, rule 3 neither
])
def test_preflight_not_allowed(server, cors_bucket, origin, method, headers):
    st, h, body = preflight(server, f"/{cors_bucket}/page.html", origin, method, headers)
    assert st == 403
    assert b"<Code>AccessForbidden</Code>" in body
    assert b"CORSResponse: This CORS request is not allowed" in body
    assert "access-control-allow-origin" not in h


def test_preflight_without_configuration_or_headers(server, s3, bucket):
    st, _, body = preflight(server, f"/{bucket}/k")
    assert st == 403 and b"<Code>AccessForbidden</Code>" in body
    assert b"CORS is not enabled for this bucket" in body
    st, _, body = preflight(server, f"/{bucket}/k", origin=None)
    assert st == 400 and b"<Code>BadRequest</Code>" in body
    st, _, body = preflight(server, f"/{bucket}/k", method=None)
    assert st == 400 and b"<Code>BadRequest</Code>" in body
    st, _, body = preflight(server, "/no-such-bucket-preflight/k")
    assert st == 404 and b"<Code>NoSuchBucket</Code>" in body
    # Deleting the configuration closes the door again.
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    assert preflight(server, f"/{bucket}/k")[0] == 200
    s3.delete_bucket_cors(Bucket=bucket)
    assert preflight(server, f"/{bucket}/k")[0] == 403


def test_cors_headers_on_ordinary_requests(server, s3, cors_bucket):
    # A signed GET from a browser page: the grant of the matching rule comes along.
    st, h, body = rawclient.signed_request(server.port, "GET", f"/{cors_bucket}/page.html",
                                           headers={"Origin": "https://a.example.org"})
    assert st == 200 and body == b"<html/>"
    assert h["access-control-allow-origin"] == "https://a.example.org"
    assert h["access-control-allow-methods"] == "GET, HEAD"
    assert h["access-control-allow-credentials"] == "true"
    assert h["vary"] == "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
    # PUT from the upload origin: expose headers of its rule.
    st, h, _ = rawclient.signed_request(server.port, "PUT", f"/{cors_bucket}/up", body=b"u",
                                        headers={"Origin": WEB})
    assert st == 200
    assert h["access-control-allow-origin"] == WEB
    assert h["access-control-expose-headers"] == "ETag, x-amz-request-id"
    # No rule for DELETE: no grant (Vary still tells caches the answer depends on Origin).
    st, h, _ = rawclient.signed_request(server.port, "DELETE", f"/{cors_bucket}/up",
                                        headers={"Origin": WEB})
    assert st == 204
    assert "access-control-allow-origin" not in h and "vary" in h
    # Without an Origin header: no CORS headers at all.
    st, h, _ = rawclient.signed_request(server.port, "GET", f"/{cors_bucket}/page.html")
    assert st == 200 and "access-control-allow-origin" not in h and "vary" not in h
    # Errors carry the grant too, so the page can read them.
    st, h, _ = rawclient.signed_request(server.port, "GET", f"/{cors_bucket}/missing",
                                        headers={"Origin": "https://a.example.org"})
    assert st == 404 and h["access-control-allow-origin"] == "https://a.example.org"


def test_preflight_is_unauthenticated_but_other_requests_are_not(server, cors_bucket):
    # The preflight carried no signature and was answered; a plain unsigned GET is still refused.
    st, _, _ = preflight(server, f"/{cors_bucket}/page.html", origin="http://x", method="GET")
    assert st == 200
    st, _, body = rawclient.request(server.port, "GET", f"/{cors_bucket}/page.html",
                                    {"Origin": "http://x"})
    assert st == 403 and b"AccessDenied" in body
