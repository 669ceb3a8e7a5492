"""The daemon's memory under a burst of 1 MiB PUTs at default settings (docs/execution-model.md,
"Memory"): the request memory budget (8 MiB by default) bounds the buffers in flight (one
malloc arena keeps them shared between the loops), and 2 s after the last request the heap's
free memory goes back to the OS, so RSS returns near its idle level; /metrics shows the
budget, the heap and the idle trims. The trim also gives back the event loops' caches after a
burst, and never runs while requests come, over HTTP/2 too."""
import hashlib
import os
import socket
import ssl
import subprocess
import threading
import time
import urllib.request

import pytest

import rawclient
from conftest import BIN, Server, make_cert, make_client, raise_fd_limit, sse_master_key_file


def built_with_asan():
    out = subprocess.run(["nm", "-D", BIN], capture_output=True, text=True).stdout
    return "__asan_init" in out


# ASan's allocator replaces glibc's (no arenas, no malloc_trim; quarantined frees and shadow
# memory add tens of MiB): RSS figures say nothing about the daemon's own memory there.
pytestmark = pytest.mark.skipif(built_with_asan(), reason="ASan build: RSS is the sanitizer's")

MiB = 1024 * 1024
TASK_GRANT = 'flashstor_request_task_bytes{part="buffers_granted"}'


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def scrape_metrics(endpoint):
    """Every sample of one /metrics scrape: {name with labels: value}."""
    text = urllib.request.urlopen(endpoint + "/metrics", timeout=10).read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def metric(endpoint, name):
    samples = scrape_metrics(endpoint)
    assert name in samples, f"{name} not in /metrics"
    return samples[name]


def heap_in_use_after_trim(endpoint):
    """The heap in use once the idle trim has run: the pools and caches requests fill (copy and
    shard buffers, the metadata cache, the loops' caches) are empty then, so two readings differ
    by what is live, not by how many buffers a pool happened to keep (a GET's 256 KiB copy
    buffer is 437 B over 600 connections). Each scrape is a request, which restarts the 2 s
    quiet spell: scrapes are 3 s apart."""
    in_use = 'flashstor_heap_bytes{state="in_use"}'
    trims = scrape_metrics(endpoint)["flashstor_heap_idle_trims"]
    for _ in range(10):
        time.sleep(3)
        samples = scrape_metrics(endpoint)
        if samples["flashstor_heap_idle_trims"] > trims:
            return samples[in_use]
    raise AssertionError("no idle trim within 30 s")


def warm_and_idle(srv, bucket):
    """Creates bucket with one small object and waits past the idle trim: (pid, idle RSS)."""
    s3 = make_client(srv.endpoint)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="warm", Body=b"x" * 4096)
    time.sleep(3)  # past the idle trim
    return srv.proc.pid, rss_kib(srv.proc.pid)


def rss_once_within(pid, bound_kib, seconds):
    """RSS once it is at most bound_kib, or the last sample when `seconds` pass first (the trim
    runs 2 s after the last request, on 1 s ticks)."""
    deadline = time.time() + seconds
    rss = rss_kib(pid)
    while time.time() < deadline and rss > bound_kib:
        time.sleep(0.5)
        rss = rss_kib(pid)
    return rss


@pytest.fixture
def srv():
    s = Server(drives=4, extra_args=["--metrics-access", "public"]).start()  # default budget
    yield s
    s.cleanup()


def test_rss_bounded_under_1mib_puts_and_back_near_idle(srv):
    pid, idle = warm_and_idle(srv, "mem")

    peak = [0]
    stop = threading.Event()

    granted = []  # flashstor_request_task_bytes{part="buffers_granted"}: grant per task

    def sample():
        n = 0
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            n += 1
            if n % 2 == 0:
                try:
                    granted.append(metric(srv.endpoint, TASK_GRANT))
                except AssertionError:  # not exported: checked below, the sampling goes on
                    pass
            time.sleep(0.05)

    body = os.urandom(MiB)
    errors = []

    def writer(n):
        client = make_client(srv.endpoint)
        try:
            for i in range(12):
                client.put_object(Bucket="mem", Key=f"w{n}/{i}", Body=body)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    sampler = threading.Thread(target=sample)
    sampler.start()
    writers = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    stop.set()
    sampler.join()
    assert not errors, errors

    # 96 MiB written by 8 clients at once; the buffers in flight are bounded by the default
    # 8 MiB budget: four 1 MiB PUTs of 2 MiB each. Measured here on the loaded 2-core VM
    # (load 15): 18.6-19.3 MiB, and 22.6-23.6 MiB with the former 128 MiB default, which
    # fails this bound. ~2.7 MiB of margin: VmRSS is sampled and drifts by up to ~3 MiB
    # (per-CPU counters) on a loaded machine. (The bench's loadgen loads the daemon harder:
    # 22.8-23.4 MiB there, docs/execution-model.md.) The bound is the target itself,
    # 24 MB: 22 MiB failed once in a full run under load on the development VM.
    assert peak[0] * 1024 < 24_000_000, (idle, peak[0])
    # Back near idle once the trim has run.
    after = rss_once_within(pid, idle + 8 * 1024, 8)
    assert after <= idle + 8 * 1024, (idle, peak[0], after)
    assert metric(srv.endpoint, "flashstor_heap_idle_trims") >= 1
    assert metric(srv.endpoint, 'flashstor_request_memory_bytes{state="capacity"}') == 8 * MiB
    assert metric(srv.endpoint, 'flashstor_heap_bytes{state="in_use"}') > 0
    # Per task under load: a 1 MiB PUT's 2 MiB grant, shared by the tasks running (those
    # waiting for the budget hold none); none once idle.
    assert granted and 0 < max(granted) <= 2 * MiB, granted
    assert metric(srv.endpoint, TASK_GRANT) == 0


def test_rss_back_near_idle_after_a_burst_of_concurrent_requests(srv):
    """A burst of 400 connections, each sending a signed 4 KiB PUT at once: every request runs
    as a task on a fiber stack and reads into 64 KiB arena blocks, and the event loops cache
    both for the next burst. Once the server has been idle, the idle trim gives them back
    (HttpServer::release_cached_blocks before the heap's trim, release_cached_stacks on each
    loop): RSS returns near idle. Before, they stayed: 20 MiB of stacks and 12 MiB of blocks
    after 1,024 clients, measured with the bench's loadgen."""
    pid, idle = warm_and_idle(srv, "burst")
    body = os.urandom(4096)
    body_sha = hashlib.sha256(body).hexdigest()
    peak = idle
    for burst in range(2):
        socks = [socket.create_connection(("127.0.0.1", srv.port), timeout=30) for _ in range(400)]
        try:
            for i, s in enumerate(socks):
                path = f"/burst/b{burst}/{i}"
                s.sendall(rawclient.signed_head(srv.port, "PUT", path, len(body), body_sha) + body)
            statuses = [rawclient.read_response(s)[0] for s in socks]
        finally:
            for s in socks:
                s.close()
        assert statuses == [200] * len(socks), sorted(set(statuses))
        peak = max(peak, rss_kib(pid))
    after = rss_once_within(pid, idle + 6 * 1024, 10)
    print(f"burst: idle {idle} KiB, peak {peak} KiB, after the trim {after} KiB")
    assert after <= idle + 6 * 1024, (idle, peak, after)


def test_get_copy_buffers_go_back_at_the_idle_trim(tmp_path_factory):
    """A GET that does not send an object's verified shards as they are (up to 64 KiB, or
    decrypted) streams it through a 256 KiB copy buffer from a pool, which keeps up to 64 of
    them for the next GETs. The idle trim frees the kept ones like the other pools: before, a
    burst of such GETs left its buffers resident until the next burst (and the one or two kept,
    at random, moved test_idle_keep_alive_connection_costs_under_482_bytes_of_heap's reading by
    hundreds of bytes a connection). 4 GETs of an 8 MiB SSE-S3 object are held mid-send by
    clients that do not read (small receive buffers; the kernel buffers 4 MiB of a socket at
    most), so four buffers are out at once: 833 KB were left after the trim before, 33 KB now.
    Each such GET holds a grant of 2.25 MiB (a stripe and its copy buffer), so four need more
    than the default 8 MiB request memory budget: with it, the fourth waited for the first to
    be read out, which on a loaded machine outlasted the 10 s admission wait (503 SlowDown).
    The server gets a 16 MiB budget, and all four run at once."""
    keyfile = sse_master_key_file(tmp_path_factory)
    srv = Server(drives=4, extra_args=["--metrics-access", "public", "--request-memory", "16",
                                       "--sse-master-key-file", str(keyfile)]).start()
    socks = []
    try:
        s3 = make_client(srv.endpoint)
        s3.create_bucket(Bucket="copybuf")
        s3.put_object(Bucket="copybuf", Key="big", Body=os.urandom(8 * MiB),
                      ServerSideEncryption="AES256")
        request = rawclient.signed_head(srv.port, "GET", "/copybuf/big",
                                        payload_hash=rawclient.EMPTY_SHA)
        baseline = heap_in_use_after_trim(srv.endpoint)
        for _ in range(4):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(30)
            s.connect(("127.0.0.1", srv.port))
            s.sendall(request)
            socks.append(s)
        time.sleep(1)  # each GET fills its socket and parks holding its copy buffer
        for s in socks:
            status, _, body = rawclient.read_response(s)
            assert status == 200 and len(body) == 8 * MiB, status
        after = heap_in_use_after_trim(srv.endpoint)
        print(f"heap in use: {baseline:.0f} B before the GETs, {after:.0f} B after the trim")
        assert after - baseline < 512 * 1024, (baseline, after)  # two buffers kept fail it
    finally:
        for s in socks:
            s.close()
        srv.cleanup()


def test_http2_load_is_not_idle(srv):
    """HTTP/2 requests are activity for the idle trim, which empties the drives' metadata cache,
    the shard buffer pool and the loops' caches. Before, only HTTP/1.1 requests counted, so
    during a run of HTTP/2 GETs on one connection (the loop's tick never sees its own task
    running) the trim ran every few seconds under load (make bench's h2c GETs: 8x16 streams
    fell to half the HTTP/1.1 rate)."""
    s3 = make_client(srv.endpoint)
    s3.create_bucket(Bucket="h2idle")
    s3.put_object(Bucket="h2idle", Key="k", Body=b"x" * 4096)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "h2idle", "Key": "k"},
                                    ExpiresIn=600)
    time.sleep(3)  # the trim of the quiet spell before the load
    before = metric(srv.endpoint, "flashstor_heap_idle_trims")
    r = subprocess.run(["h2load", "-D", "6", "-c", "1", "-m", "1", url], capture_output=True,
                       timeout=60)
    out = r.stdout.decode(errors="replace")
    assert " 0 failed, 0 errored" in out and "2xx" in out, out
    assert metric(srv.endpoint, "flashstor_heap_idle_trims") == before, out


def test_idle_keep_alive_connection_costs_under_482_bytes_of_heap():
    """An idle keep-alive connection holds its Connection (200 bytes) and nothing else: the
    parser, the request, its text address, its cancel token and its arena block are taken when
    its next request's first bytes arrive and given back when it goes idle (net/connection.h,
    LiveState). Measured as the bench does, on the heap in use (/metrics, mallinfo2) rather
    than RSS: 600 connections that each made one signed GET and stay open, then 600 more; the
    second batch's growth per connection. 482 bytes is what one cost before the event loops
    (issue 10); with the request state kept while idle it was about 600."""
    raise_fd_limit(4096)
    srv = Server(drives=4, extra_args=["--metrics-access", "public"]).start()
    socks = []
    try:
        s3 = make_client(srv.endpoint)
        s3.create_bucket(Bucket="idle")
        s3.put_object(Bucket="idle", Key="k", Body=b"x" * 4096)

        def get(s):
            s.sendall(rawclient.signed_head(srv.port, "GET", "/idle/k",
                                            payload_hash=rawclient.EMPTY_SHA))
            status, _, body = rawclient.read_response(s)
            assert status == 200 and len(body) == 4096, status

        def open_batch(n):
            for _ in range(n):
                s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
                socks.append(s)
                get(s)

        open_batch(600)  # warms what the first connections pay once (threads, pools)
        before = heap_in_use_after_trim(srv.endpoint)
        open_batch(600)
        after = heap_in_use_after_trim(srv.endpoint)
        per_connection = (after - before) / 600
        print(f"heap in use per idle connection: {per_connection:.0f} B")
        assert per_connection < 482, per_connection
        # They were kept open, and the first still answers.
        get(socks[0])
    finally:
        for s in socks:
            s.close()
        srv.cleanup()


def test_silent_tls_connections_hold_no_request_memory(tmp_path):
    """A client that completes a TLS handshake and sends nothing waits holding its OpenSSL
    session only: the handshake's flights wake its connection with no request bytes, and the
    receive block and LiveState taken for them go back at once (connection_loop.cc). Before,
    each kept a 64 KiB arena block and its LiveState until the header deadline closed it:
    about 70 KB of heap a connection, which the unauthenticated could multiply."""
    certs, ca = make_cert(str(tmp_path))
    srv = Server(drives=4, extra_args=["--tls-address", "127.0.0.1:0", "--certs-dir", certs,
                                       "--metrics-access", "public"], listeners=2).start()
    socks = []
    try:
        in_use = 'flashstor_heap_bytes{state="in_use"}'
        ctx = ssl.create_default_context(cafile=ca)

        def open_batch(n):
            for _ in range(n):
                raw = socket.create_connection(("127.0.0.1", srv.tls_port), timeout=30)
                s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")  # handshake done
                socks.append(s)

        open_batch(50)  # warms what the first connections pay once
        time.sleep(0.5)
        before = metric(srv.endpoint, in_use)
        open_batch(200)
        time.sleep(0.5)  # the last flights reach the server
        after = metric(srv.endpoint, in_use)
        per_connection = (after - before) / 200
        print(f"heap in use per silent TLS connection: {per_connection:.0f} B")
        assert per_connection < 32 * 1024, per_connection
        # Each still gets an answer when it speaks.
        s = socks[0]
        s.sendall(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert rawclient.read_response(s)[0] == 200
    finally:
        for s in socks:
            s.close()
        srv.cleanup()
