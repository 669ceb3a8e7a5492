"""Versioned crash leftovers built by hand on the drives: the states test_crash_versions.py
reaches only by chance (a SIGKILL between two drives' commits), made deterministic. A commit on
a key with older versions (a new version, a delete marker, a version deleted by id, a tag update
in place) is cut short after `have` of n drives wrote their metadata. The key's versions must
read as before or as after the operation (after it, once `have` reaches the write quorum, as the
operation may have been acknowledged), in order, every version with its bytes and tags; and
heal must make every drive hold the same versions without changing what the key reads as."""
import os
import shutil

import pytest

from harness import MIB, payload, sha
from ondisk import (META_FILE, drive_versions, object_dir, orphan_data_dirs, read_entries,
                    write_entries)
from version_model import Version, describe, read_version

BUCKET = "vstates"
KEY = "dir/obj"
DATA_SHARDS = {4: 2, 6: 3, 16: 12}  # k at default parity
WRITE_QUORUM = {4: 3, 6: 4, 16: 12}  # k, or k + 1 when k == m
SPLITS = [(4, 1), (4, 2), (4, 3), (6, 3), (16, 5), (16, 11), (16, 12)]


def keeps_fallback(n):
    """Whether a commit keeps the versions it replaces or drops behind the new ones until the
    write quorum (ErasureSet::commit's MustKeep): when a commit cut short could leave them on
    fewer than k untouched drives."""
    return n - WRITE_QUORUM[n] + 1 < DATA_SHARDS[n]


def start(servers, n):
    srv = servers(drives=n).start()
    srv.client.create_bucket(Bucket=BUCKET)
    srv.client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return srv


def put(srv, data, **kw):
    return Version(srv.client.put_object(Bucket=BUCKET, Key=KEY, Body=data, **kw)["VersionId"],
                   sha(data))


def save(srv):
    """A copy of every drive's object directory (metadata and data dirs)."""
    saved = os.path.join(srv.root, "saved")
    shutil.rmtree(saved, ignore_errors=True)
    for i, d in enumerate(srv.drives):
        shutil.copytree(object_dir(d, BUCKET, KEY), os.path.join(saved, str(i)))
    return saved


def restore(srv, saved, drives):
    """Drives (indexes) get their saved object directory back, as if the commit never reached
    them."""
    for i in drives:
        odir = object_dir(srv.drives[i], BUCKET, KEY)
        shutil.rmtree(odir)
        shutil.copytree(os.path.join(saved, str(i)), odir)
        srv.own(odir)


def read_versions(srv):
    """The key's versions as the daemon serves them (listing order, each read by id), or a
    string saying what could not be read."""
    out = []
    for key, vid, marker, _ in srv.list_versions(BUCKET, KEY):
        if key != KEY:
            continue
        v = read_version(srv.client, BUCKET, KEY, vid, marker, False)
        if isinstance(v, str):
            return f"version {vid} unreadable: {v}"
        out.append(v)
    return out


def states(versions):
    return versions if isinstance(versions, str) else [v.state() for v in versions]


def check_settles(srv, allowed, what):
    """The key reads as one of `allowed` (lists of Version), heal keeps it so and makes every
    drive hold the same versions, with no leftover data dirs."""
    violations = []
    want = [states(a) for a in allowed]
    before = read_versions(srv)
    if states(before) not in want:
        violations.append(f"reads as {describe(before) if isinstance(before, list) else before}"
                          f", allowed {' or '.join(describe(a) for a in allowed)}")
    srv.heal(BUCKET, KEY)
    srv.heal(BUCKET, KEY)
    after = read_versions(srv)
    if states(after) not in want or (states(before) in want and states(after) != states(before)):
        violations.append(f"after heal reads as "
                          f"{describe(after) if isinstance(after, list) else after}")
    lists = [drive_versions(d, BUCKET, KEY) for d in srv.drives]
    if any(x != lists[0] for x in lists):
        differ = [i for i, x in enumerate(lists) if x != lists[0]]
        violations.append(f"after heal drives {differ} hold other versions than drive 0: "
                          f"{[[v[0][:8] for v in x] if isinstance(x, list) else x for x in lists]}")
    left = [p for d in srv.drives for p in orphan_data_dirs(d, BUCKET)]
    if left:
        violations.append(f"heal left {len(left)} orphaned data dirs, e.g. {left[0]}")
    assert not violations, what + ": " + "; ".join(violations)


@pytest.mark.parametrize("new_size", [MIB + 5, 40 * 1024], ids=["parts", "inline"])
@pytest.mark.parametrize("n,have", SPLITS)
def test_new_version_killed_mid_commit(servers, n, have, new_size):
    """A third version PUT while two older ones exist, cut short after `have` drives."""
    srv = start(servers, n)
    v1, v2 = put(srv, payload(300 * 1024)), put(srv, payload(20 * 1024))
    saved = save(srv)
    v3 = put(srv, payload(new_size))
    restore(srv, saved, range(have, n))
    old, new = [v2, v1], [v3, v2, v1]
    check_settles(srv, [new] if have >= WRITE_QUORUM[n] else [old, new],
                  f"{have} of {n} drives committed")


@pytest.mark.parametrize("n,have", SPLITS)
def test_delete_marker_killed_mid_commit(servers, n, have):
    """A DELETE (a delete marker in front of two versions) cut short after `have` drives."""
    srv = start(servers, n)
    v1, v2 = put(srv, payload(MIB + 1)), put(srv, payload(1000))
    saved = save(srv)
    marker = Version(srv.client.delete_object(Bucket=BUCKET, Key=KEY)["VersionId"])
    restore(srv, saved, range(have, n))
    old, new = [v2, v1], [marker, v2, v1]
    check_settles(srv, [new] if have >= WRITE_QUORUM[n] else [old, new],
                  f"{have} of {n} drives committed")


@pytest.mark.parametrize("n,have", SPLITS)
def test_delete_version_killed_mid_commit(servers, n, have):
    """DELETE of the middle version by id cut short after `have` drives wrote the metadata
    without it (its data dirs go after that: they are still there). Where the commit keeps
    what it drops until the write quorum (16 drives), its first round rewrites every file as
    it was and the cut-short round is the second one, which runs before the answer: such a
    delete was never acknowledged."""
    srv = start(servers, n)
    v1, v2, v3 = (put(srv, payload(s)) for s in (MIB + 1, 200 * 1024, 10))
    saved = save(srv)
    srv.client.delete_object(Bucket=BUCKET, Key=KEY, VersionId=v2.vid)
    for i in range(have):
        odir = object_dir(srv.drives[i], BUCKET, KEY)
        with open(os.path.join(odir, META_FILE), "rb") as f:
            meta = f.read()
        shutil.rmtree(odir)
        shutil.copytree(os.path.join(saved, str(i)), odir)
        with open(os.path.join(odir, META_FILE), "wb") as f:
            f.write(meta)
        srv.own(odir)
    restore(srv, saved, range(have, n))
    old, new = [v3, v2, v1], [v3, v1]
    acked = have >= WRITE_QUORUM[n] and not keeps_fallback(n)
    check_settles(srv, [new] if acked else [old, new], f"{have} of {n} drives committed")


def cut_short_tag_update(srv, n, have, victim, tags):
    """PutObjectTagging of victim, then the drives from `have` on given their old metadata
    back (and the others the old record behind the updated one where the daemon keeps it)."""
    old_meta = [read_entries(d, BUCKET, KEY) for d in srv.drives]
    srv.client.put_object_tagging(Bucket=BUCKET, Key=KEY, VersionId=victim.vid, Tagging={
        "TagSet": [{"Key": k, "Value": v} for k, v in tags]})
    for i, d in enumerate(srv.drives):
        if i >= have:
            write_entries(d, BUCKET, KEY, old_meta[i])
        elif keeps_fallback(n):
            entries = read_entries(d, BUCKET, KEY)
            at = next(j for j, e in enumerate(entries) if e[2]["version_id"] == victim.vid)
            old = next(e for e in old_meta[i] if e[2]["version_id"] == victim.vid)
            write_entries(d, BUCKET, KEY, entries[:at + 1] + [old] + entries[at + 1:])


@pytest.mark.parametrize("n,have", [(4, 1), (6, 2), (16, 5), (16, 11)])
def test_tag_update_after_one_cut_short(servers, n, have):
    """A tag update cut short (never acknowledged, fewer than k drives), then an acknowledged
    one of the same version: the acknowledged tags are what every read serves, before and
    after heal (both updates must not share one identity)."""
    srv = start(servers, n)
    v1 = put(srv, payload(MIB + 3), Tagging="a=1")
    v2 = put(srv, payload(50 * 1024), Tagging="b=2")
    cut_short_tag_update(srv, n, have, v1, (("lost", "1"),))
    tags = (("acked", "2"),)
    srv.client.put_object_tagging(Bucket=BUCKET, Key=KEY, VersionId=v1.vid, Tagging={
        "TagSet": [{"Key": k, "Value": v} for k, v in tags]})
    v2.tags = (("b", "2"),)
    check_settles(srv, [[v2, v1.copy(tags=tags)]], f"first update on {have} of {n} drives")


@pytest.mark.parametrize("target", ["current", "noncurrent"])
@pytest.mark.parametrize("n,have", SPLITS)
def test_tag_update_killed_mid_commit(servers, n, have, target):
    """PutObjectTagging of one version (an in-place update: CommitPlan::in_place) cut short
    after `have` drives. Those drives hold the updated record in the version's place (and,
    where a cut-short update could leave the old record on fewer than k drives, the old one
    right behind it); the others the old record. Data is never touched."""
    srv = start(servers, n)
    v1 = put(srv, payload(MIB + 3), Tagging="a=1")
    v2 = put(srv, payload(50 * 1024), Tagging="b=2")
    victim = v2 if target == "current" else v1
    tags = (("t", "new"), ("u", "2"))
    cut_short_tag_update(srv, n, have, victim, tags)
    v1.tags, v2.tags = (("a", "1"),), (("b", "2"),)
    updated = victim.copy(tags=tags)
    old = [v2, v1]
    new = [updated, v1] if target == "current" else [v2, updated]
    check_settles(srv, [new] if have >= WRITE_QUORUM[n] else [old, new],
                  f"{have} of {n} drives committed")
