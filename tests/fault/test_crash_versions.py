"""Crash consistency of versions: SIGKILL the daemon at random moments while client threads add
versions, delete markers, delete versions by id and update tags, retention and legal holds of
current and noncurrent versions in place (a versioned bucket, and one with object lock), restart
it on the same drives and check every key against the model (version_model.py): every
acknowledged version listed in acknowledgement order with exactly its bytes, tags, retention and
legal hold, nothing unacknowledged torn. At the end heal must make every drive hold the same
versions, and remove leftover data dirs."""
import os
import time

import pytest

from ondisk import drive_versions, orphan_data_dirs, tmp_entries
from version_model import VersionedKey, VersionWorker, describe, matches, read_version

WORKERS = 3
KEY_NAMES = ["a", "b/c"]
# Kills per run: a few in the default run (each cycle reads every version of every key), many
# more with -m slow.
CYCLES = {"4-versioned": int(os.environ.get("FAULT_VERSION_CYCLES_4", 10)),
          "16-locked": int(os.environ.get("FAULT_VERSION_CYCLES_16", 10)),
          "6-versioned-long": int(os.environ.get("FAULT_VERSION_CYCLES_6_LONG", 120)),
          "16-locked-long": int(os.environ.get("FAULT_VERSION_CYCLES_16_LONG", 150))}


class Findings:
    def __init__(self):
        self.items = {}

    def add(self, kind, msg):
        self.items.setdefault(kind, []).append(msg)

    def summary(self):
        return "\n".join(f"{kind}: {len(msgs)}x, e.g.\n    " + "\n    ".join(msgs[:3])
                         for kind, msgs in self.items.items())


def observe(srv, bucket, keys, locked, findings, cycle):
    """Reads every key's versions (listing order, then each by id); returns {key: [Version]}
    or None for a key that could not be read."""
    listing = srv.list_versions(bucket)
    names = {km.key for km in keys}
    by_key = {}
    for key, vid, marker, latest in listing:
        if key not in names:
            findings.add("garbage key in the version listing", f"cycle {cycle} {key!r}")
            continue
        by_key.setdefault(key, []).append((vid, marker, latest))
    out = {}
    for km in keys:
        entries = by_key.get(km.key, [])
        latest = [e[2] for e in entries]
        if entries and latest != [True] + [False] * (len(entries) - 1):
            findings.add("IsLatest not on the first version alone",
                         f"cycle {cycle} {km.key}: {latest}")
        versions = []
        for vid, marker, _ in entries:
            v = read_version(srv.client, bucket, km.key, vid, marker, locked)
            if isinstance(v, str):
                findings.add("listed version unreadable (torn)",
                             f"cycle {cycle} {km.key} {vid}: {v}; {km.describe()}")
                versions = None
                break
            versions.append(v)
        out[km.key] = versions
    return out


def classify(observed, km):
    exp_ids = [v.vid for v in km.expected]
    got_ids = [v.vid for v in observed]
    if any(i not in got_ids for i in exp_ids):
        missing = set(exp_ids) - set(got_ids)
        if km.pending is not None and km.pending.kind == "delete-id" and len(missing) == 1:
            return "version order or content differs"
        return "acknowledged version lost"
    if [i for i in got_ids if i in exp_ids] != exp_ids:
        return "version order differs from acknowledgement order"
    extra = [i for i in got_ids if i not in exp_ids]
    if extra and (km.pending is None or km.pending.kind not in ("put", "delete")):
        return "unknown version appeared"
    if extra and len(extra) > 1:
        return "more than one unacknowledged version"
    return "version content, tags or lock differ from every allowed state"


def check_keys(observed, keys, findings, cycle):
    for km in keys:
        got = observed[km.key]
        if got is None:
            continue  # already reported
        if not any(matches(got, cand) for cand in km.candidates()):
            findings.add(classify(got, km),
                         f"cycle {cycle} {km.key}: read {describe(got)}; {km.describe()}")
        km.verified = got


def short(versions):
    """(version id prefix, mod time's last digits) of a drive's versions, for messages."""
    if not isinstance(versions, list):
        return versions
    return [(x[0][:8], x[1] % 10**6) for x in versions]


def check_converged(srv, bucket, keys, findings):
    """Every drive holds the same versions of every key, and no data dir no version names."""
    for km in keys:
        lists = {d: drive_versions(d, bucket, km.key) for d in srv.drives}
        if len({repr(v) for v in lists.values()}) != 1:
            lines = "; ".join(f"{os.path.basename(d)}: {short(v)}" for d, v in lists.items())
            findings.add("drives disagree after heal", f"{km.key}: {lines}")
    for d in srv.drives:
        for p in orphan_data_dirs(d, bucket):
            findings.add("orphaned data dir left after heal", p)


@pytest.mark.parametrize("run", [
    "4-versioned", "16-locked",
    pytest.param("6-versioned-long", marks=[pytest.mark.slow, pytest.mark.bound(900)]),
    pytest.param("16-locked-long", marks=[pytest.mark.slow, pytest.mark.bound(900)])])
@pytest.mark.bound(150)
def test_version_crash_consistency(servers, rng, run):
    n = int(run.split("-")[0])
    locked = "locked" in run
    cycles = CYCLES[run]
    bucket = "vcrash"
    srv = servers(drives=n).start()
    if locked:
        srv.client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    else:
        srv.client.create_bucket(Bucket=bucket)
        srv.client.put_bucket_versioning(Bucket=bucket,
                                         VersioningConfiguration={"Status": "Enabled"})
    keys = [VersionedKey(f"w{w}/{name}") for w in range(WORKERS) for name in KEY_NAMES]
    groups = [keys[w * len(KEY_NAMES):(w + 1) * len(KEY_NAMES)] for w in range(WORKERS)]
    findings = Findings()
    stats = {"acked": 0, "pending": 0}
    t0 = time.monotonic()
    for cycle in range(cycles):
        for km in keys:
            km.start_cycle()
        workers = [VersionWorker(srv.endpoint, bucket, g, rng.randrange(1 << 30), locked)
                   for g in groups]
        for w in workers:
            w.start()
        time.sleep(rng.uniform(0.1, 0.6))
        srv.kill()
        for w in workers:
            w.stop()
            for r in w.refused:
                findings.add("request refused (4xx) the model sent as valid", f"cycle {cycle} {r}")
        stats["acked"] += sum(w.acked for w in workers)
        stats["pending"] += sum(km.pending is not None for km in keys)
        before = {d: set(tmp_entries(d)) for d in srv.drives}
        srv.start()
        for d in srv.drives:
            left = before[d] & set(tmp_entries(d))
            if left:
                findings.add("temp files of the killed daemon not cleaned at start-up",
                             f"cycle {cycle} {d}: {sorted(left)[:3]}")
        check_keys(observe(srv, bucket, keys, locked, findings, cycle), keys, findings, cycle)

    # Heal (twice: the first may only repair shards) settles every drive to the same versions
    # without changing what any key reads as.
    for km in keys:
        srv.heal(bucket, km.key)
        srv.heal(bucket, km.key)
        km.start_cycle()
    check_keys(observe(srv, bucket, keys, locked, findings, "heal"), keys, findings, "heal")
    check_converged(srv, bucket, keys, findings)
    total = sum(len(km.verified) for km in keys)
    print(f"\n{cycles} kills on {n} drives ({'object lock' if locked else 'versioned'}) in "
          f"{time.monotonic() - t0:.0f} s: {stats['acked']} acknowledged and {stats['pending']} "
          f"interrupted operations, {total} versions at the end")
    assert stats["acked"] > 3 * cycles, "the workload hardly ran: raise the cycle times"
    assert not findings.items, "version crash consistency violated:\n" + findings.summary()
