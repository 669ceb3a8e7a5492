"""Races through the real binary with boto3 threads: DeleteBucket against PUTs (no
acknowledged PUT is lost), and GETs of a multipart object against overwrites of the same key
(every GET that started returns one whole version)."""
import os
import threading
import time
import uuid

from botocore.exceptions import ClientError

from conftest import make_client


def test_delete_bucket_racing_puts(server):
    s3 = make_client(server.endpoint, max_pool_connections=16)
    body = b"x" * 2000
    deleted_rounds = 0
    for rnd in range(12):
        name = "race-" + uuid.uuid4().hex[:10]
        s3.create_bucket(Bucket=name)
        acked, lock, go = [], threading.Lock(), threading.Event()

        def writer(t):
            go.wait()
            for j in range(4):
                key = f"t{t}/{j}"
                try:
                    s3.put_object(Bucket=name, Key=key, Body=body)
                except ClientError:
                    continue
                with lock:
                    acked.append(key)

        threads = [threading.Thread(target=writer, args=(t,)) for t in range(3)]
        for t in threads:
            t.start()
        go.set()
        time.sleep(0.001 * (rnd % 6))
        try:
            s3.delete_bucket(Bucket=name)
            deleted = True
        except ClientError as e:
            assert e.response["Error"]["Code"] == "BucketNotEmpty"
            deleted = False
        for t in threads:
            t.join()
        if deleted:
            deleted_rounds += 1
            assert acked == [], f"bucket deleted after acknowledged PUTs {acked}"
        else:
            for key in acked:
                assert s3.get_object(Bucket=name, Key=key)["Body"].read() == body


def test_multipart_get_racing_overwrites(server, bucket):
    s3 = make_client(server.endpoint, max_pool_connections=8)
    p1, p2 = os.urandom(5 << 20), os.urandom(1 << 20)
    single = os.urandom((2 << 20) + 3)

    def put_multipart():
        up = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
        e1 = s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=1, Body=p1)["ETag"]
        e2 = s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=2, Body=p2)["ETag"]
        s3.complete_multipart_upload(
            Bucket=bucket, Key="k", UploadId=up,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1},
                                       {"PartNumber": 2, "ETag": e2}]})

    put_multipart()
    stop, writes, errors = threading.Event(), [0], []

    def writer():
        i = 0
        while not stop.is_set():
            try:
                if i % 2 == 0:
                    s3.put_object(Bucket=bucket, Key="k", Body=single)
                else:
                    put_multipart()
                writes[0] += 1
            except Exception as e:  # noqa: BLE001 - reported by the main thread
                errors.append(e)
                return
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    gets, deadline = 0, time.time() + 4
    try:
        while time.time() < deadline:
            stream = s3.get_object(Bucket=bucket, Key="k")["Body"]
            chunks = []
            while True:
                c = stream.read(256 << 10)
                if not c:
                    break
                chunks.append(c)
                time.sleep(0.002)  # a slow client: the overwrite lands mid-body
            got = b"".join(chunks)
            assert got in (p1 + p2, single), f"GET {gets}: {len(got)} bytes of neither version"
            gets += 1
    finally:
        stop.set()
        t.join()
    assert not errors, errors
    assert writes[0] >= 1 and gets >= 2
