"""Crash consistency: SIGKILL the daemon at random moments while client threads PUT, DELETE and
complete multipart uploads, restart it on the same drives and check every key against what
was acknowledged (the model is in crash_model.py), the listing against the objects, the
multipart uploads against the completes, and that start-up removed the dead daemon's temp
files. At least 100 kills over the parametrisations."""
import os
import time

import pytest
from botocore.exceptions import ClientError

from crash_model import ABSENT, KeyModel, Upload, Worker
from harness import MIB, sha
from ondisk import kept_versions, object_dir, orphan_data_dirs, tmp_entries

BUCKET = "crash"
WORKERS = 4
KEY_NAMES = ["k", "dir/sub/k", "%esc/k"]
# Kills per deployment: 110 in the default run, about 1 s each. 4 and 6 drives have k == m
# (write quorum k + 1); 16 drives have k = 12 > n / 2, where an interrupted commit can leave
# neither version with k copies. The slow run repeats 16 drives much longer.
CYCLES = {4: int(os.environ.get("FAULT_CRASH_CYCLES_4", 40)),
          6: int(os.environ.get("FAULT_CRASH_CYCLES_6", 30)),
          16: int(os.environ.get("FAULT_CRASH_CYCLES_16", 40)),
          "16-long": int(os.environ.get("FAULT_CRASH_CYCLES_16_LONG", 300))}


class Findings:
    def __init__(self):
        self.items = {}
        self.seen = set()

    def add(self, kind, msg, once=None):
        """once: report this (kind, once) only the first time (a state that persists)."""
        if once is not None:
            if (kind, once) in self.seen:
                return
            self.seen.add((kind, once))
        self.items.setdefault(kind, []).append(msg)

    def summary(self):
        return "\n".join(f"{kind}: {len(msgs)}x, e.g.\n    " + "\n    ".join(msgs[:3])
                         for kind, msgs in self.items.items())


def prepare_uploads(srv, groups, rng):
    """Gives some keys a multipart upload (a 5 MiB part and a short last part) to complete."""
    for group in groups:
        idle = [km for km in group if km.upload is None]
        if not idle or rng.random() > 0.35:
            continue
        km = rng.choice(idle)
        body = [rng.randbytes(5 * MIB), rng.randbytes(rng.randrange(1, 300 * 1024))]
        up = srv.client.create_multipart_upload(Bucket=BUCKET, Key=km.key)
        parts = []
        for i, data in enumerate(body, start=1):
            r = srv.client.upload_part(Bucket=BUCKET, Key=km.key, UploadId=up["UploadId"],
                                       PartNumber=i, Body=data)
            parts.append({"ETag": r["ETag"], "PartNumber": i})
        km.upload = Upload(km.key, up["UploadId"], parts, b"".join(body))
        yield km.upload


def read_state(srv, key):
    """(state, etag) of a key, or (None, error) when it cannot be read."""
    try:
        r = srv.client.get_object(Bucket=BUCKET, Key=key)
        return sha(r["Body"].read()), r["ETag"]
    except ClientError as e:
        if e.response["Error"]["Code"] == "NoSuchKey":
            return ABSENT, None
        return None, e.response["Error"]["Code"]
    except Exception as e:  # noqa: BLE001
        return None, type(e).__name__


def check_keys(srv, keys, findings, cycle):
    """Reads every key, checks it against its candidates, makes what it read the verified
    state. Returns {key: (state, etag)}."""
    seen = {}
    for km in keys:
        state, etag = read_state(srv, km.key)
        seen[km.key] = (state, etag)
        if state is None:
            findings.add("key unreadable after restart",
                         f"cycle {cycle} {km.key}: {etag}; {km.describe()}", once=km.key)
            continue
        cands = km.candidates()
        if state not in cands:
            known = {km.verified} | {o.state for o in km.ops}
            kind = ("torn or foreign bytes (no version ever written)" if state not in known
                    else "acknowledged delete undone" if any(
                        o.acked and o.state == ABSENT for o in km.ops) and state != ABSENT
                    else "acknowledged write lost" if state == ABSENT
                    else "stale version after an acknowledged write")
            findings.add(kind, f"cycle {cycle} {km.key}: read {state[:12]}, allowed "
                         f"{sorted(c[:12] for c in cands)}; {km.describe()}")
        km.verified = state
    return seen


def check_listing(srv, keys, seen, findings, cycle):
    listed = {}
    for page in srv.client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for o in page.get("Contents", []):
            listed[o["Key"]] = (o["Size"], o["ETag"])
    names = {km.key for km in keys}
    for key in sorted(set(listed) - names):
        findings.add("garbage key in listing", f"cycle {cycle} {key!r}")
    for km in keys:
        state, etag = seen[km.key]
        if state is None:
            continue
        if state == ABSENT and km.key in listed:
            findings.add("listing shows a key that GET says is absent",
                         f"cycle {cycle} {km.key}: listed {listed[km.key]}")
        elif state != ABSENT and km.key not in listed:
            findings.add("readable key missing from listing", f"cycle {cycle} {km.key}")
        elif state != ABSENT and listed[km.key][1] != etag:
            findings.add("listing shows another version than GET",
                         f"cycle {cycle} {km.key}: listed {listed[km.key]}, GET etag {etag}")


def check_uploads(srv, uploads, seen, findings, cycle):
    """uploads: every Upload ever prepared, by id. Open ones must be listed, completed and
    aborted ones must not; an interrupted complete must either have committed the object and
    removed the upload, or left the upload as it was. Leftovers are aborted (must work)."""
    listed = {}
    for page in srv.client.get_paginator("list_multipart_uploads").paginate(Bucket=BUCKET):
        listed.update({u["UploadId"]: u["Key"] for u in page.get("Uploads", [])})
    for uid in sorted(set(listed) - set(uploads)):
        findings.add("unknown upload listed", f"cycle {cycle} {uid}", once=uid)
    for up in uploads.values():
        is_listed = up.upload_id in listed
        if up.outcome == "open":
            if not is_listed:
                findings.add("open upload lost", f"cycle {cycle} {up.key} {up.upload_id}")
                up.outcome = "gone"
            continue
        if up.outcome == "unknown":
            landed = seen.get(up.key, (None,))[0] == up.state
            if landed and is_listed:
                findings.add("interrupted complete: object committed but upload still listed",
                             f"cycle {cycle} {up.key} {up.upload_id}")
            elif not landed and not is_listed:
                findings.add("interrupted complete: upload lost and object not committed",
                             f"cycle {cycle} {up.key} {up.upload_id}")
            up.outcome = "done"
        elif up.outcome == "done" and is_listed:
            findings.add("completed upload still listed", f"cycle {cycle} {up.key} {up.upload_id}",
                         once=up.upload_id)
        elif up.outcome == "aborted" and is_listed:
            findings.add("aborted upload still listed", f"cycle {cycle} {up.key} {up.upload_id}",
                         once=up.upload_id)
            continue
        if not is_listed or up.outcome in ("stuck", "aborted"):
            continue
        try:  # a leftover: the client's way out is to abort it
            srv.client.abort_multipart_upload(Bucket=BUCKET, Key=up.key, UploadId=up.upload_id)
            up.outcome = "aborted"
        except ClientError as e:
            findings.add("listed leftover upload cannot be aborted",
                         f"cycle {cycle} {up.key} {up.upload_id}: {e.response['Error']['Code']}")
            up.outcome = "stuck"


@pytest.mark.parametrize("run", [4, 6, 16, pytest.param(
    "16-long", marks=[pytest.mark.slow, pytest.mark.bound(600)])])
@pytest.mark.bound(180)
def test_crash_consistency(servers, rng, run):
    n = int(str(run).split("-")[0])
    cycles = CYCLES[run]
    srv = servers(drives=n).start()
    srv.client.create_bucket(Bucket=BUCKET)
    keys = [KeyModel(f"w{w}/{name}") for w in range(WORKERS) for name in KEY_NAMES]
    groups = [keys[w * len(KEY_NAMES):(w + 1) * len(KEY_NAMES)] for w in range(WORKERS)]
    uploads = {}  # upload id -> Upload, never removed
    findings = Findings()
    stats = {"acked": 0, "unknown": 0, "start_s": 0.0, "tmp_left": 0}
    t0 = time.monotonic()
    for cycle in range(cycles):
        uploads.update((u.upload_id, u) for u in prepare_uploads(srv, groups, rng))
        for km in keys:
            km.ops = []
        workers = [Worker(srv.endpoint, BUCKET, g, rng.randrange(1 << 30)) for g in groups]
        for w in workers:
            w.start()
        time.sleep(rng.uniform(0.05, 0.5))
        srv.kill()
        for w in workers:
            w.stop()
        stats["acked"] += sum(w.acked for w in workers)
        stats["unknown"] += sum(1 for km in keys for o in km.ops if not o.acked)
        before = {d: set(tmp_entries(d)) for d in srv.drives}
        stats["tmp_left"] += any(before.values())
        srv.start()
        stats["start_s"] = max(stats["start_s"], srv.start_seconds)
        for d in srv.drives:
            left = before[d] & set(tmp_entries(d))
            if left:
                findings.add("temp files of the killed daemon not cleaned at start-up",
                             f"cycle {cycle} {d}: {sorted(left)[:3]}")
        seen = check_keys(srv, keys, findings, cycle)
        check_listing(srv, keys, seen, findings, cycle)
        check_uploads(srv, uploads, seen, findings, cycle)

    # Interrupted commits may leave data dirs that no metadata names (a space leak); healing
    # every key (twice) must remove them and must not change what any key reads as.
    leaked = [p for d in srv.drives for p in orphan_data_dirs(d, BUCKET)]
    for km in keys:  # the first heal may only repair shards, the second removes leftovers
        srv.heal(BUCKET, km.key)
        srv.heal(BUCKET, km.key)
    for km in keys:
        state, _ = read_state(srv, km.key)
        if state != km.verified:
            findings.add("heal changed a key", f"{km.key}: {km.verified[:12]} -> {state}")
    for d in srv.drives:
        for p in orphan_data_dirs(d, BUCKET):
            owner = [km for km in keys if os.path.dirname(p) == object_dir(d, BUCKET, km.key)]
            state = owner[0].verified[:12] if owner else "?"
            findings.add("orphaned data dir left after heal", f"{p} (the key reads as {state})")
        for p in kept_versions(d, BUCKET):
            findings.add("metadata still keeps old versions after heal", p)
    print(f"\n{cycles} kills on {n} drives in {time.monotonic() - t0:.0f} s: "
          f"{stats['acked']} acknowledged and {stats['unknown']} interrupted operations, "
          f"{stats['tmp_left']} kills left temp files, slowest start {stats['start_s']:.2f} s, "
          f"{len(leaked)} orphaned data dirs before the final heal")
    assert stats["acked"] > 5 * cycles, "the workload hardly ran: raise the cycle times"
    assert not findings.items, "crash consistency violated:\n" + findings.summary()
