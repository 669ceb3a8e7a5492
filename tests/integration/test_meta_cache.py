"""The drives' metadata cache seen from outside (docs/concurrency.md, "The metadata cache"):
repeated GETs are answered from it (/metrics counts the hits), and every change a client makes
(overwrite, delete, delete marker, metadata copy, tags, a bucket deleted and made again) is
seen by the next GET and HEAD, including while GETs race overwrites; an idle server empties it."""
import os
import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from conftest import make_client, public_metrics_server, scrape_gauges


@pytest.fixture(scope="module")
def srv():
    yield from public_metrics_server("flashstor-metacache-")


@pytest.fixture(scope="module")
def s3(srv):
    return make_client(srv.endpoint)


@pytest.fixture
def bucket(s3):
    name = "mc-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    return name


def cache_metrics(srv):
    return scrape_gauges(srv, "flashstor_meta_cache", ("hits", "misses", "bytes", "entries"))


def status(e):
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_repeated_gets_hit_the_cache(srv, s3, bucket):
    bodies = {f"k{i}": os.urandom(4096) for i in range(20)}
    for key, body in bodies.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    for key, body in bodies.items():  # the first read of each may miss
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    before = cache_metrics(srv)
    for _ in range(3):
        for key, body in bodies.items():
            assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    after = cache_metrics(srv)
    # Each GET reads its metadata on the four drives: at least one hit a GET.
    assert after["hits"] - before["hits"] >= 60, (before, after)
    assert after["entries"] >= 20
    assert 0 < after["bytes"] <= 4 * (1 << 20)  # 1 MiB a drive


def test_emptied_when_the_server_goes_idle(srv, s3, bucket):
    """After 2 s without a request the idle trim empties the caches (RSS back near idle)."""
    s3.put_object(Bucket=bucket, Key="idle", Body=b"x" * 4096)
    for _ in range(3):
        s3.get_object(Bucket=bucket, Key="idle")["Body"].read()
    assert cache_metrics(srv)["entries"] >= 1
    time.sleep(4)  # quiet for 2 s, then a loop's 1 s tick
    after = cache_metrics(srv)
    assert after["entries"] == 0 and after["bytes"] == 0, after
    # and it fills again with the next GETs
    s3.get_object(Bucket=bucket, Key="idle")["Body"].read()
    s3.get_object(Bucket=bucket, Key="idle")["Body"].read()
    assert cache_metrics(srv)["entries"] >= 1


def test_changes_are_seen_at_once(s3, bucket):
    for i in range(10):
        body = f"version {i}".encode() * 100
        s3.put_object(Bucket=bucket, Key="k", Body=body, Metadata={"n": str(i)})
        assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == body
        assert s3.head_object(Bucket=bucket, Key="k")["Metadata"] == {"n": str(i)}
    s3.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k"},
                   Metadata={"n": "copied"}, MetadataDirective="REPLACE")
    assert s3.head_object(Bucket=bucket, Key="k")["Metadata"] == {"n": "copied"}
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    assert s3.get_object(Bucket=bucket, Key="k")["TagCount"] == 1
    s3.delete_object(Bucket=bucket, Key="k")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k")
    assert status(e) == 404
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="k")
    assert status(e) == 404


def test_versions_and_delete_markers(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="v", Body=b"one")["VersionId"]
    assert s3.get_object(Bucket=bucket, Key="v")["Body"].read() == b"one"
    s3.put_object(Bucket=bucket, Key="v", Body=b"two")
    assert s3.get_object(Bucket=bucket, Key="v")["Body"].read() == b"two"
    s3.delete_object(Bucket=bucket, Key="v")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="v")
    assert status(e) == 404
    assert s3.get_object(Bucket=bucket, Key="v", VersionId=v1)["Body"].read() == b"one"


def test_bucket_deleted_and_made_again(s3):
    name = "mc-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"before")
    assert s3.get_object(Bucket=name, Key="k")["Body"].read() == b"before"
    s3.delete_object(Bucket=name, Key="k")
    s3.delete_bucket(Bucket=name)
    s3.create_bucket(Bucket=name)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=name, Key="k")
    assert status(e) == 404


def test_gets_racing_overwrites_never_go_back(srv, bucket):
    """An overwriter publishes n once PUT n is acknowledged; readers that start after must
    read n or later."""
    writer = make_client(srv.endpoint)
    writer.put_object(Bucket=bucket, Key="race", Body=b"0")
    published = [0]
    stop = threading.Event()
    errors = []

    def read():
        client = make_client(srv.endpoint)
        while not stop.is_set():
            floor = published[0]
            got = int(client.get_object(Bucket=bucket, Key="race")["Body"].read())
            if got < floor:
                errors.append((floor, got))

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        for n in range(1, 80):
            writer.put_object(Bucket=bucket, Key="race", Body=str(n).encode())
            published[0] = n
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert errors == []
    assert writer.get_object(Bucket=bucket, Key="race")["Body"].read() == b"79"
