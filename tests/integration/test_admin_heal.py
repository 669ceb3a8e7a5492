"""`flashstor admin heal` against a running server: a wiped drive's shards come back on disk
for one object, for a bucket and for everything; leftovers of a cut-short write are purged
(data dirs of a first PUT killed before its metadata, once past the grace period); system,
reserved and missing buckets, bad credentials and usage are refused."""
import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import ACCESS_KEY, BIN, SECRET_KEY, Server, make_client


def heal(endpoint, *targets, secret=SECRET_KEY):
    env = dict(os.environ, FLASHSTOR_ROOT_USER=ACCESS_KEY, FLASHSTOR_ROOT_PASSWORD=secret)
    return subprocess.run([BIN, "admin", "heal", "--endpoint", endpoint, *targets], env=env,
                          capture_output=True, timeout=120)


def files_under(path):
    return sorted(os.path.relpath(os.path.join(d, f), path)
                  for d, _, fs in os.walk(path) for f in fs)


@pytest.fixture
def healing_server():
    # Background healing off would need a flag; the scanner's rate is low enough that the
    # explicit heal below is what restores the shards within the test's time.
    srv = Server(drives=4).start()
    yield srv
    srv.cleanup()


def test_heal_bucket_restores_wiped_drive(healing_server):
    srv = healing_server
    s3 = make_client(srv.endpoint)
    s3.create_bucket(Bucket="healme")
    blobs = {f"k{i}": os.urandom(size) for i, size in enumerate([10, 200_000, 3_000_000])}
    for k, v in blobs.items():
        s3.put_object(Bucket="healme", Key=k, Body=v)
    victim = os.path.join(srv.drives[1], "healme")
    before = files_under(victim)
    assert before
    for entry in os.listdir(victim):
        shutil.rmtree(os.path.join(victim, entry))
    r = heal(srv.endpoint, "healme")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["objects"] == 3 and report["failed"] == 0
    after = files_under(victim)
    # Same files back (data dirs keep their ids).
    assert after == before
    # With another drive gone the healed one must serve its shards: k=2 of 4.
    shutil.rmtree(os.path.join(srv.drives[2], "healme"))
    shutil.rmtree(os.path.join(srv.drives[3], "healme"))
    for k, v in blobs.items():
        assert s3.get_object(Bucket="healme", Key=k)["Body"].read() == v


def test_heal_single_object_and_all(healing_server):
    srv = healing_server
    s3 = make_client(srv.endpoint)
    s3.create_bucket(Bucket="one")
    s3.put_object(Bucket="one", Key="dir/obj", Body=os.urandom(500_000))
    shutil.rmtree(os.path.join(srv.drives[0], "one", "dir"))
    r = heal(srv.endpoint, "one/dir/obj")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["key"] == "dir/obj" and out["shards_healed"] >= 1
    assert os.path.isdir(os.path.join(srv.drives[0], "one", "dir", "obj"))
    r = heal(srv.endpoint, "--all")
    assert r.returncode == 0 and json.loads(r.stdout)["buckets"] >= 1


def test_heal_bucket_purges_cut_short_write(healing_server):
    # A first PUT that reached one drive of four before a kill was never acknowledged: no
    # listing shows it, and the bucket heal removes it from that drive and says so.
    srv = healing_server
    s3 = make_client(srv.endpoint)
    s3.create_bucket(Bucket="cut")
    s3.put_object(Bucket="cut", Key="whole", Body=b"w" * 1000)
    s3.put_object(Bucket="cut", Key="partial", Body=os.urandom(300_000))
    for d in srv.drives[1:]:
        shutil.rmtree(os.path.join(d, "cut", "partial"))
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="cut").get("Contents", [])]
    assert keys == ["whole"]
    r = heal(srv.endpoint, "cut")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["objects"] == 2 and report["leftovers_removed"] == 1 and report["failed"] == 0
    assert not os.path.exists(os.path.join(srv.drives[0], "cut", "partial"))
    # Nothing left to heal on that key: one object's heal answers 404 (exit 1).
    r = heal(srv.endpoint, "cut/partial")
    assert r.returncode == 1 and b"HTTP 404" in r.stderr
    assert json.loads(r.stdout)["status"] == "NoSuchKey"


def test_heal_refused_without_root_credentials(healing_server):
    r = heal(healing_server.endpoint, "--all", secret="not-the-secret")
    assert r.returncode == 1 and b"HTTP 403" in r.stderr
    r = subprocess.run([BIN, "admin", "heal", "--bogus"], capture_output=True, timeout=30)
    assert r.returncode == 2


def test_heal_reclaims_data_of_puts_killed_before_metadata(healing_server):
    # A first PUT killed after moving its data dirs in but before writing %m.bin leaves
    # data no listing shows. Past the grace period (1 hour by mtime) the bucket heal and
    # --all reclaim it; a younger one (it could be a commit in flight) is kept.
    srv = healing_server
    s3 = make_client(srv.endpoint)
    s3.create_bucket(Bucket="killed")
    s3.put_object(Bucket="killed", Key="whole", Body=b"w" * 1000)
    for key in ("old/cut", "young"):
        s3.put_object(Bucket="killed", Key=key, Body=os.urandom(300_000))
    two_hours_ago = time.time() - 7200
    for d in srv.drives:
        for key in ("old/cut", "young"):
            obj = os.path.join(d, "killed", key)
            os.remove(os.path.join(obj, "%m.bin"))
            if key == "old/cut":
                for name in os.listdir(obj):
                    os.utime(os.path.join(obj, name), (two_hours_ago, two_hours_ago))
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="killed").get("Contents", [])]
    assert keys == ["whole"]
    r = heal(srv.endpoint, "killed")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["leftovers_removed"] == 1 and report["failed"] == 0, report
    for d in srv.drives:
        assert not os.path.exists(os.path.join(d, "killed", "old"))
        assert os.listdir(os.path.join(d, "killed", "young"))
    r = heal(srv.endpoint, "--all")
    assert r.returncode == 0 and json.loads(r.stdout)["leftovers_removed"] == 0
    assert s3.get_object(Bucket="killed", Key="whole")["Body"].read() == b"w" * 1000


def test_heal_refuses_system_reserved_and_missing_buckets(healing_server):
    srv = healing_server
    sys_volume = os.path.join(srv.drives[0], ".flashstor.sys")
    before = files_under(sys_volume)
    for target in (".flashstor.sys", ".flashstor.sys/format.json", "metrics", "Bad_Name"):
        r = heal(srv.endpoint, target)
        assert r.returncode == 1 and b"HTTP 400" in r.stderr, (target, r.stderr)
        assert json.loads(r.stdout) == {"error": "InvalidBucketName"}
    assert files_under(sys_volume) == before
    for target in ("nosuchbucket", "nosuchbucket/key"):
        r = heal(srv.endpoint, target)
        assert r.returncode == 1 and b"HTTP 404" in r.stderr, (target, r.stderr)
        assert json.loads(r.stdout) == {"error": "NoSuchBucket"}
    make_client(srv.endpoint).create_bucket(Bucket="there")
    r = heal(srv.endpoint, "there/nosuchkey")
    assert r.returncode == 1 and b"HTTP 404" in r.stderr
    assert json.loads(r.stdout)["status"] == "NoSuchKey"
    r = heal(srv.endpoint, "there")
    assert r.returncode == 0 and json.loads(r.stdout)["failed"] == 0
