"""Client workloads for the fault tests: the standard object set (every size class the engine
treats differently) and a background PUT/GET load that records what was acknowledged."""
import random
import threading
import time

from harness import KIB, MIB, client, error_code, get_bytes, payload, put_multipart, sha

# (key, sizes): one entry per path through the engine. A list of sizes is a multipart upload.
STANDARD = [
    ("empty", 0),                            # inline, no shard bytes at all
    ("small/inline-1k", KIB),                # inline in %m.bin
    ("%pct/one-block", MIB),                 # exactly one erasure block; escaped key component
    ("deep/a/b/many-blocks", 3 * MIB + MIB // 2),  # several blocks, a short last one
    ("multi/part", [5 * MIB, 5 * MIB, 5 * MIB]),   # 3-part multipart, 3 data files
]
# Sizes the background load PUTs (inline, around the inline threshold, one and more blocks).
LOAD_SIZES = [0, 1, KIB, 100 * KIB, 128 * KIB, 300 * KIB, MIB, MIB + 7, 2 * MIB + 3]


def put_standard(s3, bucket, seed, prefix=""):
    """PUTs the standard set under prefix; returns {key: bytes}."""
    out = {}
    for i, (key, size) in enumerate(STANDARD):
        k = prefix + key
        if isinstance(size, list):
            parts = [payload(n, seed=seed * 1000 + i * 10 + j) for j, n in enumerate(size)]
            out[k] = put_multipart(s3, bucket, k, parts)
        else:
            data = payload(size, seed=seed * 1000 + i * 10)
            s3.put_object(Bucket=bucket, Key=k, Body=data)
            out[k] = data
    return out


def verify_all(s3, bucket, objects, what=""):
    """Every object GETs back with exactly its bytes. Returns a list of failures."""
    failures = []
    for key, data in objects.items():
        try:
            got = get_bytes(s3, bucket, key)
        except Exception as e:  # noqa: BLE001 - any failure is a finding
            failures.append(f"{what}GET {key}: {error_code(e)} {e}")
            continue
        if sha(got) != sha(data):
            failures.append(f"{what}GET {key}: WRONG BYTES ({len(got)} bytes, want {len(data)})")
    return failures


class Load(threading.Thread):
    """PUTs new keys and GETs acknowledged ones until stopped. Records acknowledged PUTs
    (key -> bytes), every error, and every GET that returned different bytes."""

    def __init__(self, endpoint, bucket, prefix, seed, sizes=LOAD_SIZES):
        super().__init__(daemon=True)
        self.s3 = client(endpoint)
        self.bucket = bucket
        self.prefix = prefix
        self.rng = random.Random(seed)
        self.sizes = sizes
        self.acked = {}
        self.errors = []
        self.wrong = []
        self.ops = 0
        self._halt = threading.Event()

    def run(self):
        n = 0
        while not self._halt.is_set():
            if self.acked and self.rng.random() < 0.4:
                key = self.rng.choice(sorted(self.acked))
                try:
                    got = get_bytes(self.s3, self.bucket, key)
                    if got != self.acked[key]:
                        self.wrong.append(key)
                except Exception as e:  # noqa: BLE001
                    self.errors.append(f"GET {key}: {error_code(e)} {e}")
            else:
                key = f"{self.prefix}{n:05d}"
                n += 1
                data = self.rng.randbytes(self.rng.choice(self.sizes))
                try:
                    self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
                    self.acked[key] = data
                except Exception as e:  # noqa: BLE001
                    self.errors.append(f"PUT {key}: {error_code(e)} {e}")
            self.ops += 1

    def stop(self):
        self._halt.set()
        self.join(timeout=60)
        assert not self.is_alive(), "load thread did not stop"
        return self


def run_with_load(srv, bucket, fault, seed, before=0.2, after=0.5, threads=2):
    """Starts `threads` loads, waits `before` s, runs fault(), lets the load run `after` s
    more, stops it. Returns the loads."""
    loads = [Load(srv.endpoint, bucket, f"load{t}/", seed * 100 + t) for t in range(threads)]
    for ld in loads:
        ld.start()
    time.sleep(before)
    try:
        fault()
        time.sleep(after)
    finally:
        for ld in loads:
            ld.stop()
    return loads
