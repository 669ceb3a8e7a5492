"""Replaced data goes to each drive's trash, not away: an overwrite no longer waits for a GET
in progress (the GET holds no lock while it streams), the GET still returns the whole old
version, and the trash is emptied once its grace (--trash-grace-seconds) has passed."""
import os
import time

from conftest import Server, make_client

MIB = 1024 * 1024
PART = 8 * MIB
PARTS = 5  # 40 MiB: far more than the socket buffers hold, so the GET is mid-object


def trash_entries(drive):
    try:
        return os.listdir(os.path.join(drive, ".flashstor.sys", "trash"))
    except FileNotFoundError:
        return []


def put_multipart(s3, bucket, key, fills):
    up = s3.create_multipart_upload(Bucket=bucket, Key=key)
    parts = []
    for number, fill in enumerate(fills, start=1):
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=up["UploadId"],
                              PartNumber=number, Body=fill * PART)["ETag"]
        parts.append({"ETag": etag, "PartNumber": number})
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": parts})


def test_overwrite_does_not_wait_for_a_slow_get(server, s3, bucket):
    fills = [bytes([0x41 + n]) for n in range(PARTS)]
    put_multipart(s3, bucket, "slow", fills)
    body = s3.get_object(Bucket=bucket, Key="slow")["Body"]
    first = body.read(64 * 1024)  # the client reads slowly: the rest waits in the server
    started = time.monotonic()
    s3.put_object(Bucket=bucket, Key="slow", Body=b"n" * MIB)  # 30 s lock wait, then 503, before
    took = time.monotonic() - started
    assert took < 10, f"the overwrite waited {took:.1f} s for the GET"
    # The later parts are opened now, from the trash: still the old version, whole.
    rest = body.read()
    assert first + rest == b"".join(f * PART for f in fills)
    assert s3.get_object(Bucket=bucket, Key="slow")["Body"].read() == b"n" * MIB
    assert all(trash_entries(d) for d in server.drives)  # default grace: an hour


def test_trash_is_collected_after_its_grace():
    srv = Server(drives=4, extra_args=["--trash-grace-seconds", "3"]).start()
    try:
        s3 = make_client(srv.endpoint)
        s3.create_bucket(Bucket="trash")
        s3.put_object(Bucket="trash", Key="k", Body=b"1" * MIB)  # not inline: has a data dir
        s3.put_object(Bucket="trash", Key="k", Body=b"2" * MIB)
        # Young: kept (the collector passes every second).
        time.sleep(1.5)
        assert all(len(trash_entries(d)) == 1 for d in srv.drives)
        s3.delete_object(Bucket="trash", Key="k")
        assert all(len(trash_entries(d)) == 2 for d in srv.drives)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(trash_entries(d) for d in srv.drives):
            time.sleep(0.5)
        assert not any(trash_entries(d) for d in srv.drives)
        assert "Contents" not in s3.list_objects_v2(Bucket="trash")
        s3.delete_bucket(Bucket="trash")
    finally:
        srv.cleanup()
