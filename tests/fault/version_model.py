"""What a crash may do to the versions of a key in a versioned bucket, and the client threads
whose requests the versioned crash test tracks.

Model (per key; each key belongs to one worker thread, so its operations never overlap):
- A key is its list of versions, newest first; a version is (version id, sha256 of its bytes
  or None for a delete marker, tags, retention, legal hold). After every restart the test
  reads the key (ListObjectVersions, then every version by id) and what it read becomes the
  key's verified list.
- During a cycle the worker applies operations one after the other: PUT (a new version in
  front), DELETE (a delete marker in front), DELETE by version id (one version goes), and
  PutObjectTagging / PutObjectRetention / PutObjectLegalHold on one version, current or not
  (that version's field changes, in place). An acknowledged operation (2xx) changes the
  expected list. The first operation whose outcome is unknown (an error answer, a broken
  connection, the request in flight at the SIGKILL) is remembered as the key's pending
  operation, and the worker leaves the key alone for the rest of the cycle.
- After the restart the key must read as the expected list, or, with a pending operation,
  as the expected list with that operation fully applied: a new version or marker in front
  (with the body that was sent), the version gone, the field changed on that version alone.
  Anything else is a lost acknowledged operation, a torn one, or a broken version order.
"""
import base64
import datetime
import hashlib
import random
import threading

from botocore.exceptions import ClientError, EndpointConnectionError

from harness import KIB, MIB, client, error_code, sha

# Sizes of new versions: inline, around the inline threshold, one and several blocks.
VERSION_SIZES = [0, 1, KIB, 100 * KIB, 128 * KIB + 1, 300 * KIB, MIB + 3]
MAX_VERSIONS = 5  # past it a worker prefers deleting versions by id (bounded reads per check)


class Version:
    __slots__ = ("vid", "sha", "tags", "retention", "hold")

    def __init__(self, vid, sha_=None, tags=(), retention=None, hold=False):
        self.vid = vid
        self.sha = sha_  # None: a delete marker
        self.tags = tuple(tags)  # ((key, value), ...) sorted
        self.retention = retention  # None or ("GOVERNANCE", epoch seconds)
        self.hold = hold

    @property
    def marker(self):
        return self.sha is None

    def copy(self, **changes):
        v = Version(self.vid, self.sha, self.tags, self.retention, self.hold)
        for name, value in changes.items():
            setattr(v, name, value)
        return v

    def state(self):
        return (self.vid, self.sha, self.tags, self.retention, self.hold)

    def describe(self):
        what = "marker" if self.marker else self.sha[:8]
        extra = "".join([f" tags={dict(self.tags)}" if self.tags else "",
                         f" ret={self.retention}" if self.retention else "",
                         " hold" if self.hold else ""])
        return f"{self.vid[:8]}:{what}{extra}"


class Pending:
    """An operation whose outcome is unknown. apply(versions) -> versions with it done."""

    def __init__(self, kind, apply, what):
        self.kind = kind
        self.apply = apply
        self.what = what
        self.error = None


def describe(versions):
    return "[" + ", ".join(v.describe() for v in versions) + "]"


class VersionedKey:
    def __init__(self, key):
        self.key = key
        self.verified = []  # [Version], newest first
        self.expected = []  # verified + this cycle's acknowledged operations
        self.pending = None
        self.acked_ops = []  # this cycle's acknowledged operations, for failure messages

    def start_cycle(self):
        self.expected = list(self.verified)
        self.pending = None
        self.acked_ops = []

    def candidates(self):
        """The version lists the key may read as after the crash; new version ids of a
        pending PUT or DELETE are not known, they are matched as None."""
        out = [self.expected]
        if self.pending is not None:
            out.append(self.pending.apply(self.expected))
        return out

    def describe(self):
        pend = f"{self.pending.what} ({self.pending.error})" if self.pending else "none"
        return (f"verified={describe(self.verified)} acked={self.acked_ops} "
                f"pending={pend}")


def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


class VersionWorker(threading.Thread):
    """Runs operations on its own keys until stopped (after the SIGKILL)."""

    def __init__(self, endpoint, bucket, keys, seed, locked):
        super().__init__(daemon=True)
        self.s3 = client(endpoint, read_timeout=20)
        self.bucket = bucket
        self.keys = keys
        self.locked = locked
        self.rng = random.Random(seed)
        self.halt = threading.Event()
        self.acked = 0
        self.refused = []  # 4xx answers: the model never sends a request the daemon may refuse

    def run(self):
        while not self.halt.is_set():
            free = [k for k in self.keys if k.pending is None]
            if not free:
                return
            km = self.rng.choice(free)
            self.step(km)

    def step(self, km):
        data_versions = [v for v in km.expected if not v.marker]
        deletable = [v for v in km.expected if not v.hold]
        r = self.rng.random()
        if len(km.expected) >= MAX_VERSIONS and deletable and r < 0.6:
            return self.delete_version(km, self.rng.choice(deletable))
        if r < 0.35 or not km.expected:
            return self.put(km)
        if r < 0.5:
            return self.delete_marker(km)
        if r < 0.6 and deletable:
            return self.delete_version(km, self.rng.choice(deletable))
        if not data_versions:
            return self.put(km)
        # Updates: the current version half of the time, else any version with data.
        current = km.expected[0]
        target = current if not current.marker and self.rng.random() < 0.5 else \
            self.rng.choice(data_versions)
        r = self.rng.random()
        if not self.locked or r < 0.5:
            return self.tag(km, target)
        if r < 0.75:
            return self.retention(km, target)
        return self.legal_hold(km, target)

    def attempt(self, km, what, call, apply, pending):
        """call() -> the new expected list; pending: Pending(...) if the outcome is unknown."""
        try:
            resp = call()
        except EndpointConnectionError:
            return  # never reached the daemon
        except Exception as e:  # noqa: BLE001 - unknown outcome
            code, status = error_code(e)
            if 400 <= status < 500:
                self.refused.append(f"{km.key} {what}: {code} {status}")
            pending.error = code
            km.pending = pending
            return
        km.expected = apply(resp)
        km.acked_ops.append(what)
        self.acked += 1

    def put(self, km):
        data = self.rng.randbytes(self.rng.choice(VERSION_SIZES))
        h = sha(data)
        kw = {"ContentMD5": md5_b64(data)} if self.locked else {}
        self.attempt(
            km, f"put {h[:8]}",
            lambda: self.s3.put_object(Bucket=self.bucket, Key=km.key, Body=data, **kw),
            lambda resp: [Version(resp["VersionId"], h)] + km.expected,
            Pending("put", lambda vs: [Version(None, h)] + vs, f"put {h[:8]}"))

    def delete_marker(self, km):
        def apply(resp):
            assert resp.get("DeleteMarker"), "DELETE of a versioned key made no marker"
            return [Version(resp["VersionId"])] + km.expected
        self.attempt(km, "delete",
                     lambda: self.s3.delete_object(Bucket=self.bucket, Key=km.key),
                     apply, Pending("delete", lambda vs: [Version(None)] + vs, "delete"))

    def delete_version(self, km, target):
        kw = {"BypassGovernanceRetention": True} if target.retention else {}
        vid = target.vid

        def drop(vs):
            return [v for v in vs if v.vid != vid]
        self.attempt(
            km, f"delete {vid[:8]}",
            lambda: self.s3.delete_object(Bucket=self.bucket, Key=km.key, VersionId=vid, **kw),
            lambda resp: drop(km.expected), Pending("delete-id", drop, f"delete {vid[:8]}"))

    def update(self, km, target, what, call, **changes):
        vid = target.vid

        def change(vs):
            return [v.copy(**changes) if v.vid == vid else v for v in vs]
        self.attempt(km, f"{what} {vid[:8]}", call, lambda resp: change(km.expected),
                     Pending(what, change, f"{what} {vid[:8]}"))

    def tag(self, km, target):
        n = self.rng.randrange(0, 4)
        tags = tuple(sorted((f"t{i}", f"{self.rng.randrange(1 << 20)}") for i in range(n)))
        self.update(km, target, "tag", lambda: self.s3.put_object_tagging(
            Bucket=self.bucket, Key=km.key, VersionId=target.vid,
            Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags]}), tags=tags)

    def retention(self, km, target):
        now = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
        until = now + self.rng.randrange(3600, 30 * 86400)
        date = datetime.datetime.fromtimestamp(until, datetime.timezone.utc)
        self.update(km, target, "retention", lambda: self.s3.put_object_retention(
            Bucket=self.bucket, Key=km.key, VersionId=target.vid, BypassGovernanceRetention=True,
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": date}),
            retention=("GOVERNANCE", until))

    def legal_hold(self, km, target):
        on = not target.hold
        self.update(km, target, "hold", lambda: self.s3.put_object_legal_hold(
            Bucket=self.bucket, Key=km.key, VersionId=target.vid,
            LegalHold={"Status": "ON" if on else "OFF"}), hold=on)

    def stop(self):
        self.halt.set()
        self.join(timeout=60)
        assert not self.is_alive(), "worker did not stop"


def read_version(s3, bucket, key, vid, marker, locked):
    """The Version as the daemon serves it by id, or a string saying why it cannot be read."""
    if marker:
        return Version(vid)
    try:
        body = s3.get_object(Bucket=bucket, Key=key, VersionId=vid)["Body"].read()
        tagset = s3.get_object_tagging(Bucket=bucket, Key=key, VersionId=vid)["TagSet"]
    except ClientError as e:
        return f"{e.response['Error']['Code']}"
    except Exception as e:  # noqa: BLE001 - a cut body is a finding too
        return type(e).__name__
    v = Version(vid, sha(body), sorted((t["Key"], t["Value"]) for t in tagset))
    if not locked:
        return v
    try:
        r = s3.get_object_retention(Bucket=bucket, Key=key, VersionId=vid)["Retention"]
        v.retention = (r["Mode"], int(r["RetainUntilDate"].timestamp()))
    except ClientError as e:
        if e.response["Error"]["Code"] != "NoSuchObjectLockConfiguration":
            return f"retention: {e.response['Error']['Code']}"
    try:
        r = s3.get_object_legal_hold(Bucket=bucket, Key=key, VersionId=vid)["LegalHold"]
        v.hold = r["Status"] == "ON"
    except ClientError as e:
        return f"legal hold: {e.response['Error']['Code']}"
    return v


def matches(observed, candidate):
    """Whether the observed versions are the candidate list (None version ids, of a pending
    PUT or DELETE, match any id not otherwise in the list)."""
    if len(observed) != len(candidate):
        return False
    for o, c in zip(observed, candidate):
        if c.vid is not None and o.vid != c.vid:
            return False
        if (o.sha, o.tags, o.retention, o.hold) != (c.sha, c.tags, c.retention, c.hold):
            return False
    return True
