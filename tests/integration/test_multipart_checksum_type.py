"""Multipart x-amz-checksum-type (AWS's full-object checksums): FULL_OBJECT uploads with
CRC32 / CRC32C / CRC64NVME get the CRC of the whole object, combined from the parts' CRCs
and checked against the value a Complete sends; COMPOSITE stays "<b64>-N"."""
import base64
import os
import zlib

import crcmod
import crcmod.predefined
import pytest
from botocore.exceptions import ClientError

MIB = 1024 * 1024
CRC32C = crcmod.predefined.mkCrcFun("crc-32c")
# CRC-64/NVME: reflected 0xAD93D23594C93659, init and xorout all ones (crcmod's initCrc is
# the register start XOR the final XOR: 0).
CRC64NVME = crcmod.mkCrcFun(0x1AD93D23594C93659, initCrc=0, rev=True, xorOut=0xFFFFFFFFFFFFFFFF)
assert CRC64NVME(b"123456789") == 0xAE8B14860A799888

CRCS = {"CRC32": (lambda d: zlib.crc32(d), 4), "CRC32C": (CRC32C, 4), "CRC64NVME": (CRC64NVME, 8)}


def b64crc(algo, data):
    fn, size = CRCS[algo]
    return base64.b64encode(fn(data).to_bytes(size, "big")).decode()


def with_headers(s3, event, headers):
    """Adds headers the system boto3 (older than full-object checksums) cannot send."""
    def add(request, **_):
        for k, v in headers.items():
            request.headers[k] = v
    s3.meta.events.register(event, add)
    return lambda: s3.meta.events.unregister(event, add)


def create(s3, bucket, key, algo, ctype):
    undo = with_headers(s3, "before-sign.s3.CreateMultipartUpload",
                        {"x-amz-checksum-type": ctype} if ctype else {})
    try:
        return s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm=algo)
    finally:
        undo()


def upload_parts(s3, bucket, key, upload_id, algo, datas):
    parts = []
    for i, data in enumerate(datas, start=1):
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=i, Body=data,
                           ChecksumAlgorithm=algo)
        parts.append({"PartNumber": i, "ETag": r["ETag"], "Checksum" + algo: r["Checksum" + algo]})
    return parts


@pytest.mark.parametrize("algo", ["CRC32", "CRC32C"])
def test_full_object_crc(s3, bucket, algo):
    datas = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"tail bytes"]
    whole = b"".join(datas)
    up = create(s3, bucket, "full", algo, "FULL_OBJECT")
    assert up["ResponseMetadata"]["HTTPHeaders"]["x-amz-checksum-type"] == "FULL_OBJECT"
    parts = upload_parts(s3, bucket, "full", up["UploadId"], algo, datas)
    done = s3.complete_multipart_upload(Bucket=bucket, Key="full", UploadId=up["UploadId"],
                                        MultipartUpload={"Parts": parts},
                                        **{"Checksum" + algo: b64crc(algo, whole)})
    assert done["Checksum" + algo] == b64crc(algo, whole)
    head = s3.head_object(Bucket=bucket, Key="full", ChecksumMode="ENABLED")
    assert head["Checksum" + algo] == b64crc(algo, whole)
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-checksum-type"] == "FULL_OBJECT"
    assert s3.get_object(Bucket=bucket, Key="full")["Body"].read() == whole


def test_full_object_mismatch_refused(s3, bucket):
    datas = [os.urandom(5 * MIB), b"end"]
    up = create(s3, bucket, "bad", "CRC32", "FULL_OBJECT")
    parts = upload_parts(s3, bucket, "bad", up["UploadId"], "CRC32", datas)
    wrong = b64crc("CRC32", b"something else")
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="bad", UploadId=up["UploadId"],
                                     MultipartUpload={"Parts": parts}, ChecksumCRC32=wrong)
    assert e.value.response["Error"]["Code"] == "BadDigest"
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="bad")
    # The upload is still there: the right value completes it.
    done = s3.complete_multipart_upload(Bucket=bucket, Key="bad", UploadId=up["UploadId"],
                                        MultipartUpload={"Parts": parts},
                                        ChecksumCRC32=b64crc("CRC32", b"".join(datas)))
    assert done["ChecksumCRC32"] == b64crc("CRC32", b"".join(datas))


def test_composite_unchanged(s3, bucket):
    datas = [os.urandom(5 * MIB), b"end"]
    up = create(s3, bucket, "comp", "CRC32", "COMPOSITE")
    assert up["ResponseMetadata"]["HTTPHeaders"]["x-amz-checksum-type"] == "COMPOSITE"
    parts = upload_parts(s3, bucket, "comp", up["UploadId"], "CRC32", datas)
    done = s3.complete_multipart_upload(Bucket=bucket, Key="comp", UploadId=up["UploadId"],
                                        MultipartUpload={"Parts": parts})
    assert done["ChecksumCRC32"].endswith("-2")


@pytest.mark.parametrize("algo,ctype", [("SHA256", "FULL_OBJECT"), ("CRC32", "WHOLE"),
                                        (None, "FULL_OBJECT")])
def test_bad_combinations(s3, bucket, algo, ctype):
    undo = with_headers(s3, "before-sign.s3.CreateMultipartUpload", {"x-amz-checksum-type": ctype})
    try:
        with pytest.raises(ClientError) as e:
            s3.create_multipart_upload(Bucket=bucket, Key="k",
                                       **({"ChecksumAlgorithm": algo} if algo else {}))
    finally:
        undo()
    assert e.value.response["Error"]["Code"] == "InvalidRequest"


def test_crc64nvme_defaults_to_full_object(s3, bucket):
    """CRC64NVME is FULL_OBJECT by default, as at AWS (headers added by hand: the system
    boto3 and the aws cli here cannot compute CRC64NVME themselves)."""
    datas = [os.urandom(5 * MIB), b"last"]
    whole = b"".join(datas)
    undo = with_headers(s3, "before-sign.s3.CreateMultipartUpload",
                        {"x-amz-checksum-algorithm": "CRC64NVME"})
    try:
        up = s3.create_multipart_upload(Bucket=bucket, Key="nv")
    finally:
        undo()
    assert up["ResponseMetadata"]["HTTPHeaders"]["x-amz-checksum-type"] == "FULL_OBJECT"
    parts = []
    for i, data in enumerate(datas, start=1):
        undo = with_headers(s3, "before-sign.s3.UploadPart",
                            {"x-amz-checksum-crc64nvme": b64crc("CRC64NVME", data)})
        try:
            r = s3.upload_part(Bucket=bucket, Key="nv", UploadId=up["UploadId"], PartNumber=i,
                               Body=data)
        finally:
            undo()
        parts.append({"PartNumber": i, "ETag": r["ETag"]})
    undo = with_headers(s3, "before-sign.s3.CompleteMultipartUpload",
                        {"x-amz-checksum-crc64nvme": b64crc("CRC64NVME", whole)})
    try:
        s3.complete_multipart_upload(Bucket=bucket, Key="nv", UploadId=up["UploadId"],
                                     MultipartUpload={"Parts": parts})
    finally:
        undo()
    head = s3.head_object(Bucket=bucket, Key="nv", ChecksumMode="ENABLED")
    headers = head["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-checksum-crc64nvme"] == b64crc("CRC64NVME", whole)
    assert headers["x-amz-checksum-type"] == "FULL_OBJECT"
