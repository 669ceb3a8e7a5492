"""Degraded operation of the erasure engine on 4, 6 and 16 drives: a drive vanishes (while
running and across a restart), shards rot or get truncated, a drive turns read-only or fills
up, all while clients PUT and GET. Every GET must return the exact bytes, heal must restore
every shard, and losses beyond parity must fail with an S3 error, never with wrong bytes."""
import os

import pytest

from harness import KIB, MIB, default_parity, error_code, get_bytes, get_stream, payload, sha
from ondisk import damage_object, describe, snapshot
from workload import STANDARD, put_standard, run_with_load, verify_all

DRIVE_COUNTS = [4, 6, 16]
BUCKET = "fault"


def start_with_objects(servers, n, seed, mounts=None, ext4=None):
    """A server on n drives (mounts: small tmpfs drives, ext4: drives on ext4 images) holding
    the standard set of objects, each on every drive."""
    srv = servers(drives=n, mounts=mounts)
    if ext4:
        srv.mount_ext4_or_skip(ext4, 256 * MIB)
    srv.start()
    srv.client.create_bucket(Bucket=BUCKET)
    objects = put_standard(srv.client, BUCKET, seed)
    snaps = {k: snapshot(srv.drives, BUCKET, k) for k in objects}
    for k, s in snaps.items():
        assert all(v is not None for v in s.values()), f"{k} not on every drive: {s}"
    return srv, objects, snaps


def check_load(loads):
    """Within parity every request of the background load succeeds with the right bytes.
    Returns the objects it wrote."""
    wrong = [k for ld in loads for k in ld.wrong]
    assert not wrong, f"GET returned wrong bytes for {wrong}"
    errors = [e for ld in loads for e in ld.errors]
    assert not errors, "requests failed within parity:\n" + "\n".join(errors[:5])
    assert sum(ld.ops for ld in loads) > 0
    acked = {}
    for ld in loads:
        acked.update(ld.acked)
    return acked


def assert_exact(srv, objects, what):
    failures = verify_all(srv.client, BUCKET, objects, what)
    assert not failures, "\n".join(failures[:8])


def heal_all(srv, keys):
    """Admin-heals every key; returns the failures."""
    bad = []
    for k in keys:
        status, body = srv.heal(BUCKET, k)
        if status != 200 or body.get("status") != "Ok":
            bad.append(f"{k}: {status} {body}\n{describe(srv.drives, BUCKET, k)}")
    return bad


def prove_healed(srv, objects, keep, rng):
    """Removes parity-many drives other than `keep` while running, so every GET needs the
    shards on `keep`; they must come back exact."""
    n = len(srv.drives)
    others = [i for i in range(n) if i not in keep]
    for i in rng.sample(others, default_parity(n)):
        srv.remove_drive(i)
    assert_exact(srv, objects, "after heal, drives removed: ")


@pytest.mark.parametrize("n", DRIVE_COUNTS)
def test_drive_vanishes(servers, rng, n):
    srv, objects, snaps = start_with_objects(servers, n, rng.randrange(1 << 20))
    victim = rng.randrange(n)
    loads = run_with_load(srv, BUCKET, lambda: srv.remove_drive(victim), rng.randrange(1 << 20))
    objects.update(check_load(loads))
    assert_exact(srv, objects, "drive gone: ")

    # Restart with the drive folder missing: the daemon serves from the others.
    srv.restart()
    assert_exact(srv, objects, "restarted without the drive: ")
    extra = put_standard(srv.client, BUCKET, rng.randrange(1 << 20), prefix="degraded/")
    assert_exact(srv, extra, "written without the drive: ")
    objects.update(extra)

    # Replace it with an empty folder (a new disk): heal must rebuild every shard on it.
    srv.stop()
    srv.own(srv.drives[victim])
    srv.start()
    healed = heal_all(srv, objects)
    assert not healed, "heal failed:\n" + "\n".join(healed[:4])
    for k, before in snaps.items():
        after = snapshot(srv.drives, BUCKET, k)
        assert after == before, f"{k}: shards differ after heal\nbefore {before}\nafter {after}"
    for k in objects:
        assert snapshot([srv.drives[victim]], BUCKET, k)[srv.drives[victim]] is not None, \
            f"{k} not rebuilt on the new drive"
    prove_healed(srv, objects, {victim}, rng)


@pytest.mark.parametrize("how", ["flip", "truncate"])
@pytest.mark.parametrize("n", DRIVE_COUNTS)
def test_shard_damage(servers, rng, n, how):
    srv, objects, snaps = start_with_objects(servers, n, rng.randrange(1 << 20))
    victim = rng.randrange(n)
    drive = srv.drives[victim]

    def damage():
        for k in objects:
            damage_object(drive, BUCKET, k, how, rng)

    loads = run_with_load(srv, BUCKET, damage, rng.randrange(1 << 20))
    objects.update(check_load(loads))
    assert_exact(srv, objects, f"{how} on one drive: ")
    healed = heal_all(srv, objects)
    assert not healed, "heal failed:\n" + "\n".join(healed[:4])
    for k, before in snaps.items():
        after = snapshot(srv.drives, BUCKET, k)
        assert after == before, f"{k}: shards differ after heal\nbefore {before}\nafter {after}"
    prove_healed(srv, objects, {victim}, rng)


@pytest.mark.parametrize("mode", ["remount-ro", "chmod"])
@pytest.mark.parametrize("n", DRIVE_COUNTS)
def test_drive_read_only(servers, rng, n, mode):
    victim = rng.randrange(n)
    ext4 = [victim] if mode == "remount-ro" else None
    srv, objects, snaps = start_with_objects(servers, n, rng.randrange(1 << 20), ext4=ext4)

    def make_ro():
        if mode == "remount-ro":
            srv.remount_ro(victim)
        else:
            srv.chmod_readonly(victim)

    def make_rw():
        if mode == "remount-ro":
            srv.remount_rw(victim)
        else:
            srv.chmod_readonly(victim, writable=True)

    loads = run_with_load(srv, BUCKET, make_ro, rng.randrange(1 << 20))
    objects.update(check_load(loads))
    extra = put_standard(srv.client, BUCKET, rng.randrange(1 << 20), prefix="ro/")
    objects.update(extra)
    assert_exact(srv, objects, f"{mode}: ")
    # Objects that existed before the drive turned read-only still have its shards.
    for k, before in snaps.items():
        assert snapshot([srv.drives[victim]], BUCKET, k) == {srv.drives[victim]: before[
            srv.drives[victim]]}

    srv.restart()  # start-up with a read-only drive (it cannot empty its tmp)
    assert_exact(srv, objects, f"restarted {mode}: ")
    make_rw()
    srv.restart()
    healed = heal_all(srv, objects)
    assert not healed, "heal failed:\n" + "\n".join(healed[:4])
    prove_healed(srv, objects, {victim}, rng)


@pytest.mark.parametrize("n", DRIVE_COUNTS)
def test_drive_full(servers, rng, n):
    victim = rng.randrange(n)
    # Big enough to take every shard back once the ballast is gone.
    srv = servers(drives=n, mounts={victim: 128 * MIB}).start()
    srv.client.create_bucket(Bucket=BUCKET)
    # Leave 1 MiB: the standard set and the load fill it while they run.
    ballast = srv.fill(victim, reserve=MIB)
    objects = {}

    def write_standard():
        objects.update(put_standard(srv.client, BUCKET, rng.randrange(1 << 20)))

    loads = run_with_load(srv, BUCKET, write_standard, rng.randrange(1 << 20), after=0.3)
    objects.update(check_load(loads))
    drive = srv.drives[victim]
    refused = [k for k in objects if snapshot([drive], BUCKET, k)[drive] is None]
    assert refused, "the full drive took every object: grow the workload or the ballast"
    assert_exact(srv, objects, "one drive full: ")

    os.remove(ballast)
    healed = heal_all(srv, objects)
    assert not healed, "heal failed:\n" + "\n".join(healed[:4])
    prove_healed(srv, objects, {victim}, rng)


def expect_s3_5xx(what, call, violations):
    """call() must raise an S3 error with a 5xx status (HEAD has no body, so no code)."""
    try:
        got = call()
    except Exception as e:  # noqa: BLE001
        code, status = error_code(e)
        if not (500 <= status < 600 and code):
            violations.append(f"{what}: not an S3 5xx error but {code} {status}: {e}")
        return
    violations.append(f"{what}: succeeded ({type(got).__name__})")


@pytest.mark.parametrize("n", DRIVE_COUNTS)
def test_beyond_parity(servers, rng, n):
    """parity + 1 damaged copies: GET fails with an S3 5xx error (never bytes) and heal says
    it failed; damage after the first block: the body breaks off after correct bytes only;
    parity + 1 vanished drives: GET, HEAD and PUT fail with an S3 5xx error."""
    m = default_parity(n)
    srv, objects, _ = start_with_objects(servers, n, rng.randrange(1 << 20))
    intact = put_standard(srv.client, BUCKET, rng.randrange(1 << 20), prefix="intact/")
    late = payload(3 * MIB + 5)
    srv.client.put_object(Bucket=BUCKET, Key="late-damage", Body=late)
    victims = rng.sample(range(n), m + 1)
    damaged = {}
    for k, data in objects.items():
        if all(damage_object(srv.drives[v], BUCKET, k, "flip-all", rng) for v in victims):
            damaged[k] = data
    assert len(damaged) == len(STANDARD) - 1  # all but the empty object
    for v in victims:
        assert damage_object(srv.drives[v], BUCKET, "late-damage", "flip-all", rng,
                             skip_first_block=True)
    violations = []
    for k, data in damaged.items():
        def get(key=k, want=data):
            got = get_bytes(srv.client, BUCKET, key)
            return "the right bytes" if sha(got) == sha(want) else "WRONG BYTES"
        expect_s3_5xx(f"GET {k} with {m + 1} damaged copies", get, violations)
    how, exc, got = get_stream(srv.client, BUCKET, "late-damage")
    if how == "ok" or got != late[: len(got)]:
        violations.append(f"GET late-damage: {how}, {len(got)} bytes, "
                          f"{'a correct prefix' if got == late[:len(got)] else 'WRONG BYTES'}")
    for k in damaged:
        status, body = srv.heal(BUCKET, k)
        if status == 200 and body.get("status") == "Ok":
            violations.append(f"heal {k} with {m + 1} damaged copies claims success: {body}")

    for i in rng.sample(range(n), m + 1):
        srv.remove_drive(i)
    for k in intact:
        expect_s3_5xx(f"GET {k} with {m + 1} drives gone",
                      lambda key=k: get_bytes(srv.client, BUCKET, key), violations)
        try:
            srv.client.head_object(Bucket=BUCKET, Key=k)
            violations.append(f"HEAD {k} with {m + 1} drives gone: succeeded")
        except Exception as e:  # noqa: BLE001
            if not 500 <= error_code(e)[1] < 600:
                violations.append(f"HEAD {k} with {m + 1} drives gone: {error_code(e)}")
    for size in (0, KIB, 2 * MIB):
        expect_s3_5xx(f"PUT {size} bytes with {m + 1} drives gone",
                      lambda n_=size: srv.client.put_object(Bucket=BUCKET, Key=f"lost-{n_}",
                                                            Body=b"x" * n_), violations)
    assert not violations, "\n".join(violations)
