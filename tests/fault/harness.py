"""Fault-injection harness: the real daemon (started through tests/integration/conftest.py's
Server) run as an unprivileged user, drive-level faults (vanished, read-only, full drives),
the signed admin heal call and S3 client helpers. Shard-level damage lives in ondisk.py."""
import hashlib
import importlib.util
import json
import os
import pwd
import random
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

_IT_CONFTEST = os.path.join(os.path.dirname(__file__), "..", "integration", "conftest.py")
_spec = importlib.util.spec_from_file_location("flashstor_integration_conftest", _IT_CONFTEST)
it = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(it)

ACCESS_KEY = it.ACCESS_KEY
SECRET_KEY = it.SECRET_KEY
KIB = 1024
MIB = 1024 * 1024
# The daemon refuses to run as root; the appliance runs it as its own unprivileged user, so a
# chmod-ed or full drive hits it exactly as it would in production.
RUN_USER = os.environ.get("FLASHSTOR_FAULT_USER", "nobody")


def default_parity(n):
    """set_layout.cc DefaultParity for one set of n drives."""
    if n <= 1:
        return 0
    if n <= 3:
        return 1
    if n <= 5:
        return 2
    if n <= 7:
        return 3
    return 4


def sha(data):
    return hashlib.sha256(data).hexdigest()


def payload(size, seed=None):
    """Random bytes (random.Random(seed) when a seed is given, so reruns are reproducible)."""
    if seed is None:
        return os.urandom(size)
    return random.Random(seed).randbytes(size)


def client(endpoint, read_timeout=30):
    """A boto3 S3 client for the daemon (conftest.make_client) with short timeouts and exactly
    one attempt per call: a silent retry would hide which request reached the daemon."""
    return it.make_client(endpoint, retries={"total_max_attempts": 1, "mode": "standard"},
                          connect_timeout=5, read_timeout=read_timeout)


def run(*args, check=True):
    return subprocess.run(list(args), check=check, capture_output=True, timeout=60)


class FaultServer:
    """A daemon on its own drive folders, restartable on the same drives."""

    def __init__(self, drives=4, mounts=None, extra_args=()):
        self.user = pwd.getpwnam(RUN_USER)
        self.server = it.Server(drives=drives, extra_args=extra_args,
                                env={"FLASHSTORE_RUN_USER": RUN_USER})
        self.mounts = []  # mount points to undo, innermost last
        self.ext4_images = {}  # mount point -> image file, for drives made by mount_ext4
        self.client = None
        try:
            os.chmod(self.server.root, 0o755)
            for index, size in (mounts or {}).items():
                self.mount_tmpfs(index, size)
            for d in self.drives:
                self.own(d)
        except BaseException:
            self.cleanup()
            raise
        self.expired = False  # set by the suite's time bound: no more restarts

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def drives(self):
        return self.server.drives

    @property
    def root(self):
        return self.server.root

    def own(self, path):
        os.makedirs(path, exist_ok=True)
        for dirpath, dirnames, filenames in os.walk(path):
            os.chown(dirpath, self.user.pw_uid, self.user.pw_gid)
            for name in filenames:
                os.chown(os.path.join(dirpath, name), self.user.pw_uid, self.user.pw_gid)

    def start(self, timeout=20):
        if self.expired:
            raise RuntimeError("the test's time bound expired")
        t0 = time.monotonic()
        self.server.start(timeout=timeout)
        self.start_seconds = time.monotonic() - t0
        self.client = client(self.server.endpoint)
        return self

    def kill(self):
        """SIGKILL, then reap."""
        self.server.kill()

    def stop(self):
        self.server.stop()

    def restart(self):
        self.stop()
        return self.start()

    def alive(self):
        return self.server.proc is not None and self.server.proc.poll() is None

    def log(self):
        return self.server.read_log()

    def cleanup(self):
        self.server.stop()
        for m in reversed(self.mounts):
            run("fsfreeze", "--unfreeze", m, check=False)  # a frozen file system cannot go
        for m in reversed(self.mounts):
            run("umount", "-l", m, check=False)
        self.mounts.clear()
        shutil.rmtree(self.server.root, ignore_errors=True)

    @property
    def endpoint(self):
        return self.server.endpoint

    @property
    def port(self):
        return self.server.port

    # -- drive faults ---------------------------------------------------------------------

    def mount_tmpfs(self, index, size_bytes):
        """Makes drive index its own small filesystem (for full and read-only drives)."""
        d = self.drives[index]
        os.makedirs(d, exist_ok=True)
        run("mount", "-t", "tmpfs", "-o",
            f"size={size_bytes},mode=0750,uid={self.user.pw_uid},gid={self.user.pw_gid}",
            "tmpfs", d)
        self.mounts.append(d)

    def mount_ext4(self, index, size_bytes):
        """Makes drive index an ext4 file system in an image file on a loop device (one that
        fsfreeze can freeze). Raises RuntimeError with the command's output when this machine
        has no loop devices."""
        d = self.drives[index]
        os.makedirs(d, exist_ok=True)
        image = os.path.join(self.root, f"drive{index}.ext4")
        with open(image, "wb") as f:
            f.truncate(size_bytes)
        for cmd in (("mkfs.ext4", "-q", "-F", image),
                    ("mount", "-o", "loop,noatime,errors=remount-ro", image, d)):
            r = run(*cmd, check=False)
            if r.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.decode(errors='replace').strip()}")
        self.mounts.append(d)
        self.ext4_images[d] = image
        self.own(d)

    def mount_ext4_or_skip(self, indexes, size_bytes=64 * 1024 * 1024):
        """mount_ext4 for each drive of indexes; skips the test, saying why, on a machine
        without loop devices (the tests that freeze a drive or make it read-only need them)."""
        try:
            for i in indexes:
                self.mount_ext4(i, size_bytes)
        except RuntimeError as e:
            pytest.skip(f"needs loop devices to give a drive an ext4 file system of its own: {e}")

    def put_when_writable(self, bucket, key, body, timeout=30):
        """PUTs key, retried every 0.5 s until it succeeds or timeout passes (then the last
        error is raised): after a thaw, the drives' stuck calls return and the drives come back
        online one by one."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.client.put_object(Bucket=bucket, Key=key, Body=body)
            except Exception:  # noqa: BLE001 - a drive still offline: retried until the bound
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def freeze(self, index):
        """fsfreeze: every write to drive index (and its fsyncs) blocks in the kernel until
        thaw, as on a device that stopped answering; reads from the page cache go on."""
        run("fsfreeze", "--freeze", self.drives[index])

    def thaw(self, index):
        run("fsfreeze", "--unfreeze", self.drives[index], check=False)

    def remount_ro(self, index):
        """Turns drive index's file system read-only under the running daemon the way ext4's
        errors=remount-ro does: an error is triggered (/sys/fs/ext4/<dev>/trigger_fs_error)
        and the kernel makes the file system read-only at once, files open for writing or not
        (a plain `mount -o remount,ro` is refused while the daemon holds its metadata journal
        open). Needs a drive made by mount_ext4."""
        d = self.drives[index]
        assert d in self.ext4_images, "remount_ro needs a drive mounted by mount_ext4"
        dev = os.path.basename(os.path.realpath(
            run("findmnt", "-no", "SOURCE", d).stdout.decode().strip()))
        with open(f"/sys/fs/ext4/{dev}/trigger_fs_error", "w") as f:
            f.write("1")

    def remount_rw(self, index):
        """Makes drive index writable again after remount_ro, as an operator would: the
        daemon stopped, the file system unmounted, checked and mounted again."""
        d = self.drives[index]
        self.stop()
        run("umount", d)
        run("e2fsck", "-fy", self.ext4_images[d], check=False)  # 1: errors corrected
        run("mount", "-o", "loop,noatime,errors=remount-ro", self.ext4_images[d], d)

    def chmod_readonly(self, index, writable=False):
        run("chmod", "-R", "u+w" if writable else "a-w", self.drives[index])

    def remove_drive(self, index, timeout=10):
        """rm -rf of a whole drive folder, retried while the daemon still creates files in it."""
        d = self.drives[index]
        deadline = time.monotonic() + timeout
        while os.path.lexists(d):
            shutil.rmtree(d, ignore_errors=True)
            if time.monotonic() > deadline:
                raise RuntimeError(f"cannot remove {d}")
        return d

    def fill(self, index, reserve=0):
        """Fills drive index's filesystem up to `reserve` free bytes with a ballast file."""
        d = self.drives[index]
        path = os.path.join(d, "ballast")
        st = os.statvfs(d)
        free = st.f_bavail * st.f_frsize
        with open(path, "ab") as f:
            left = max(0, free - reserve)
            while left > 0:
                chunk = min(left, MIB)
                try:
                    f.write(b"\0" * chunk)
                    f.flush()
                except OSError:
                    break
                left -= chunk
        return path

    # -- admin heal -----------------------------------------------------------------------

    def signed(self, method, path_query, timeout=60):
        """A request signed by the root user: (http status, body bytes)."""
        url = f"{self.endpoint}{path_query}"
        req = AWSRequest(method=method, url=url, data=b"")
        S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1").add_auth(req)
        prepared = req.prepare()
        r = urllib.request.Request(url, data=b"" if method == "POST" else None, method=method,
                                   headers=dict(prepared.headers))
        try:
            with urllib.request.urlopen(r, timeout=timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def heal(self, bucket, key, timeout=60):
        """POST /flashstor/admin/heal signed by the root user: (http status, parsed JSON)."""
        query = urllib.parse.urlencode({"bucket": bucket, "key": key},
                                       quote_via=urllib.parse.quote)
        status, body = self.signed("POST", f"/flashstor/admin/heal?{query}", timeout)
        try:
            parsed = json.loads(body.decode())
        except ValueError:
            parsed = {"raw": body.decode(errors="replace")}
        return status, parsed


    def list_versions(self, bucket, prefix=""):
        """ListObjectVersions as the daemon orders it (boto3 splits versions and delete
        markers into two lists and loses their order): [(key, version id, is delete marker,
        is latest)], one page of up to 1000 entries."""
        query = urllib.parse.urlencode({"versions": "", "prefix": prefix},
                                       quote_via=urllib.parse.quote)
        status, body = self.signed("GET", f"/{bucket}?{query}")
        if status != 200:
            raise RuntimeError(f"ListObjectVersions: {status} {body[:200]!r}")
        root = ET.fromstring(body)
        ns = {"s": root.tag.split("}")[0][1:]} if root.tag.startswith("{") else {"s": ""}
        q = (lambda n: f"s:{n}") if ns["s"] else (lambda n: n)
        if (root.findtext(q("IsTruncated"), namespaces=ns) or "false") == "true":
            raise RuntimeError("ListObjectVersions truncated: the test expects one page")
        out = []
        for el in root:
            name = el.tag.split("}")[-1]
            if name not in ("Version", "DeleteMarker"):
                continue
            out.append((el.findtext(q("Key"), namespaces=ns),
                        el.findtext(q("VersionId"), namespaces=ns),
                        name == "DeleteMarker",
                        el.findtext(q("IsLatest"), namespaces=ns) == "true"))
        return out


# -- S3 helpers ---------------------------------------------------------------------------

def put_multipart(s3, bucket, key, parts):
    """Uploads `parts` (list of bytes) as one multipart object; returns its bytes."""
    up = s3.create_multipart_upload(Bucket=bucket, Key=key)
    done = []
    for i, data in enumerate(parts, start=1):
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=up["UploadId"], PartNumber=i,
                           Body=data)
        done.append({"ETag": r["ETag"], "PartNumber": i})
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": done})
    return b"".join(parts)


def get_bytes(s3, bucket, key):
    """GET -> bytes; raises ClientError (S3 error) or a botocore/urllib3 error (cut body)."""
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def get_stream(s3, bucket, key, chunk=256 * KIB):
    """GET read chunk by chunk: ("ok", None, body), ("error", exc, b"") when the server
    answered with an error, or ("cut", exc, bytes received) when the body broke off."""
    try:
        resp = s3.get_object(Bucket=bucket, Key=key)
    except Exception as e:  # noqa: BLE001
        return "error", e, b""
    got = []
    try:
        while True:
            c = resp["Body"].read(chunk)
            if not c:
                return "ok", None, b"".join(got)
            got.append(c)
    except Exception as e:  # noqa: BLE001
        return "cut", e, b"".join(got)


def error_code(exc):
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code", ""), \
            exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return type(exc).__name__, 0
