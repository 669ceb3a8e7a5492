"""The drives' metadata journals seen from outside (docs/design.md, "The metadata journal"):
concurrent small PUTs are logged and share fdatasyncs (/metrics counts both), overwrites,
deletes and versions acknowledged before a SIGKILL are all there after the restart's replay
(the journal says so in the log), and a clean stop leaves nothing to replay."""
import concurrent.futures
import os
import struct
import uuid

import pytest

from conftest import make_client, public_metrics_server, scrape_gauges


@pytest.fixture
def srv():
    yield from public_metrics_server("flashstor-journal-")


def journal_metrics(srv):
    return scrape_gauges(srv, "flashstor_meta_journal", ("records", "syncs", "checkpoints"))


def put_many(s3, bucket, bodies, workers=16):
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda kv: s3.put_object(Bucket=bucket, Key=kv[0], Body=kv[1]),
                      bodies.items()))


def test_small_puts_are_logged_and_share_syncs(srv):
    s3 = make_client(srv.endpoint)
    bucket = "mj-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=bucket)
    before = journal_metrics(srv)
    bodies = {f"k{i}": os.urandom(4096) for i in range(200)}
    put_many(s3, bucket, bodies)
    after = journal_metrics(srv)
    records = after["records"] - before["records"]
    syncs = after["syncs"] - before["syncs"]
    # One record per PUT and drive (a commit can take a second one when it finishes).
    assert records >= 4 * len(bodies), (before, after)
    assert 1 <= syncs <= records, (before, after)
    for key, body in bodies.items():
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body


def test_acknowledged_changes_survive_sigkill(srv):
    s3 = make_client(srv.endpoint)
    bucket = "mj-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=bucket)
    first = {f"k{i}": os.urandom(3000) for i in range(60)}
    put_many(s3, bucket, first)
    second = {k: os.urandom(1000) for k in list(first)[:30]}  # overwrites, shorter: in place
    put_many(s3, bucket, second)
    for k in list(first)[30:45]:
        s3.delete_object(Bucket=bucket, Key=k)
    expect = {**first, **second}
    for k in list(first)[30:45]:
        del expect[k]
    versioned = "mjv-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=versioned)
    s3.put_bucket_versioning(Bucket=versioned, VersioningConfiguration={"Status": "Enabled"})
    ids = [s3.put_object(Bucket=versioned, Key="v", Body=f"v{i}".encode())["VersionId"]
           for i in range(5)]
    assert journal_metrics(srv)["records"] > 0
    srv.kill()  # SIGKILL: no shutdown checkpoint, the journals keep their records
    srv.start()
    assert "metadata journal replayed" in srv.read_log()
    s3 = make_client(srv.endpoint)
    for key, body in expect.items():
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body, key
    listed = s3.list_objects_v2(Bucket=bucket)
    assert sorted(o["Key"] for o in listed.get("Contents", [])) == sorted(expect)
    versions = s3.list_object_versions(Bucket=versioned, Prefix="v")["Versions"]
    assert [v["VersionId"] for v in versions] == list(reversed(ids))
    for i, vid in enumerate(ids):
        assert s3.get_object(Bucket=versioned, Key="v", VersionId=vid)["Body"].read() == \
            f"v{i}".encode()


def records_in_epoch(log):
    """Whether the log's first record slot holds a record of the header's epoch (1) or not (0):
    a checkpoint starts a new epoch over the old blocks instead of emptying the file."""
    with open(log, "rb") as f:
        head = f.read(4096 + 20)
    assert head[:4] == b"FSML", head[:4]
    epoch = struct.unpack_from("<Q", head, 8)[0]
    record = head[4096:]
    return int(record[:4] == b"FSMJ" and struct.unpack_from("<Q", record, 8)[0] == epoch)


def test_clean_stop_leaves_nothing_to_replay(srv):
    s3 = make_client(srv.endpoint)
    bucket = "mj-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=bucket)
    put_many(s3, bucket, {f"k{i}": b"x" * 2048 for i in range(20)})
    srv.stop()
    for d in srv.drives:
        for name in ("%meta-journal", "%meta-journal.1"):  # the log's two files
            log = os.path.join(d, ".flashstor.sys", name)
            assert records_in_epoch(log) == 0, log
    srv.start()
    assert "metadata journal replayed" not in srv.read_log()
