"""The daemon as the appliance runs it: confinement read back from /proc, socket activation
over two named sockets (plain and TLS with SNI), readiness and watchdog on NOTIFY_SOCKET, the
audit log parsed back as JSON, /metrics checked by promtool, signed metrics access."""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import ACCESS_KEY, BIN, CURL, SECRET_KEY, Server, make_client

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="privilege drop tests need root (CI runs as root)")


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return fields


def write_config(root, **extra):
    cfg = {"root_user": ACCESS_KEY, "root_password": SECRET_KEY, "drives": ["/unused"]}
    cfg.update(extra)
    path = os.path.join(root, "config.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    os.chmod(path, 0o600)
    return path


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_confinement_after_start(server, s3):
    """Started as root with FLASHSTORE_RUN_USER: no root, no capabilities, NNP, seccomp."""
    st = proc_status(server.proc.pid)
    assert st["Uid"].split() == ["65534"] * 4
    assert st["Gid"].split() == ["65534"] * 4
    for cap in ("CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"):
        assert int(st[cap], 16) == 0, cap
    assert st["NoNewPrivs"] == "1"
    assert st["Seccomp"] == "2"
    # Every thread, not only the main one, is confined.
    for tid in os.listdir(f"/proc/{server.proc.pid}/task"):
        with open(f"/proc/{server.proc.pid}/task/{tid}/status") as f:
            text = f.read()
        assert re.search(r"^Seccomp:\s+2$", text, re.M) and re.search(r"^CapEff:\s+0+$", text, re.M)


def test_threads_are_named(server, s3):
    """top -H, ps -L and perf tell the daemon's threads apart: the event loops by number, the
    I/O pool and the background workers by job (named under the seccomp filter)."""
    s3.list_buckets()  # a request served: the loops and the pool have run
    task = f"/proc/{server.proc.pid}/task"
    names = []
    for tid in os.listdir(task):
        with open(f"{task}/{tid}/comm") as f:
            names.append(f.read().strip())
    assert "fs-loop-0" in names, names
    assert "fs-io" in names, names
    for job in ("fs-healer", "fs-trash", "fs-lifecycle"):
        assert job in names, (job, names)
    # Only the main thread keeps the program's name.
    assert sum(n == os.path.basename(BIN)[:15] for n in names) == 1, names


def test_root_refused_without_run_user(tmp_path):
    env = {"FLASHSTOR_ROOT_USER": ACCESS_KEY, "FLASHSTOR_ROOT_PASSWORD": SECRET_KEY,
           "PATH": os.environ["PATH"]}
    r = subprocess.run([BIN, "server", "--address", "127.0.0.1:0", str(tmp_path / "d")],
                       env=env, capture_output=True, timeout=30)
    assert r.returncode != 0 and b"FLASHSTORE_RUN_USER" in r.stderr


def test_missing_credentials_rejected(tmp_path):
    env = {"PATH": os.environ["PATH"], "FLASHSTOR_ROOT_USER": ACCESS_KEY,
           "FLASHSTOR_ROOT_PASSWORD": "short"}
    r = subprocess.run([BIN, "server", "--address", "127.0.0.1:0", str(tmp_path / "d")],
                       env=env, capture_output=True, timeout=30)
    assert r.returncode != 0 and b"secret key must be" in r.stderr
    assert b"short" not in r.stderr  # the secret itself is never echoed


def make_certs(d):
    """A throwaway CA and two server certificates: default (127.0.0.1) and one for SNI."""
    def run(*a):
        subprocess.run(a, check=True, capture_output=True, cwd=d)
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=flashstor test CA")
    for name, san in (("default", "IP:127.0.0.1,DNS:localhost"), ("sni", "DNS:s3.flashstor.test")):
        run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write(f"subjectAltName={san}\n")
        run("openssl", "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext")
    certs = os.path.join(d, "certs")
    os.makedirs(os.path.join(certs, "s3.flashstor.test"))
    shutil.copy(os.path.join(d, "default.crt"), os.path.join(certs, "public.crt"))
    shutil.copy(os.path.join(d, "default.key"), os.path.join(certs, "private.key"))
    shutil.copy(os.path.join(d, "sni.crt"), os.path.join(certs, "s3.flashstor.test", "public.crt"))
    shutil.copy(os.path.join(d, "sni.key"), os.path.join(certs, "s3.flashstor.test", "private.key"))
    return certs, os.path.join(d, "ca.crt")


def served_cert_cn(port, servername):
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername",
                        servername], input=b"", capture_output=True, timeout=30)
    m = re.search(rb"subject=CN ?= ?(\S+)", r.stdout)
    return m.group(1).decode() if m else None


def test_socket_activation_plain_and_tls(tmp_path):
    """systemd-socket-activate hands over two named sockets; the daemon tells them apart by
    name, serves S3 on both, picks the SNI certificate, and refuses TLS 1.1."""
    certs, ca = make_certs(str(tmp_path))
    http_port, https_port = free_port(), free_port()
    srv = Server(drives=4)
    env = dict(srv.env)
    args = ["systemd-socket-activate", "-l", f"127.0.0.1:{https_port}", "-l",
            f"127.0.0.1:{http_port}", "--fdname=https:http",
            "-E", "FLASHSTOR_ROOT_USER", "-E", "FLASHSTOR_ROOT_PASSWORD",
            "-E", "FLASHSTORE_RUN_USER", "-E", "FLASHSTORE_RUN_GROUP",
            BIN, "server", "--certs-dir", certs, *srv.drives]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        s3 = make_client(f"http://127.0.0.1:{http_port}")
        deadline = time.time() + 30
        while True:
            try:
                s3.list_buckets()
                break
            except Exception:
                if time.time() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.3)
        s3.create_bucket(Bucket="activated")
        s3.put_object(Bucket="activated", Key="k", Body=b"over plain http")
        tls = make_client(f"https://127.0.0.1:{https_port}", )
        tls._endpoint.http_session._verify = ca
        assert tls.get_object(Bucket="activated", Key="k")["Body"].read() == b"over plain http"
        # aws cli with --ca-bundle over the activated TLS socket.
        home = str(tmp_path)
        cli_env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
                       AWS_DEFAULT_REGION="us-east-1", HOME=home)
        cli_env.pop("AWS_CA_BUNDLE", None)
        out = subprocess.run(["aws", "--endpoint-url", f"https://127.0.0.1:{https_port}",
                              "--ca-bundle", ca, "s3", "ls", "s3://activated"],
                             env=cli_env, capture_output=True, timeout=60)
        assert out.returncode == 0 and b" k" in out.stdout, out.stderr
        assert served_cert_cn(https_port, "s3.flashstor.test") == "sni"
        assert served_cert_cn(https_port, "other.example") == "default"
        old = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{https_port}",
                              "-tls1_1"], input=b"", capture_output=True, timeout=30)
        assert b"Cipher is (NONE)" in old.stdout or old.returncode != 0
        assert proc_status(proc.pid)["Seccomp"] == "2"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        srv.cleanup()


def test_notify_ready_and_watchdog():
    # The daemon notifies after dropping to nobody: the socket must be reachable by it, as
    # /run/systemd/notify is under systemd.
    sock_dir = tempfile.mkdtemp(prefix="flashstor-notify-")
    os.chmod(sock_dir, 0o755)
    sock_path = os.path.join(sock_dir, "notify")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(sock_path)
    os.chmod(sock_path, 0o777)
    listener.settimeout(1.0)
    srv = Server(drives=4, env={"NOTIFY_SOCKET": sock_path, "WATCHDOG_USEC": "1000000"})
    try:
        srv.start()
        messages = []
        deadline = time.time() + 10
        while time.time() < deadline and sum("WATCHDOG=1" in m for m in messages) < 2:
            try:
                messages.append(listener.recv(4096).decode())
            except socket.timeout:
                pass
        joined = "\n".join(messages)
        assert "READY=1" in joined
        assert "STATUS=" in joined
        assert joined.count("WATCHDOG=1") >= 2
        # READY comes only after the drives were loaded (a STATUS about them came first).
        assert joined.index("READY=1") > joined.index("STATUS=")
        srv.stop()
        try:
            while True:
                messages.append(listener.recv(4096).decode())
        except socket.timeout:
            pass
        assert "STOPPING=1" in "\n".join(messages)
    finally:
        listener.close()
        srv.cleanup()
        shutil.rmtree(sock_dir, ignore_errors=True)


def signed_get(url):
    req = AWSRequest(method="GET", url=url, headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1").add_auth(req)
    r = subprocess.run([*CURL, "-s", "-w", "\n%{http_code}", url] +
                       sum((["-H", f"{k}: {v}"] for k, v in req.headers.items()), []),
                       capture_output=True, timeout=30)
    body, _, code = r.stdout.rpartition(b"\n")
    return int(code), body


def test_audit_log_and_metrics(tmp_path):
    root = tempfile.mkdtemp(prefix="flashstor-audit-")
    os.chown(root, 65534, 65534)
    audit = os.path.join(root, "audit.log")
    cfg = write_config(root, audit={"file": audit, "journald": False}, metrics_access="signed")
    srv = Server(drives=4, extra_args=["--config", cfg])
    try:
        srv.start()
        s3 = make_client(srv.endpoint)
        s3.create_bucket(Bucket="audited")
        s3.put_object(Bucket="audited", Key="a key/with ünïcode", Body=b"x" * 1000)
        with pytest.raises(Exception):
            s3.get_object(Bucket="audited", Key="missing")
        # Metrics: refused unsigned, served signed, and valid for promtool.
        unsigned = subprocess.run([*CURL, "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                   srv.endpoint + "/metrics"], capture_output=True, timeout=30)
        assert unsigned.stdout == b"403"
        code, body = signed_get(srv.endpoint + "/metrics")
        assert code == 200
        text = body.decode()
        assert 'flashstor_s3_requests_total{op="PutObject",status="200"}' in text
        assert "flashstor_drives_online 4" in text
        # Per-drive traffic and the erasure codec's time are exported.
        drive_lines = [l for l in text.splitlines() if l.startswith("flashstor_drive_written_bytes{")]
        assert len(drive_lines) == 4 and all(float(l.split()[-1]) > 0 for l in drive_lines)
        assert 'flashstor_drive_errors{drive="' in text
        assert "flashstor_erasure_encode_seconds " in text
        check = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True,
                               timeout=30)
        assert check.returncode == 0, check.stdout + check.stderr
        live = subprocess.run([*CURL, "-s", "-w", "%{http_code}", srv.endpoint + "/health/ready"],
                              capture_output=True, timeout=30)
        assert live.stdout.endswith(b"200")
    finally:
        srv.stop()
    records = [json.loads(line) for line in open(audit)]
    ops = [r["operation"] for r in records]
    assert "CreateBucket" in ops and "PutObject" in ops and "GetObject" in ops
    put = next(r for r in records if r["operation"] == "PutObject")
    assert put["bucket"] == "audited" and put["key"] == "a key/with ünïcode"
    assert put["status"] == 200 and put["bytes_in"] == 1000 and put["access_key"] == ACCESS_KEY
    assert next(r for r in records if r["operation"] == "GetObject")["status"] == 404
    raw = open(audit).read()
    assert SECRET_KEY not in raw and "Signature=" not in raw
    for field in ("time", "trace_id", "duration_ms", "remote_addr", "user_agent", "bytes_out"):
        assert field in put
    srv.cleanup()
    shutil.rmtree(root, ignore_errors=True)


def test_tls_reload_on_sighup_keeps_connections(tmp_path):
    """SIGHUP re-reads --certs-dir: new handshakes get the new certificate while a connection
    opened before keeps working."""
    import signal
    import ssl
    made, ca = make_certs(str(tmp_path))
    # After the privilege drop the daemon re-reads the directory as its run user, so the
    # material must be readable by it (the appliance installs it root:flashstor 0640).
    certs = tempfile.mkdtemp(prefix="flashstor-certs-")
    shutil.rmtree(certs)
    shutil.copytree(made, certs)
    for d, dirs, files in os.walk(certs):
        for name in [d] + [os.path.join(d, f) for f in files]:
            os.chown(name, 0, 65534)
            os.chmod(name, 0o750 if os.path.isdir(name) else 0o640)
    os.chmod(certs, 0o755)
    srv = Server(drives=4, listeners=2,
                 extra_args=["--tls-address", "127.0.0.1:0", "--certs-dir", certs])
    try:
        srv.start()
        ctx = ssl.create_default_context(cafile=ca)
        ctx.check_hostname = False
        old = ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.tls_port)),
                              server_hostname="127.0.0.1")
        before = old.getpeercert(binary_form=True)
        # Replace the default certificate with the SNI one's pair and reload.
        shutil.copy(os.path.join(certs, "s3.flashstor.test", "public.crt"),
                    os.path.join(certs, "public.crt"))
        shutil.copy(os.path.join(certs, "s3.flashstor.test", "private.key"),
                    os.path.join(certs, "private.key"))
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while served_cert_cn(srv.tls_port, "127.0.0.1") != "sni":
            assert time.time() < deadline, "new certificate not served after SIGHUP"
            time.sleep(0.2)
        # The connection made before the reload still carries requests.
        old.sendall(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert old.recv(4096).startswith(b"HTTP/1.1 200")
        assert old.getpeercert(binary_form=True) == before
        old.close()
    finally:
        srv.cleanup()
        shutil.rmtree(certs, ignore_errors=True)
