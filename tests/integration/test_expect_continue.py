"""Expect: 100-continue as real clients use it (botocore sends it on every PUT with a body
object, empty or not): a request with no content still gets its 100 before the final answer,
so botocore never keeps a stale status on its pooled connection (boto/botocore#3755, which
made `aws s3 sync` of a tree with an empty file stall for its 60 s read timeout); a request
whose content was withheld and never asked for is answered and the connection closed."""
import hashlib
import socket

import pytest

import rawclient

pytestmark = pytest.mark.http1_only(
    "Expect: 100-continue and the connection it keeps or closes, on raw HTTP/1.1 sockets")


def send_head(port, method, path, headers, payload_hash, tamper=False):
    host = f"127.0.0.1:{port}"
    h, *_ = rawclient.sign(method, path, host, headers, payload_hash)
    if tamper:
        h["authorization"] = h["authorization"][:-64] + "0" * 64
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall((f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items())
               + "\r\n").encode())
    return s


def test_empty_put_gets_continue_first_and_keeps_connection(server, bucket):
    s = send_head(server.port, "PUT", f"/{bucket}/empty",
                  {"expect": "100-continue", "content-length": "0"}, rawclient.EMPTY_SHA)
    f = s.makefile("rb")
    status, _, _ = rawclient.read_response(f)
    assert status == 100
    status, headers, _ = rawclient.read_response(f)
    assert status == 200 and headers.get("connection") != "close"
    # The same connection serves the next request (a GET of what was just stored).
    host = f"127.0.0.1:{server.port}"
    h, *_ = rawclient.sign("GET", f"/{bucket}/empty", host, {}, rawclient.EMPTY_SHA)
    s.sendall((f"GET /{bucket}/empty HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items())
               + "\r\n").encode())
    status, headers, body = rawclient.read_response(f)
    assert status == 200 and body == b"" and headers["content-length"] == "0"
    s.close()


def test_put_with_content_waits_for_continue(server, bucket, s3):
    data = b"x" * 100_000
    s = send_head(server.port, "PUT", f"/{bucket}/full",
                  {"expect": "100-continue", "content-length": str(len(data))},
                  hashlib.sha256(data).hexdigest())
    f = s.makefile("rb")
    status, _, _ = rawclient.read_response(f)
    assert status == 100  # asked for the body before it was sent
    s.sendall(data)
    status, headers, _ = rawclient.read_response(f)
    assert status == 200 and headers.get("connection") != "close"
    s.close()
    assert s3.get_object(Bucket=bucket, Key="full")["Body"].read() == data


def test_refused_before_content_closes_connection(server, bucket):
    # A bad signature is refused before the body is read: the client still holds it back, so
    # the answer says Connection: close and the connection ends (its body must never be
    # parsed as a request).
    data = b"y" * 100_000
    s = send_head(server.port, "PUT", f"/{bucket}/refused",
                  {"expect": "100-continue", "content-length": str(len(data))},
                  hashlib.sha256(data).hexdigest(), tamper=True)
    f = s.makefile("rb")
    status, headers, body = rawclient.read_response(f)
    assert status == 403 and b"SignatureDoesNotMatch" in body, (status, body)
    assert headers.get("connection") == "close"
    assert f.read() == b""  # closed by the server
    s.close()
