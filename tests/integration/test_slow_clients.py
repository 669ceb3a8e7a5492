"""Slow and silent clients must not take the request workers: anonymous and signed tricklers,
slow readers, the per-address in-flight cap, the total request deadline, loop-served health
and metrics, and the watchdog withheld when requests stop being served. Raw sockets, each
trickler from its own loopback address (127.0.0.N) so the per-address cap does not hide
what the rate bounds do. Servers start with small bounds so the whole file stays near 40 s."""
import hashlib
import os
import socket
import tempfile
import threading
import time
import uuid

import pytest

from conftest import Server, make_client
from rawclient import signed_head

pytestmark = pytest.mark.http1_only(
    "tricklers write HTTP/1.1 heads and bodies byte by byte on raw sockets (HTTP/2 streams: "
    "test_http2.py::test_slow_streams_are_cut_logged_and_counted)")

WORKERS = 16
SLOW = 24  # more sockets than workers


class Trickler:
    """Sockets that each sent one request head and then move 1 byte every `every` seconds
    (sending a body, or reading a response), until stopped."""

    def __init__(self, port, heads, every=0.5, read=False, rcvbuf=None, first_ip=2,
                 same_ip=False):
        self.port, self.every, self.read = port, every, read
        self.socks = []
        for i, head in enumerate(heads):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            if rcvbuf:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            s.bind((f"127.0.0.{first_ip + (0 if same_ip else i)}", 0))
            s.settimeout(5)
            s.connect(("127.0.0.1", port))
            s.sendall(head)
            self.socks.append(s)
        self.stop_flag = threading.Event()
        self.closed = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        alive = list(self.socks)
        while alive and not self.stop_flag.wait(self.every):
            for s in list(alive):
                try:
                    s.setblocking(False)
                    if self.read:
                        data = s.recv(1024)
                        if data == b"":
                            raise ConnectionError
                    else:
                        s.send(b"x")
                except BlockingIOError:
                    pass
                except OSError:
                    alive.remove(s)
                    self.closed += 1

    def stop(self):
        self.stop_flag.set()
        self.thread.join(5)
        for s in self.socks:
            s.close()


def anon_put_head(port, i):
    return (f"PUT /anon-{i}/obj HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Length: 10000000\r\n\r\n").encode()


def health_latency(port):
    t = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        data = s.recv(4096)
    assert data.startswith(b"HTTP/1.1 200"), data
    return time.monotonic() - t


def get_latency(s3, bucket):
    t = time.monotonic()
    s3.get_object(Bucket=bucket, Key="small")["Body"].read()
    return time.monotonic() - t


@pytest.fixture(scope="module")
def slow_server():
    # 4 MiB per 1 s of waiting: above what the kernel takes at once into a loopback socket's
    # send buffer (about 2.8 MB, credited to the first window), so a slow reader is cut after
    # its first window, not its second.
    srv = Server(drives=4, extra_args=[
        "--workers", str(WORKERS), "--min-rate", "4096", "--min-rate-window", "1",
        "--max-requests-per-client", "1000"]).start()
    s3 = make_client(srv.endpoint, connect_timeout=5, read_timeout=10)
    bucket = "slow-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="small", Body=b"hello")
    s3.put_object(Bucket=bucket, Key="big", Body=os.urandom(4 << 20))
    yield srv, s3, bucket
    srv.cleanup()


def check_service(srv, s3, bucket):
    time.sleep(0.5)  # every head is in; on a vulnerable server every worker is taken
    live = health_latency(srv.port)
    get = get_latency(s3, bucket)
    print(f"health/live {live * 1000:.0f} ms, signed GET {get * 1000:.0f} ms")
    assert live < 1.0
    assert get < 2.0
    return live, get


def test_anonymous_tricklers_do_not_take_workers(slow_server):
    srv, s3, bucket = slow_server
    t = Trickler(srv.port, [anon_put_head(srv.port, i) for i in range(SLOW)], every=2.0)
    try:
        check_service(srv, s3, bucket)
    finally:
        t.stop()


def test_signed_slow_uploaders_are_cut_off(slow_server):
    srv, s3, bucket = slow_server
    heads = [signed_head(srv.port, "PUT", f"/{bucket}/up-{i}", 10_000_000) for i in range(SLOW)]
    t = Trickler(srv.port, heads, every=0.5)
    try:
        check_service(srv, s3, bucket)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "slow client cut off" not in srv.read_log():
            time.sleep(0.2)
    finally:
        t.stop()
    log = srv.read_log()
    line = next(l for l in log.splitlines() if "slow client cut off" in l)
    assert "127.0.0." in line and "minimum transfer rate" in line
    assert "receiving request body" in line
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        body = b""
        while chunk := s.recv(65536):
            body += chunk
    # /metrics is signed by default: the loop answers it (403 without a signature) at once.
    assert body.startswith(b"HTTP/1.1 403"), body[:100]
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as s:
        s.sendall(signed_head(srv.port, "GET", "/metrics"))
        body = b""
        while chunk := s.recv(65536):
            body += chunk
    assert body.startswith(b"HTTP/1.1 200"), body[:100]
    cut = [l for l in body.decode().splitlines()
           if l.startswith('flashstor_http_slow_clients_cut{reason="min_rate"}')]
    assert cut and float(cut[0].split()[-1]) >= 1, cut


def test_slow_readers_are_cut_off(slow_server):
    srv, s3, bucket = slow_server
    heads = [signed_head(srv.port, "GET", f"/{bucket}/big") for _ in range(SLOW)]
    t = Trickler(srv.port, heads, every=1.0, read=True, rcvbuf=4096, first_ip=100)
    try:
        check_service(srv, s3, bucket)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and "sending response" not in srv.read_log():
            time.sleep(0.2)
    finally:
        t.stop()
    assert "sending response" in srv.read_log()


@pytest.fixture(scope="module")
def capped_server():
    srv = Server(drives=4, extra_args=[
        "--workers", "4", "--max-requests-per-client", "2", "--min-rate", "0",
        "--request-timeout", "2", "--request-timeout-rate", "1024"]).start()
    s3 = make_client(srv.endpoint)
    bucket = "cap-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    yield srv, bucket
    srv.cleanup()


def test_per_address_share_holds_excess_requests_without_a_worker(capped_server):
    """Two trickling uploads from one address use up its share of the workers (2): a third
    request from that address waits, holding no worker, while other addresses are served at
    once; when one of the two ends, the waiting request is served (a queue, not a refusal:
    SDKs send 10 or more requests at once from one host)."""
    srv, bucket = capped_server
    heads = [signed_head(srv.port, "PUT", f"/{bucket}/c{i}", 1000) for i in range(2)]
    t = Trickler(srv.port, heads, every=5.0, first_ip=200, same_ip=True)
    try:
        time.sleep(0.3)
        s = socket.socket()
        s.bind(("127.0.0.200", 0))
        s.settimeout(1.0)
        s.connect(("127.0.0.1", srv.port))
        s.sendall(signed_head(srv.port, "GET", f"/{bucket}"))
        with pytest.raises(socket.timeout):
            s.recv(65536)  # waiting for its address's share
        # Another address is served at once, though 2 of the 4 workers are taken.
        with socket.create_connection(("127.0.0.1", srv.port), timeout=3) as o:
            o.sendall(signed_head(srv.port, "GET", f"/{bucket}"))
            assert o.recv(65536).startswith(b"HTTP/1.1 200")
        t.socks[0].close()  # one of the two ends: the waiting request takes its place
        s.settimeout(10)
        data = s.recv(65536)
        assert data.startswith(b"HTTP/1.1 200"), data[:200]
        s.close()
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as o:
            o.sendall(signed_head(srv.port, "GET", "/metrics"))
            body = b""
            while chunk := o.recv(65536):
                body += chunk
        waits = [l for l in body.decode().splitlines()
                 if l.startswith("flashstor_http_client_share_waits")]
        assert waits and float(waits[0].split()[-1]) >= 1, waits
    finally:
        t.stop()


def test_request_deadline_enforced(capped_server):
    srv, bucket = capped_server
    # 1 byte every 0.2 s (rate bound off here): only the 2 s total deadline can cut it.
    start = time.monotonic()
    t = Trickler(srv.port, [signed_head(srv.port, "PUT", f"/{bucket}/d", 1000)], every=0.2,
                 first_ip=210)

    def cut_line():
        return next((l for l in srv.read_log().splitlines()
                     if "request deadline passed" in l and "127.0.0.210:" in l), None)

    try:
        while time.monotonic() < start + 10 and cut_line() is None:
            time.sleep(0.1)
        took = time.monotonic() - start
    finally:
        t.stop()
    assert cut_line() is not None
    assert 1.5 < took < 8, took


def test_watchdog_withheld_while_requests_are_stuck():
    sock_dir = tempfile.mkdtemp(prefix="flashstor-notify-")
    os.chmod(sock_dir, 0o755)
    path = os.path.join(sock_dir, "notify")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    os.chmod(path, 0o777)
    listener.settimeout(0.2)
    # Rate bounds off: two silent uploaders hold both workers, two more wait for one.
    srv = Server(drives=4, env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000"}, extra_args=[
        "--workers", "2", "--min-rate", "0", "--request-timeout", "0", "--stall-restart", "2"])

    def pings_during(seconds):
        n, end = 0, time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                n += listener.recv(4096).count(b"WATCHDOG=1")
            except socket.timeout:
                pass
        return n

    try:
        srv.start()
        s3 = make_client(srv.endpoint)
        s3.create_bucket(Bucket="wdog")
        assert pings_during(3.0) >= 2
        heads = [signed_head(srv.port, "PUT", f"/wdog/k{i}", 1000) for i in range(4)]
        t = Trickler(srv.port, heads, every=3600, first_ip=220)
        try:
            pings_during(3.0)  # the 2 s stall limit passes
            assert pings_during(2.0) == 0
            assert "withholding watchdog ping" in srv.read_log()
            assert health_latency(srv.port) < 1.0  # the loops themselves are fine
        finally:
            t.stop()  # the uploads end: workers free, the queue drains
        time.sleep(0.5)
        assert pings_during(3.0) >= 2
    finally:
        srv.cleanup()
        listener.close()
