"""The execution model under a slow-client flood, at default bounds: 1,000 connections trickling
request bodies at 1 byte/s, 200 reading responses at 1 KB/s and 10,000 idle connections, while
a normal client's signed small GETs all succeed quickly; the same with anonymous tricklers; and
a shutdown with slow clients connected finishes within its deadline. Requests are tasks on the
event loops, so none of this takes a thread; the request memory budget keeps the tricklers'
buffers bounded (their excess waits, then gets 503 SlowDown)."""
import os
import signal
import socket
import threading
import time
import uuid

import pytest

from conftest import Server, make_client, raise_fd_limit
from rawclient import signed_head

pytestmark = pytest.mark.http1_only(
    "tricklers write HTTP/1.1 heads and bodies byte by byte on raw sockets (HTTP/2 streams: "
    "test_http2.py::test_slow_streams_are_cut_logged_and_counted)")

TRICKLERS = 1000
SLOW_READERS = 200
IDLE = 10_000


def anon_head(port, i):
    return (f"PUT /anon-bucket/obj-{i} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Length: 1000000\r\n\r\n").encode()


def open_socket(port, src, head=None, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((src, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    if head:
        s.sendall(head)
    s.setblocking(False)
    return s


class Flood:
    """Every second: each trickler sends 1 byte, each slow reader takes up to 1 KB."""

    def __init__(self, tricklers=(), readers=(), idle=()):
        self.tricklers, self.readers, self.idle = list(tricklers), list(readers), list(idle)
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop_flag.wait(1.0):
            for group, act in ((self.tricklers, lambda s: s.send(b"x")),
                               (self.readers, lambda s: s.recv(1024))):
                for s in list(group):
                    try:
                        act(s)
                    except BlockingIOError:
                        pass
                    except OSError:
                        group.remove(s)

    def stop(self):
        self.stop_flag.set()
        self.thread.join(10)
        for s in self.tricklers + self.readers + self.idle:
            s.close()


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024


def health_ok(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        return s.recv(4096).startswith(b"HTTP/1.1 200")


@pytest.fixture(scope="module")
def flood_server():
    raise_fd_limit(TRICKLERS + SLOW_READERS + IDLE + 4096)
    srv = Server(drives=4).start()  # default bounds, as shipped
    s3 = make_client(srv.endpoint, connect_timeout=5, read_timeout=20)
    bucket = "flood-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="small", Body=b"x" * 4096)
    s3.put_object(Bucket=bucket, Key="big", Body=os.urandom(8 << 20))
    yield srv, s3, bucket
    srv.cleanup()


def normal_client_gets(s3, bucket, seconds, bound):
    """Signed 4 KiB GETs for `seconds`: every one must succeed within `bound` seconds."""
    worst, n = 0.0, 0
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        t = time.monotonic()
        assert len(s3.get_object(Bucket=bucket, Key="small")["Body"].read()) == 4096
        worst = max(worst, time.monotonic() - t)
        n += 1
        time.sleep(0.05)
    print(f"{n} signed GETs, slowest {worst * 1000:.0f} ms")
    assert worst < bound, worst
    return worst


def test_signed_flood_does_not_starve_a_normal_client(flood_server):
    srv, s3, bucket = flood_server
    port = srv.port
    t0 = time.monotonic()
    tricklers = [open_socket(port, f"127.0.1.{1 + i % 200}",
                             signed_head(port, "PUT", f"/{bucket}/t-{i}", 1_000_000))
                 for i in range(TRICKLERS)]
    readers = [open_socket(port, f"127.0.2.{1 + i % 200}",
                           signed_head(port, "GET", f"/{bucket}/big"), rcvbuf=4096)
               for i in range(SLOW_READERS)]
    idle = [open_socket(port, f"127.0.{3 + i // 5000}.{1 + i % 250}") for i in range(IDLE)]
    flood = Flood(tricklers, readers, idle)
    print(f"flood of {TRICKLERS + SLOW_READERS + IDLE} connections opened in "
          f"{time.monotonic() - t0:.1f} s")
    try:
        assert health_ok(port)
        normal_client_gets(s3, bucket, seconds=12, bound=5.0)
        rss, hwm = rss_mib(srv.proc.pid)
        print(f"server RSS {rss} MiB (peak {hwm} MiB) under the flood")
        # Large buffers are bounded by the request memory budget (128 MiB by default), not by
        # the number of requests: 200 slow readers alone would hold 200 x 2.3 MB unbounded.
        assert hwm < 400, hwm
        log = srv.read_log()
        assert "slow client cut off" in log or "request memory budget" in log or \
            "not admitted in time" in log
    finally:
        flood.stop()
    # Once they are gone the server is as it was.
    normal_client_gets(s3, bucket, seconds=1, bound=1.0)


def test_anonymous_flood_does_not_starve_a_normal_client(flood_server):
    srv, s3, bucket = flood_server
    port = srv.port
    tricklers = [open_socket(port, f"127.0.4.{1 + i % 200}", anon_head(port, i))
                 for i in range(TRICKLERS)]
    flood = Flood(tricklers)
    try:
        normal_client_gets(s3, bucket, seconds=5, bound=5.0)
    finally:
        flood.stop()


def test_shutdown_with_slow_clients_within_deadline():
    raise_fd_limit(TRICKLERS + 4096)
    srv = Server(drives=4).start()
    try:
        s3 = make_client(srv.endpoint)
        bucket = "stop-" + uuid.uuid4().hex[:8]
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="big", Body=os.urandom(8 << 20))
        port = srv.port
        tricklers = [open_socket(port, f"127.0.5.{1 + i % 200}",
                                 signed_head(port, "PUT", f"/{bucket}/t-{i}", 1_000_000))
                     for i in range(200)]
        readers = [open_socket(port, f"127.0.6.{1 + i % 200}",
                               signed_head(port, "GET", f"/{bucket}/big"), rcvbuf=4096)
                   for i in range(50)]
        flood = Flood(tricklers, readers)
        time.sleep(2)
        t = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        try:
            srv.proc.wait(timeout=30)
        finally:
            flood.stop()
        took = time.monotonic() - t
        print(f"stopped in {took:.1f} s with 250 slow clients")
        # 10 s grace for requests in flight, then waits on clients are cancelled (5 s at most).
        assert took < 17, took
        assert srv.proc.returncode == 0, srv.read_log()
    finally:
        srv.cleanup()
