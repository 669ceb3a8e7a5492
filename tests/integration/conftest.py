"""Fixtures that start the real flashstor binary on a free port with temporary drive folders
and give tests real S3 clients (boto3, aws cli, s3cmd, rclone) pointed at it."""
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import boto3
import pytest
from botocore.config import Config

ACCESS_KEY = "flashstortest"
SECRET_KEY = "flashstor-test-secret-key"
BIN = os.environ.get("FLASHSTOR_BIN", os.path.join(os.path.dirname(__file__), "../../build/flashstor"))

# The HTTP/2 pass (docs/http2.md, ci/integration.sh): FLASHSTOR_TEST_HTTP=2 makes rawclient
# send over h2c with prior knowledge and curl use --http2-prior-knowledge; tests marked
# http1_only("reason") are skipped with their reason. SDKs and CLIs stay on HTTP/1.1.
HTTP2 = os.environ.get("FLASHSTOR_TEST_HTTP", "1") == "2"
CURL = ["curl", "--http2-prior-knowledge"] if HTTP2 else ["curl"]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "http1_only(reason): the test checks HTTP/1.1 itself (framing, request line, "
        "Expect, keep-alive); skipped in the HTTP/2 pass (FLASHSTOR_TEST_HTTP=2)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        marker = item.get_closest_marker("http1_only")
        if marker is None:
            continue
        reason = marker.args[0] if marker.args else marker.kwargs.get("reason")
        assert reason, f"{item.nodeid}: http1_only needs a reason"
        if HTTP2:
            item.add_marker(pytest.mark.skip(reason=f"HTTP/1.1 only: {reason}"))


class Server:
    """One running daemon: its endpoint, drive folders and log."""

    def __init__(self, drives=4, extra_args=(), env=None, drive_root=None, listeners=1):
        self.root = drive_root or tempfile.mkdtemp(prefix="flashstor-it-")
        self.drives = [os.path.join(self.root, f"disk{i}") for i in range(1, drives + 1)]
        for d in self.drives:
            os.makedirs(d, exist_ok=True)
        self.extra_args = list(extra_args)
        self.env = dict(os.environ)
        self.env.update({"FLASHSTOR_ROOT_USER": ACCESS_KEY, "FLASHSTOR_ROOT_PASSWORD": SECRET_KEY})
        if env:
            self.env.update(env)
        # Started as root (CI), the daemon must drop to an unprivileged user, as in production:
        # the drive folders then belong to that user.
        if os.geteuid() == 0 and "FLASHSTORE_RUN_USER" not in self.env:
            self.env["FLASHSTORE_RUN_USER"] = "nobody"
            self.env["FLASHSTORE_RUN_GROUP"] = "nogroup"
            for path in [self.root, *self.drives]:
                os.chown(path, 65534, 65534)
        self.log_path = os.path.join(self.root, "server.log")
        self.proc = None
        self.port = None
        self.tls_port = None
        self.listeners = listeners
        self.fixed_port = 0  # restart() keeps the port

    def start(self, timeout=20):
        # FLASHSTOR_SERVER_ARGS: extra flags for every daemon a test starts (ci/asan.sh uses it
        # for --seccomp log, because the sanitizer runtime makes syscalls the allowlist forbids).
        extra = os.environ.get("FLASHSTOR_SERVER_ARGS", "").split()
        args = [BIN, "server", "--address", f"127.0.0.1:{self.fixed_port}", *extra,
                *self.extra_args, *self.drives]
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, env=self.env)
        deadline = time.time() + timeout
        seen = 0
        while time.time() < deadline:
            line = self.proc.stdout.readline().decode(errors="replace")
            if not line:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"flashstor exited with {self.proc.returncode}: {self.read_log()}")
                continue
            m = re.search(r"API: (https?)://127\.0\.0\.1:(\d+)", line)
            if m:
                if m.group(1) == "https":
                    self.tls_port = int(m.group(2))
                else:
                    self.port = int(m.group(2))
                seen += 1
                if seen == self.listeners:
                    return self
        raise RuntimeError("flashstor did not print its endpoint: " + self.read_log())

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        if getattr(self, "log", None):
            self.log.close()

    def kill(self):
        self.stop(signal.SIGKILL)

    def restart(self):
        """Stops the daemon and starts it again on the same port, so clients made for it keep
        working: a test that changed drive files behind its back needs it to forget what it
        cached (docs/concurrency.md, "The metadata cache")."""
        self.fixed_port = self.port
        self.stop()
        return self.start()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def sse_master_key_file(tmp_path_factory):
    """A fresh SSE master key (64 hex digits) in an owner-only file, for --sse-master-key-file."""
    keyfile = tmp_path_factory.mktemp("ssekey") / "master.key"
    keyfile.write_text(os.urandom(32).hex() + "\n")
    os.chmod(keyfile, 0o600)
    return keyfile


def public_metrics_config(root):
    """Writes root/config.json with the root credentials and "metrics_access": "public" (an
    anonymous scrape of /metrics, what the Prometheus example needs); returns its path."""
    os.chmod(root, 0o755)
    cfg = os.path.join(root, "config.json")
    with open(cfg, "w") as f:
        json.dump({"root_user": ACCESS_KEY, "root_password": SECRET_KEY, "drives": ["/unused"],
                   "metrics_access": "public"}, f)
    os.chmod(cfg, 0o600)
    return cfg


def public_metrics_server(prefix, drives=4):
    """Yields a started Server whose /metrics anyone may scrape (public_metrics_config); cleans
    up after. For module or test fixtures: `yield from public_metrics_server("flashstor-x-")`."""
    root = tempfile.mkdtemp(prefix=prefix)
    s = Server(drives=drives, extra_args=["--config", public_metrics_config(root)])
    try:
        yield s.start()
    finally:
        s.cleanup()
        shutil.rmtree(root, ignore_errors=True)


def scrape_gauges(srv, family, names):
    """{name: value} of the unlabelled series <family>_<name> on srv's public /metrics."""
    r = subprocess.run([*CURL, "-s", srv.endpoint + "/metrics"], capture_output=True, timeout=30,
                       check=True)
    out = {}
    for name in names:
        m = re.search(rf"^{family}_{name} (\S+)$", r.stdout.decode(), re.M)
        assert m, f"{family}_{name} not in /metrics"
        out[name] = float(m.group(1))
    return out


def make_client(endpoint, retries=None, **kw):
    cfg = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                 retries=retries or {"max_attempts": 1, "mode": "standard"}, **kw)
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY, region_name="us-east-1", config=cfg)


@pytest.fixture(scope="session")
def server():
    s = Server(drives=4).start()
    yield s
    s.cleanup()


@pytest.fixture(scope="session")
def s3(server):
    return make_client(server.endpoint)


@pytest.fixture
def bucket(s3):
    name = "it-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    yield name
    # Best-effort cleanup so the shared server stays small.
    try:
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=name):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=name, Delete={"Objects": keys, "Quiet": True})
        for up in s3.list_multipart_uploads(Bucket=name).get("Uploads", []):
            s3.abort_multipart_upload(Bucket=name, Key=up["Key"], UploadId=up["UploadId"])
        s3.delete_bucket(Bucket=name)
    except Exception:
        pass


def cli_env(server, home):
    env = dict(os.environ)
    # Plain HTTP to loopback: a CA bundle from the machine's environment only confuses
    # clients (rclone refuses AWS_CA_BUNDLE with its own transport).
    env.pop("AWS_CA_BUNDLE", None)
    env.update({
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.path.join(home, "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "aws-credentials"),
        "HOME": home,
    })
    return env


@pytest.fixture
def tools(server, tmp_path):
    """Command-line clients configured for the server: aws, s3cmd, rclone."""
    home = str(tmp_path)
    env = cli_env(server, home)
    s3cfg = os.path.join(home, ".s3cfg")
    with open(s3cfg, "w") as f:
        f.write(f"""[default]
access_key = {ACCESS_KEY}
secret_key = {SECRET_KEY}
host_base = 127.0.0.1:{server.port}
host_bucket = 127.0.0.1:{server.port}
use_https = False
signature_v2 = False
bucket_location = us-east-1
""")
    rclone_cfg = os.path.join(home, "rclone.conf")
    with open(rclone_cfg, "w") as f:
        f.write(f"""[fs]
type = s3
provider = Other
access_key_id = {ACCESS_KEY}
secret_access_key = {SECRET_KEY}
endpoint = {server.endpoint}
region = us-east-1
force_path_style = true
""")

    def run(*args, check=True, input=None):
        return subprocess.run(list(args), env=env, check=check, capture_output=True, input=input,
                              timeout=300)

    class Tools:
        def aws(self, *args, check=True):
            return run("aws", "--endpoint-url", server.endpoint, *args, check=check)

        def s3cmd(self, *args, check=True):
            return run("s3cmd", "-c", s3cfg, *args, check=check)

        def rclone(self, *args, check=True):
            return run("rclone", "--config", rclone_cfg, *args, check=check)

    return Tools()


def drive_files(server):
    """Every file on the server's drives."""
    for d in server.drives:
        for root, _, files in os.walk(d):
            for f in files:
                yield os.path.join(root, f)


def assert_no_plaintext(server, marker, timeout=20):
    """No drive file holds marker, once replaced and deleted versions have left the trash
    (their data waits there for the server's --trash-grace-seconds, then the collector takes it;
    a plaintext version replaced by an encrypted one is deleted at once)."""
    deadline = time.monotonic() + timeout
    while True:
        found = None
        for path in drive_files(server):
            try:
                with open(path, "rb") as f:
                    if marker in f.read():
                        found = path
                        break
            except FileNotFoundError:
                continue  # collected while we walked
        if found is None:
            return
        assert time.monotonic() < deadline, f"plaintext marker found in {found}"
        time.sleep(0.5)


def make_cert(d):
    """A self-signed certificate for 127.0.0.1 in d/certs; returns (certs dir, CA file)."""
    certs = os.path.join(d, "certs")
    os.makedirs(certs)
    crt, key = os.path.join(certs, "public.crt"), os.path.join(certs, "private.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt, "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    if os.geteuid() == 0:
        for p in (certs, crt, key):
            os.chown(p, 65534, 65534)
    return certs, crt


def raise_fd_limit(need):
    """Raises this process's open-file limit to need (its servers inherit it), or skips the
    test where that is not allowed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(need, soft), max(need, hard)))
    except (ValueError, OSError):
        pytest.skip(f"needs {need} file descriptors (RLIMIT_NOFILE {soft}/{hard}, not root)")
