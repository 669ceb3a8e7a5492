"""A request whose client has gone is cancelled, not carried to its end (docs/execution-model.md
"How a request ends when its client goes"): 3 of 4 drives are ext4 file systems on loop devices
frozen with fsfreeze, so a PUT's commit hangs in the kernel holding the key's write lock, and a
GET of the key waits for that lock. Each client then closes its connection (HTTP/1.1) or resets
its stream (HTTP/2 RST_STREAM): the request task ends within a second instead of at the request's
deadline (--operation-timeout 60 s, the default), flashstor_request_tasks{state="running"} drops
back, flashstor_requests_client_closed counts it, and the audit log records status 499
ClientClosedRequest. Before cancellation existed, both tasks ran until the deadline."""
import hashlib
import json
import os
import socket
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))

import h2client  # noqa: E402
from botocore.auth import S3SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from harness import ACCESS_KEY, SECRET_KEY  # noqa: E402

BUCKET = "gone"
KEY = "k"


def metric(srv, name, labels=""):
    status, body = srv.signed("GET", "/metrics")
    assert status == 200, body
    for line in body.decode().splitlines():
        if line.startswith(name + labels + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name}{labels} missing from /metrics")


def running(srv):
    return metric(srv, "flashstor_request_tasks", '{state="running"}')


def wait_until(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return time.monotonic()
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {what}")


def signed(port, method, body):
    """The headers of a request signed by the root user (Host included)."""
    host = f"127.0.0.1:{port}"
    req = AWSRequest(method=method, url=f"http://{host}/{BUCKET}/{KEY}", data=body,
                     headers={"x-amz-content-sha256": hashlib.sha256(body).hexdigest()})
    S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1").add_auth(req)
    return {"host": host, **{k.lower(): v for k, v in req.headers.items()}}


def open_http1(port, method, body=b""):
    """A signed request sent whole on its own connection; the socket, left open."""
    h = signed(port, method, body)
    h["content-length"] = str(len(body))
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    head = f"{method} /{BUCKET}/{KEY} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items())
    s.sendall(head.encode() + b"\r\n" + body)
    return s


def open_h2(port, method, body=b""):
    """The same on an HTTP/2 stream of its own connection; the exchange, left open."""
    ex = h2client.Exchange(port, method, f"/{BUCKET}/{KEY}", signed(port, method, body),
                           len(body) if body else None, end_stream=not body)
    if body:
        assert ex.send(body, end=True)
    return ex


@pytest.mark.bound(180)
@pytest.mark.parametrize("protocol", ["http1", "http2"])
def test_requests_end_when_their_clients_go(servers, protocol):
    srv = servers(drives=4)
    audit_dir = os.path.join(srv.root, "audit")
    os.makedirs(audit_dir)
    srv.own(audit_dir)
    audit = os.path.join(audit_dir, "audit.log")
    cfg = os.path.join(srv.root, "config.json")
    with open(cfg, "w") as f:
        json.dump({"root_user": ACCESS_KEY, "root_password": SECRET_KEY, "drives": ["/unused"],
                   "audit": {"file": audit, "journald": False}, "metrics_access": "signed"}, f)
    os.chmod(cfg, 0o600)
    srv.server.extra_args += ["--config", cfg, "--log-level", "info"]
    srv.mount_ext4_or_skip(range(1, 4))
    srv.start()
    srv.client.create_bucket(Bucket=BUCKET)
    srv.client.put_object(Bucket=BUCKET, Key=KEY, Body=b"x" * 4096)
    # The client may read its answer a moment before the request's task has wound down.
    wait_until(lambda: running(srv) == 0, 5, "the first PUT's task gone")
    opener = open_http1 if protocol == "http1" else open_h2
    try:
        for i in range(1, 4):
            srv.freeze(i)
        put = opener(srv.port, "PUT", b"y" * 4096)  # hangs in its commit, holding the lock
        wait_until(lambda: running(srv) == 1, 10, "the PUT's task running")
        time.sleep(0.5)
        get = opener(srv.port, "GET")  # waits for the PUT's write lock
        wait_until(lambda: running(srv) == 2, 10, "the GET's task running")
        time.sleep(0.5)
        assert running(srv) == 2  # both still wait: the deadline is 60 s away
        for n, gone in enumerate((get, put), start=1):
            t0 = time.monotonic()
            if protocol == "http1":
                gone.close()
            else:
                gone.conn.reset_stream(gone.sid, error_code=8)  # CANCEL; the connection stays
                gone._flush()
            t1 = wait_until(lambda: running(srv) == 2 - n, 5, f"task {n} ended")
            assert t1 - t0 < 1.5, t1 - t0
            assert metric(srv, "flashstor_requests_client_closed") == n
        if protocol == "http2":
            for ex in (get, put):
                ex.sock.close()
    finally:
        for i in range(1, 4):
            srv.thaw(i)
    # The stuck drive calls return once thawed; the server serves the key again.
    srv.put_when_writable(BUCKET, KEY, b"z" * 4096)
    assert srv.client.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == b"z" * 4096
    log = srv.log()
    assert "client gone" in log or "while its request waited" in log, log[-2000:]
    srv.stop()  # flushes the audit log
    records = [json.loads(line) for line in open(audit).read().splitlines()]
    closed = [(r.get("operation"), r.get("status"), r.get("error_code")) for r in records
              if r.get("status") == 499]
    assert sorted(closed) == [("GetObject", 499, "ClientClosedRequest"),
                              ("PutObject", 499, "ClientClosedRequest")], records

