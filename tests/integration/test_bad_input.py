"""Hostile and broken requests: truncated and oversized heads, bad framing, short bodies,
invalid names, slowloris, many idle connections. The server answers each clearly and keeps
serving everybody else."""
import hashlib
import socket
import threading
import time

import pytest

import rawclient


def alive(s3, bucket):
    s3.put_object(Bucket=bucket, Key="alive", Body=b"ok")
    return s3.get_object(Bucket=bucket, Key="alive")["Body"].read() == b"ok"


@pytest.mark.http1_only("request-line parsing of raw bytes")
def test_garbage_request_line(server, s3, bucket):
    status, _, _ = rawclient.request(server.port, None, None, raw=b"GARBAGE\r\n\r\n")
    assert status == 400
    status, _, _ = rawclient.request(server.port, None, None, raw=b"GET / HTTP/9.9\r\n\r\n")
    assert status in (400, 505)
    assert alive(s3, bucket)


@pytest.mark.http1_only("head limits on raw HTTP/1.1 bytes (HTTP/2's own: test_http2.py)")
def test_oversized_headers(server, s3, bucket):
    big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n"
    status, _, _ = rawclient.request(server.port, None, None, raw=big)
    assert status == 431
    many = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(300)) + b"\r\n"
    status, _, _ = rawclient.request(server.port, None, None, raw=many)
    assert status == 431
    long_uri = b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    status, _, _ = rawclient.request(server.port, None, None, raw=long_uri)
    assert status in (414, 431)
    assert alive(s3, bucket)


@pytest.mark.http1_only("a truncated HTTP/1.1 head on a raw socket")
def test_truncated_head_then_close(server, s3, bucket):
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(b"PUT /x/y HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Len")
    s.close()
    assert alive(s3, bucket)


def test_body_shorter_than_content_length(server, s3, bucket):
    body = b"x" * 1000
    host = f"127.0.0.1:{server.port}"
    h, *_ = rawclient.sign("PUT", f"/{bucket}/short", host, {"content-length": "5000"},
                           "UNSIGNED-PAYLOAD")
    req = rawclient.open_request(server.port, "PUT", f"/{bucket}/short", h)
    req.send(body)
    req.end()  # the rest never comes (HTTP/2: END_STREAM 4000 bytes short)
    status, _, resp = req.response()
    assert status in (0, 400)  # IncompleteBody, or closed
    time.sleep(0.2)
    with pytest.raises(Exception):
        s3.head_object(Bucket=bucket, Key="short")
    assert alive(s3, bucket)


@pytest.mark.http1_only("chunked transfer-encoding framing")
def test_bad_chunked_framing(server, s3, bucket):
    host = f"127.0.0.1:{server.port}"
    h, *_ = rawclient.sign("PUT", f"/{bucket}/chunked", host, {"transfer-encoding": "chunked"},
                           "UNSIGNED-PAYLOAD")
    h.pop("content-length", None)
    head = f"PUT /{bucket}/chunked HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
    status, _, _ = rawclient.request(server.port, None, None,
                                     raw=head.encode() + b"zz\r\nhello\r\n0\r\n\r\n")
    assert status == 400
    # A well-formed chunked body works.
    status, _, body = rawclient.request(server.port, None, None,
                                        raw=head.encode() + b"5;ext=1\r\nhello\r\n0\r\n\r\n")
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key="chunked")["Body"].read() == b"hello"


def test_keys_with_dot_dot_stay_inside(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="../../../../etc/flashstor-escape", Body=b"x")
    import os
    for d in server.drives:
        assert not os.path.exists(os.path.join(os.path.dirname(d), "etc"))
    assert s3.get_object(Bucket=bucket, Key="../../../../etc/flashstor-escape")["Body"].read() == b"x"
    # A raw path with ".." segments is not normalised away either.
    status, _, _ = rawclient.signed_request(server.port, "GET", f"/{bucket}/a/../alive")
    assert status == 404


@pytest.mark.http1_only("an HTTP/1.1 head dribbled line by line")
def test_slowloris_is_cut_off(server, s3, bucket):
    """A client dribbling a head is disconnected after the header deadline (10 s) while other
    clients are served normally."""
    s = socket.create_connection(("127.0.0.1", server.port))
    s.sendall(b"GET / HTTP/1.1\r\n")
    start = time.time()
    closed = False
    while time.time() - start < 20:
        try:
            s.sendall(b"X-a: b\r\n")
        except OSError:
            closed = True
            break
        assert alive(s3, bucket)
        time.sleep(1)
        s.settimeout(0.01)
        try:
            if s.recv(4096) == b"":
                closed = True
                break
        except socket.timeout:
            pass
        except OSError:
            closed = True
            break
    s.close()
    assert closed and time.time() - start < 15


def test_thousand_idle_connections(server, s3, bucket):
    socks = []
    try:
        for _ in range(1000):
            socks.append(socket.create_connection(("127.0.0.1", server.port)))
        assert alive(s3, bucket)
        data = b"y" * (1 << 20)
        s3.put_object(Bucket=bucket, Key="while-idle", Body=data)
        assert s3.get_object(Bucket=bucket, Key="while-idle")["Body"].read() == data
    finally:
        for s in socks:
            s.close()


def test_unknown_operation_is_not_implemented(server, bucket):
    status, _, body = rawclient.signed_request(server.port, "GET", f"/{bucket}",
                                               query="inventory=&id=x")
    assert status == 501 and b"NotImplemented" in body


@pytest.mark.http1_only("HTTP/1.1 pipelining on one connection")
def test_pipelined_requests(server, bucket, s3):
    s3.put_object(Bucket=bucket, Key="p1", Body=b"one")
    host = f"127.0.0.1:{server.port}"
    reqs = b""
    for _ in range(3):
        h, *_ = rawclient.sign("GET", f"/{bucket}/p1", host, {}, rawclient.EMPTY_SHA)
        reqs += (f"GET /{bucket}/p1 HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items())
                 + "\r\n").encode()
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    s.sendall(reqs)
    f = s.makefile("rb")
    for _ in range(3):
        status, _, body = rawclient.read_response(f)
        assert status == 200 and body == b"one"
    s.close()


@pytest.fixture
def tiny_drives_server():
    """A server whose four drives are 8 MiB tmpfs mounts (root only), so a big PUT fills them."""
    import os
    import subprocess
    from conftest import Server
    if os.geteuid() != 0:
        pytest.skip("mounting tmpfs drives needs root")
    srv = Server(drives=4)
    mounted = []
    try:
        for d in srv.drives:
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0750,uid=65534,gid=65534",
                            "tmpfs", d], check=True, capture_output=True, timeout=30)
            mounted.append(d)
        yield srv.start()
    finally:
        srv.stop()
        for d in mounted:
            subprocess.run(["umount", d], check=False, capture_output=True, timeout=30)
        srv.cleanup()


def test_streamed_write_filling_the_drives_answers_507(tiny_drives_server):
    """A drive filling up during a multi-block PUT answers 507 InsufficientStorage (SDKs do not
    retry it), not 503 SlowDown; what was acknowledged before stays, and the server serves on."""
    import os
    from botocore.exceptions import ClientError
    from conftest import make_client
    s3 = make_client(tiny_drives_server.endpoint)
    s3.create_bucket(Bucket="full")
    before = {f"k{i}": os.urandom(300_000) for i in range(3)}
    for k, v in before.items():
        s3.put_object(Bucket="full", Key=k, Body=v)
    # A raw client: the server answers as soon as the drives fill (16 MiB in), and an SDK
    # that insists on sending the rest of the body first may lose the answer to the close.
    port = tiny_drives_server.port
    size = 64 << 20
    h, *_ = rawclient.sign("PUT", "/full/huge", f"127.0.0.1:{port}",
                           {"content-length": str(size)}, "UNSIGNED-PAYLOAD")
    req = rawclient.open_request(port, "PUT", "/full/huge", h, timeout=30)
    chunk = os.urandom(1 << 20)
    for _ in range(size // len(chunk)):
        if not req.send(chunk):
            break  # the server answered and stopped reading
    status, _, body = req.response()
    assert status == 507 and b"InsufficientStorage" in body, (status, body)
    with pytest.raises(ClientError):
        s3.head_object(Bucket="full", Key="huge")
    for k, v in before.items():
        assert s3.get_object(Bucket="full", Key=k)["Body"].read() == v
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="full").get("Contents", [])]
    assert keys == sorted(before)
    assert alive(s3, "full")  # the failed write's temp data is gone: there is room again


def test_sdk_sending_its_whole_body_still_reads_the_507(tiny_drives_server):
    """boto3 sends all 64 MiB before it reads the answer; the server answered 507 after 16 MiB.
    The lingering close discards the rest for as long as the client keeps sending (up to 30 s),
    so the SDK reads the 507 instead of a connection reset, which botocore would retry as a
    network error."""
    import os
    from botocore.exceptions import ClientError
    from conftest import make_client
    import io
    import time

    class PacedBody(io.BytesIO):
        """64 MiB read at about 20 MiB/s: sending takes ~3 s, longer than the 2 s of silence
        that ends a lingering close, with no pause anywhere near that long."""

        def __init__(self, data):
            super().__init__(data)
            self.since_pause = 0

        def read(self, n=-1):
            out = super().read(n)
            self.since_pause += len(out)
            if self.since_pause >= 1 << 20:
                self.since_pause = 0
                time.sleep(0.05)
            return out

    s3 = make_client(tiny_drives_server.endpoint, read_timeout=60)
    s3.create_bucket(Bucket="full")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="full", Key="huge", Body=PacedBody(os.urandom(64 << 20)))
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 507, e.value.response
    assert e.value.response["Error"]["Code"] == "InsufficientStorage"
    assert alive(s3, "full")
