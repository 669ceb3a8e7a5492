"""Crash leftovers built by hand on the drives: the states test_crash.py reaches only by chance
(a SIGKILL between two drives' commits), made deterministic. Whatever a crash leaves, a key
must read as one of its versions or as absent, never as a lasting error; the listing must
agree with GET; and heal must settle the key without changing what it reads as and remove
leftover data dirs."""
import os
import shutil

import pytest
from botocore.exceptions import ClientError

from harness import MIB, payload, sha
from ondisk import META_FILE, keep_behind, kept_versions, object_dir, orphan_data_dirs

BUCKET = "states"
KEY = "dir/obj"


def read(srv):
    """sha of the key's bytes, "absent", or "error <code>"."""
    try:
        return sha(srv.client.get_object(Bucket=BUCKET, Key=KEY)["Body"].read())
    except ClientError as e:
        code = e.response["Error"]["Code"]
        return "absent" if code == "NoSuchKey" else f"error {code}"


def listed(srv):
    """sha-free view of the listing: the key's ETag, or "absent"."""
    objs = srv.client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return next((o["ETag"] for o in objs if o["Key"] == KEY), "absent")


def etag(srv):
    try:
        return srv.client.head_object(Bucket=BUCKET, Key=KEY)["ETag"]
    except ClientError:
        return "absent"


def start(servers, n):
    srv = servers(drives=n).start()
    srv.client.create_bucket(Bucket=BUCKET)
    return srv


def check_settles(srv, allowed, violations):
    """The key reads as one of `allowed` (shas or "absent"), the listing agrees, and heal
    keeps it so."""
    before = read(srv)
    if before not in allowed:
        violations.append(f"reads as {before}, allowed {sorted(a[:12] for a in allowed)}")
    if before in allowed and listed(srv) != etag(srv):
        violations.append(f"listing shows {listed(srv)}, HEAD {etag(srv)}")
    # The first heal may only repair shards; leftovers must be gone after the second.
    srv.heal(BUCKET, KEY)
    srv.heal(BUCKET, KEY)
    after = read(srv)
    if after not in allowed or (before in allowed and after != before):
        violations.append(f"after heal reads as {after} (before: {before})")
    if after in allowed and listed(srv) != etag(srv):
        violations.append(f"after heal the listing shows {listed(srv)}, HEAD {etag(srv)}")
    left = [p for d in srv.drives for p in orphan_data_dirs(d, BUCKET)]
    if left:
        violations.append(f"heal left {len(left)} orphaned data dirs, e.g. {left[0]}")
    kept = [p for d in srv.drives for p in kept_versions(d, BUCKET)]
    if kept:
        violations.append(f"heal left {len(kept)} metadata files with kept versions, e.g. {kept[0]}")


@pytest.mark.parametrize("n", [4, 16])
def test_delete_killed_before_data_dirs_went(servers, n):
    """DELETE killed after removing %m.bin everywhere, before removing the data dirs."""
    srv = start(servers, n)
    srv.client.put_object(Bucket=BUCKET, Key=KEY, Body=payload(MIB))
    for d in srv.drives:
        os.remove(os.path.join(object_dir(d, BUCKET, KEY), META_FILE))
    violations = []
    check_settles(srv, {"absent"}, violations)
    assert not violations, "\n".join(violations)


@pytest.mark.parametrize("n,have", [(4, 1), (16, 4), (16, 9), (16, 11)])
def test_first_put_killed_mid_commit(servers, n, have):
    """The first PUT of a key killed after `have` of n drives committed it (never
    acknowledged): the key reads as absent or as the object."""
    srv = start(servers, n)
    data = payload(300 * 1024)
    srv.client.put_object(Bucket=BUCKET, Key=KEY, Body=data)
    for d in srv.drives[have:]:
        shutil.rmtree(object_dir(d, BUCKET, KEY))
    violations = []
    check_settles(srv, {"absent", sha(data)}, violations)
    assert not violations, f"{have} of {n} drives committed: " + "; ".join(violations)


DATA_SHARDS = {4: 2, 6: 3, 16: 12}  # k at default parity
WRITE_QUORUM = {4: 3, 6: 4, 16: 12}  # k, or k + 1 when k == m


@pytest.mark.parametrize("v1_size", [MIB + 5, 40 * 1024], ids=["v1-parts", "v1-inline"])
@pytest.mark.parametrize("n,have", [(4, 1), (4, 2), (4, 3), (6, 3), (16, 8), (16, 11), (16, 12)])
def test_overwrite_killed_mid_commit(servers, n, have, v1_size):
    """An overwrite killed after `have` of n drives committed version 2. Those drives hold
    version 2 and still version 1's data dir (old data goes only once the commit reached its
    write quorum). Where a cut-short commit could leave version 1 on fewer than k drives
    (16 drives) they also keep version 1 behind version 2 in %m.bin. The other drives hold
    version 1 alone. Below the write quorum either version may win; at it, version 2 may
    have been acknowledged and must."""
    srv = start(servers, n)
    v1, v2 = payload(v1_size), payload(200 * 1024 + 3)
    srv.client.put_object(Bucket=BUCKET, Key=KEY, Body=v1)
    saved = os.path.join(srv.root, "saved")
    for i, d in enumerate(srv.drives):
        shutil.copytree(object_dir(d, BUCKET, KEY), os.path.join(saved, str(i)))
    srv.client.put_object(Bucket=BUCKET, Key=KEY, Body=v2)
    keeps = n - WRITE_QUORUM[n] + 1 < DATA_SHARDS[n]  # as ErasureSet::commit decides
    for i, d in enumerate(srv.drives):
        odir, old = object_dir(d, BUCKET, KEY), os.path.join(saved, str(i))
        if i >= have:
            shutil.rmtree(odir)
            shutil.copytree(old, odir)
        else:
            for name in os.listdir(old):
                if name.startswith("%d."):
                    shutil.copytree(os.path.join(old, name), os.path.join(odir, name))
            if keeps:
                with open(os.path.join(old, META_FILE), "rb") as f:
                    old_meta = f.read()
                with open(os.path.join(odir, META_FILE), "rb") as f:
                    new_meta = f.read()
                with open(os.path.join(odir, META_FILE), "wb") as f:
                    f.write(keep_behind(new_meta, old_meta))
        srv.own(odir)
    allowed = {sha(v2)} if have >= WRITE_QUORUM[n] else {sha(v1), sha(v2)}
    violations = []
    check_settles(srv, allowed, violations)
    assert not violations, f"{have} of {n} drives committed: " + "; ".join(violations)
