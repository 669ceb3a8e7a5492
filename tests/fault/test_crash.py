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
from harness import MIB, orphan_data_dirs, sha, tmp_entries

BUCKET = "crash"
WORKERS = 4
KEY_NAMES = ["k", "dir/sub/k", "%esc/k"]
# drives -> kills: 110 kills in the default run (about 0.7 s each on 4 drives, 1.2 s on 6);
# 16 drives (12 + 4) only in the slow run: every commit fsyncs 16 files and directories.
CYCLES = {4: int(os.environ.get("FAULT_CRASH_CYCLES_4", 60)),
          6: int(os.environ.get("FAULT_CRASH_CYCLES_6", 50)),
          16: int(os.environ.get("FAULT_CRASH_CYCLES_16", 100))}


class Findings:
    def __init__(self):
        self.items = {}

    def add(self, kind, msg):
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
                         f"cycle {cycle} {km.key}: {etag}; {km.describe()}")
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
    """Completed uploads are gone, open ones are intact; interrupted completes either finished
    (upload gone) or left the upload as it was. Settles every interrupted one."""
    listed = set()
    for page in srv.client.get_paginator("list_multipart_uploads").paginate(Bucket=BUCKET):
        listed |= {u["UploadId"] for u in page.get("Uploads", [])}
    ours = {u.upload_id for u in uploads}
    for uid in sorted(listed - ours):
        findings.add("unknown upload listed", f"cycle {cycle} {uid}")
    for up in uploads:
        is_listed = up.upload_id in listed
        landed = seen.get(up.key, (None,))[0] == up.state
        if up.outcome == "done" and is_listed:
            findings.add("completed upload still listed", f"cycle {cycle} {up.key} {up.upload_id}")
        elif up.outcome == "open" and not is_listed:
            findings.add("open upload lost", f"cycle {cycle} {up.key} {up.upload_id}")
        elif up.outcome == "unknown":
            if landed and is_listed:
                findings.add("interrupted complete: object committed but upload still listed",
                             f"cycle {cycle} {up.key} {up.upload_id}")
            elif not landed and not is_listed:
                findings.add("interrupted complete: upload lost and object not committed",
                             f"cycle {cycle} {up.key} {up.upload_id}")
            up.outcome = "done"
            if is_listed:
                try:
                    srv.client.abort_multipart_upload(Bucket=BUCKET, Key=up.key,
                                                      UploadId=up.upload_id)
                except ClientError as e:
                    findings.add("cannot abort a leftover upload",
                                 f"cycle {cycle} {up.key}: {e.response['Error']['Code']}")
    uploads[:] = [u for u in uploads if u.outcome != "done"]


@pytest.mark.bound(240)
@pytest.mark.parametrize("n", [4, 6, pytest.param(16, marks=pytest.mark.slow)])
def test_crash_consistency(servers, rng, n):
    srv = servers(drives=n).start()
    srv.client.create_bucket(Bucket=BUCKET)
    keys = [KeyModel(f"w{w}/{name}") for w in range(WORKERS) for name in KEY_NAMES]
    groups = [keys[w * len(KEY_NAMES):(w + 1) * len(KEY_NAMES)] for w in range(WORKERS)]
    uploads = []
    findings = Findings()
    stats = {"acked": 0, "unknown": 0, "start_s": 0.0, "tmp_left": 0}
    t0 = time.monotonic()
    for cycle in range(CYCLES[n]):
        uploads += list(prepare_uploads(srv, groups, rng))
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
    # every key must remove them and must not change what any key reads as.
    leaked = [p for d in srv.drives for p in orphan_data_dirs(d, BUCKET)]
    for km in keys:
        srv.heal(BUCKET, km.key)
    for km in keys:
        state, _ = read_state(srv, km.key)
        if state != km.verified:
            findings.add("heal changed a key", f"{km.key}: {km.verified[:12]} -> {state}")
    for p in (p for d in srv.drives for p in orphan_data_dirs(d, BUCKET)):
        findings.add("orphaned data dir left after heal", p)
    print(f"\n{CYCLES[n]} kills on {n} drives in {time.monotonic() - t0:.0f} s: "
          f"{stats['acked']} acknowledged and {stats['unknown']} interrupted operations, "
          f"{stats['tmp_left']} kills left temp files, slowest start {stats['start_s']:.2f} s, "
          f"{len(leaked)} orphaned data dirs before the final heal")
    assert stats["acked"] > 5 * CYCLES[n], "the workload hardly ran: raise the cycle times"
    assert not findings.items, "crash consistency violated:\n" + findings.summary()
