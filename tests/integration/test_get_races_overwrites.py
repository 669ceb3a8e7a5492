"""A GET of a multipart object racing 50 overwrites (each one a multipart upload) always
returns one whole version: every byte of a body belongs to the same version, and its length
is that version's. Run in a bucket without versioning (the overwrite replaces the data the
GET may be reading) and in a versioned one."""
import threading

import pytest

MIB = 1024 * 1024
PART1 = 5 * MIB
PART2 = 100 * 1024
OVERWRITES = 50


def upload_version(s3, bucket, key, n):
    fill = bytes([n % 251 + 1])
    up = s3.create_multipart_upload(Bucket=bucket, Key=key)
    parts = []
    for number, size in ((1, PART1), (2, PART2)):
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=up["UploadId"],
                              PartNumber=number, Body=fill * size)["ETag"]
        parts.append({"ETag": etag, "PartNumber": number})
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": parts})


@pytest.mark.parametrize("versioned", [False, True])
def test_get_returns_one_whole_version(s3, bucket, versioned):
    if versioned:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    key = "raced"
    upload_version(s3, bucket, key, 0)
    done = threading.Event()
    bad = []
    reads = [0]

    def reader():
        while not done.is_set():
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            reads[0] += 1
            if len(body) != PART1 + PART2 or body.count(body[:1]) != len(body):
                bad.append((len(body), body[:1], body[-1:]))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for n in range(1, OVERWRITES + 1):
            upload_version(s3, bucket, key, n)
    finally:
        done.set()
        for t in threads:
            t.join()
    assert not bad, bad[:5]
    assert reads[0] >= 3  # the readers really raced the writer
    final = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert final == bytes([OVERWRITES % 251 + 1]) * (PART1 + PART2)
    if versioned:
        versions = s3.list_object_versions(Bucket=bucket)["Versions"]
        assert len(versions) == OVERWRITES + 1
        for v in versions:
            s3.delete_object(Bucket=bucket, Key=key, VersionId=v["VersionId"])
