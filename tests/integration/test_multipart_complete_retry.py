"""A CompleteMultipartUpload repeated after it succeeded answers 200 with the same result
(AWS keeps it for a while, so an SDK retry of a lost answer succeeds)."""
import pytest
from botocore.exceptions import ClientError

MIB = 1024 * 1024


def upload(s3, bucket, key, datas, **create):
    up = s3.create_multipart_upload(Bucket=bucket, Key=key, **create)
    parts = []
    for i, data in enumerate(datas, start=1):
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=up["UploadId"], PartNumber=i,
                           Body=data, **({"ChecksumAlgorithm": create["ChecksumAlgorithm"]}
                                         if "ChecksumAlgorithm" in create else {}))
        part = {"PartNumber": i, "ETag": r["ETag"]}
        if "ChecksumCRC32C" in r:
            part["ChecksumCRC32C"] = r["ChecksumCRC32C"]
        parts.append(part)
    return up["UploadId"], parts


def test_complete_twice_same_answer(s3, bucket):
    upload_id, parts = upload(s3, bucket, "retry/key", [b"x" * (5 * MIB), b"end"],
                              ChecksumAlgorithm="CRC32C")
    first = s3.complete_multipart_upload(Bucket=bucket, Key="retry/key", UploadId=upload_id,
                                         MultipartUpload={"Parts": parts})
    again = s3.complete_multipart_upload(Bucket=bucket, Key="retry/key", UploadId=upload_id,
                                         MultipartUpload={"Parts": parts})
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    for field in ("ETag", "Bucket", "Key", "Location", "ChecksumCRC32C"):
        assert again[field] == first[field], field
    assert s3.get_object(Bucket=bucket, Key="retry/key")["Body"].read() == b"x" * (5 * MIB) + b"end"


def test_complete_after_overwrite_is_unknown(s3, bucket):
    upload_id, parts = upload(s3, bucket, "k", [b"only"])
    s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id,
                                 MultipartUpload={"Parts": parts})
    s3.put_object(Bucket=bucket, Key="k", Body=b"new")
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id,
                                     MultipartUpload={"Parts": parts})
    assert e.value.response["Error"]["Code"] == "NoSuchUpload"


def test_aborted_upload_stays_unknown(s3, bucket):
    upload_id, parts = upload(s3, bucket, "gone", [b"data"])
    s3.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=upload_id)
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="gone", UploadId=upload_id,
                                     MultipartUpload={"Parts": parts})
    assert e.value.response["Error"]["Code"] == "NoSuchUpload"
