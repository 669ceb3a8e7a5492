"""What a crash may and may not do to the keys of the crash test, and the client threads whose
requests it tracks.

Model (per key; each key belongs to one worker thread, so its operations never overlap):
- The state of a key is the sha256 of its bytes, or ABSENT. After every restart the test reads
  every key; what it reads becomes the key's verified state (a read that returned a version
  means that version is committed: it must not be lost by a later crash).
- During a cycle the worker runs operations on the key one after the other: PUT (state = the
  body), DELETE (ABSENT) and CompleteMultipartUpload (the concatenated parts). An operation is
  acknowledged when its 2xx response arrived; anything else (an error response, a broken or
  timed-out connection, a request in flight at the SIGKILL) is unknown: it may or may not
  have happened. A request whose connection could not even be opened never reached the
  daemon and is dropped.
- After the SIGKILL and restart, the key must read as one of its candidates:
    if some operation of the cycle was acknowledged, the last acknowledged one's state, or the
    state of any later (unknown) operation;
    otherwise the verified state before the cycle, or the state of any unknown operation.
  Anything else is a lost acknowledged write, a resurrected delete or a torn object; an
  object whose bytes match no version at all is half-written.
"""
import random
import threading

from botocore.exceptions import EndpointConnectionError

from harness import KIB, MIB, client, error_code, sha

ABSENT = "absent"
PUT_SIZES = [0, 1, KIB, 100 * KIB, 128 * KIB - 1, 128 * KIB, 200 * KIB, MIB, MIB + 1,
             5 * MIB // 2]


class Op:
    __slots__ = ("kind", "state", "acked", "error", "upload")

    def __init__(self, kind, state, upload=None):
        self.kind = kind
        self.state = state
        self.acked = False
        self.error = None
        self.upload = upload


class Upload:
    """A multipart upload prepared while the daemon is up; completed during a cycle."""

    def __init__(self, key, upload_id, parts, data):
        self.key = key
        self.upload_id = upload_id
        self.parts = parts  # [{"ETag":..., "PartNumber":...}]
        self.state = sha(data)
        # open; unknown (its complete was interrupted); done (completed); aborted; stuck (a
        # leftover that cannot be aborted); gone (lost while open)
        self.outcome = "open"


class KeyModel:
    def __init__(self, key):
        self.key = key
        self.verified = ABSENT
        self.ops = []
        self.upload = None  # prepared Upload, if any

    def candidates(self):
        last = max((i for i, o in enumerate(self.ops) if o.acked), default=None)
        if last is None:
            return {self.verified} | {o.state for o in self.ops}
        return {o.state for o in self.ops[last:]}

    def describe(self):
        return (f"verified={self.verified[:12]} ops=" +
                ", ".join(f"{o.kind}:{o.state[:12]}:{'ack' if o.acked else o.error}"
                          for o in self.ops))


class Worker(threading.Thread):
    """Runs operations on its own keys until stopped (after the SIGKILL)."""

    def __init__(self, endpoint, bucket, keys, seed):
        super().__init__(daemon=True)
        self.s3 = client(endpoint, read_timeout=20)
        self.bucket = bucket
        self.keys = keys
        self.rng = random.Random(seed)
        self.halt = threading.Event()
        self.acked = 0

    def run(self):
        while not self.halt.is_set():
            km = self.rng.choice(self.keys)
            r = self.rng.random()
            if km.upload is not None and r < 0.5:
                self.complete(km)
            elif r < 0.75:
                self.put(km)
            else:
                self.delete(km)

    def attempt(self, km, op, call):
        km.ops.append(op)
        try:
            call()
            op.acked = True
            self.acked += 1
        except EndpointConnectionError:
            km.ops.remove(op)  # never reached the daemon
        except Exception as e:  # noqa: BLE001 - unknown outcome
            op.error = error_code(e)[0]

    def put(self, km):
        data = self.rng.randbytes(self.rng.choice(PUT_SIZES))
        self.attempt(km, Op("put", sha(data)),
                     lambda: self.s3.put_object(Bucket=self.bucket, Key=km.key, Body=data))

    def delete(self, km):
        self.attempt(km, Op("delete", ABSENT),
                     lambda: self.s3.delete_object(Bucket=self.bucket, Key=km.key))

    def complete(self, km):
        up = km.upload
        km.upload = None
        up.outcome = "unknown"
        op = Op("complete", up.state, upload=up)
        self.attempt(km, op, lambda: self.s3.complete_multipart_upload(
            Bucket=self.bucket, Key=km.key, UploadId=up.upload_id,
            MultipartUpload={"Parts": up.parts}))
        if op.acked:
            up.outcome = "done"
        elif op not in km.ops:
            up.outcome = "open"  # not sent: still ours to complete later
            km.upload = up

    def stop(self):
        self.halt.set()
        self.join(timeout=60)
        assert not self.is_alive(), "worker did not stop"
