"""Server-side encryption of multipart uploads with the real daemon and real clients
(boto3, aws cli): SSE-S3, SSE-C and bucket default; parts of unequal sizes (not multiples of
64 KiB); full and ranged GETs at package and part boundaries; partNumber GET/HEAD; the SSE-C
key of every UploadPart checked; UploadPartCopy from plain, SSE-S3 and SSE-C sources into an
encrypted upload; no plaintext on any drive; a flipped ciphertext byte never yields wrong
bytes."""
import base64
import hashlib
import os
import subprocess
import uuid
import zlib

import pytest
from botocore.exceptions import ClientError

from conftest import (Server, assert_no_plaintext, drive_files, make_client,
                      sse_master_key_file)
from s3headers import extra_headers

PACKAGE = 64 * 1024
MIB = 1024 * 1024


def code(e):
    return e.value.response["Error"]["Code"]


def status(e):
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture(scope="module")
def sse_server(tmp_path_factory):
    keyfile = sse_master_key_file(tmp_path_factory)
    # A replaced or deleted version's data waits in the trash for its grace: 1 s here, so the
    # checks that no plaintext is left see the trash collected.
    s = Server(drives=4, extra_args=["--sse-master-key-file", str(keyfile),
                                     "--sse-c-allow-http", "--trash-grace-seconds", "1"]).start()
    yield s
    s.cleanup()


@pytest.fixture(scope="module")
def s3(sse_server):
    return make_client(sse_server.endpoint)


@pytest.fixture
def bucket(s3):
    name = "ssemp-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    return name


def ssec(key):
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}


def ssec_headers(key):
    """The SSE-C headers themselves (the installed botocore does not encode them for
    CompleteMultipartUpload)."""
    return {
        "x-amz-server-side-encryption-customer-algorithm": "AES256",
        "x-amz-server-side-encryption-customer-key": base64.b64encode(key).decode(),
        "x-amz-server-side-encryption-customer-key-MD5":
            base64.b64encode(hashlib.md5(key).digest()).decode(),
    }


def copy_source_ssec(key):
    return {"CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": key}


def marked(size, marker):
    """size bytes of random data with the marker every 4 KiB: plaintext on a drive shows."""
    data = bytearray(os.urandom(size))
    for off in range(0, max(0, size - len(marker)), 4096):
        data[off:off + len(marker)] = marker
    return bytes(data)


# Unequal parts: not a multiple of 64 KiB, exactly 80 packages, a short last part.
PART_SIZES = [5 * MIB + 12345, 5 * MIB, 70001]


def upload(s3, bucket, key, parts, create_args, part_args):
    up = s3.create_multipart_upload(Bucket=bucket, Key=key, **create_args)
    done = []
    answers = []
    for n, data in enumerate(parts, start=1):
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=up["UploadId"], PartNumber=n,
                           Body=data, **part_args)
        answers.append(r)
        done.append({"PartNumber": n, "ETag": r["ETag"]})
    listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=up["UploadId"])["Parts"]
    assert [p["Size"] for p in listed] == [len(p) for p in parts]  # plaintext sizes
    comp = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up["UploadId"],
                                        MultipartUpload={"Parts": done})
    return up, answers, comp


def ranged(s3, bucket, key, first, last, extra):
    return s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={first}-{last}",
                         **extra)["Body"].read()


@pytest.mark.parametrize("mode", ["s3", "c", "default"])
def test_multipart_round_trip_ranges_and_parts(sse_server, s3, bucket, mode):
    marker = ("MP-MARKER-" + uuid.uuid4().hex).encode()
    parts = [marked(n, marker) for n in PART_SIZES]
    body = b"".join(parts)
    ckey = os.urandom(32)
    create_args, part_args, read_args = {}, {}, {}
    if mode == "s3":
        create_args = {"ServerSideEncryption": "AES256"}
    elif mode == "c":
        create_args = part_args = read_args = ssec(ckey)
    else:
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    up, answers, comp = upload(s3, bucket, "mp", parts, create_args, part_args)
    if mode == "c":
        md5 = base64.b64encode(hashlib.md5(ckey).digest()).decode()
        assert up["SSECustomerAlgorithm"] == "AES256" and up["SSECustomerKeyMD5"] == md5
        assert all(a["SSECustomerKeyMD5"] == md5 for a in answers)
        assert "ServerSideEncryption" not in up
    else:
        assert up["ServerSideEncryption"] == "AES256"
        assert all(a["ServerSideEncryption"] == "AES256" for a in answers)
        assert comp["ServerSideEncryption"] == "AES256"
        # AWS: an SSE-S3 part's ETag is the MD5 of its plaintext.
        for a, p in zip(answers, parts):
            assert a["ETag"] == '"%s"' % hashlib.md5(p).hexdigest()
    assert comp["ETag"].endswith('-3"')

    head = s3.head_object(Bucket=bucket, Key="mp", **read_args)
    assert head["ContentLength"] == len(body)
    assert s3.list_objects_v2(Bucket=bucket)["Contents"][0]["Size"] == len(body)
    assert s3.get_object(Bucket=bucket, Key="mp", **read_args)["Body"].read() == body

    p1, p2 = PART_SIZES[0], PART_SIZES[0] + PART_SIZES[1]
    points = [0, 1, PACKAGE - 1, PACKAGE, PACKAGE + 1, p1 - 1, p1, p1 + 1, p2 - 1, p2, p2 + 1,
              len(body) - 1]
    for a in points:
        for length in (1, 2, PACKAGE - 1, PACKAGE, PACKAGE + 1, 3 * PACKAGE + 5):
            b = min(a + length, len(body)) - 1
            assert ranged(s3, bucket, "mp", a, b, read_args) == body[a:b + 1], (a, length)
    # Across both part boundaries, and a suffix range.
    assert ranged(s3, bucket, "mp", p1 - 70000, p2 + 70000, read_args) == \
        body[p1 - 70000:p2 + 70001]
    got = s3.get_object(Bucket=bucket, Key="mp", Range="bytes=-70010", **read_args)
    assert got["Body"].read() == body[-70010:]

    start = 0
    for n, p in enumerate(parts, start=1):
        got = s3.get_object(Bucket=bucket, Key="mp", PartNumber=n, **read_args)
        assert got["PartsCount"] == 3 and got["ContentLength"] == len(p)
        assert got["ContentRange"] == f"bytes {start}-{start + len(p) - 1}/{len(body)}"
        assert got["Body"].read() == p
        h = s3.head_object(Bucket=bucket, Key="mp", PartNumber=n, **read_args)
        assert h["ContentLength"] == len(p)
        start += len(p)
    assert_no_plaintext(sse_server, marker)


def test_sse_c_key_of_every_part_checked(s3, bucket):
    key, other = os.urandom(32), os.urandom(32)
    data = os.urandom(5 * MIB)
    up = s3.create_multipart_upload(Bucket=bucket, Key="c", **ssec(key))["UploadId"]
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="c", UploadId=up, PartNumber=1, Body=data)
    assert status(e) == 400 and code(e) == "InvalidRequest"
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="c", UploadId=up, PartNumber=1, Body=data,
                       **ssec(other))
    assert status(e) == 403 and code(e) == "AccessDenied"
    assert s3.list_parts(Bucket=bucket, Key="c", UploadId=up).get("Parts", []) == []
    r1 = s3.upload_part(Bucket=bucket, Key="c", UploadId=up, PartNumber=1, Body=data,
                        **ssec(key))
    r2 = s3.upload_part(Bucket=bucket, Key="c", UploadId=up, PartNumber=2, Body=b"tail",
                        **ssec(key))
    # AWS: an SSE-C part's ETag is not the MD5 of its plaintext.
    assert r1["ETag"] != '"%s"' % hashlib.md5(data).hexdigest()
    parts = {"Parts": [{"PartNumber": 1, "ETag": r1["ETag"]},
                       {"PartNumber": 2, "ETag": r2["ETag"]}]}
    # Complete may name the key; when it does, it must be the upload's.
    with extra_headers(s3, "CompleteMultipartUpload", ssec_headers(other)):
        with pytest.raises(ClientError) as e:
            s3.complete_multipart_upload(Bucket=bucket, Key="c", UploadId=up,
                                         MultipartUpload=parts)
    assert status(e) == 403
    with extra_headers(s3, "CompleteMultipartUpload", ssec_headers(key)):
        comp = s3.complete_multipart_upload(Bucket=bucket, Key="c", UploadId=up,
                                            MultipartUpload=parts)
    assert comp["ResponseMetadata"]["HTTPHeaders"][
        "x-amz-server-side-encryption-customer-algorithm"] == "AES256"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c")
    assert status(e) == 400
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", **ssec(other))
    assert status(e) == 403
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", PartNumber=2)
    assert status(e) == 400
    assert s3.get_object(Bucket=bucket, Key="c", **ssec(key))["Body"].read() == data + b"tail"
    # SSE-C headers on a part of a plaintext upload: not applicable.
    plain = s3.create_multipart_upload(Bucket=bucket, Key="p")["UploadId"]
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="p", UploadId=plain, PartNumber=1, Body=b"x",
                       **ssec(key))
    assert status(e) == 400 and code(e) == "InvalidRequest"


def test_part_digests_checked_on_plaintext(s3, bucket):
    up = s3.create_multipart_upload(Bucket=bucket, Key="d", ServerSideEncryption="AES256",
                                    ChecksumAlgorithm="CRC32")["UploadId"]
    data = os.urandom(5 * MIB + 3)
    with pytest.raises(ClientError) as e:
        s3.upload_part(Bucket=bucket, Key="d", UploadId=up, PartNumber=1, Body=data,
                       ContentMD5=base64.b64encode(hashlib.md5(b"other").digest()).decode())
    assert status(e) == 400
    r = s3.upload_part(Bucket=bucket, Key="d", UploadId=up, PartNumber=1, Body=data,
                       ChecksumAlgorithm="CRC32")
    want = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    assert r["ChecksumCRC32"] == want
    s3.complete_multipart_upload(Bucket=bucket, Key="d", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": r["ETag"], "ChecksumCRC32": want}]})
    got = s3.get_object(Bucket=bucket, Key="d", ChecksumMode="ENABLED")
    assert got["Body"].read() == data


@pytest.mark.parametrize("dest", ["s3", "c"])
def test_upload_part_copy_into_encrypted_upload(sse_server, s3, bucket, dest):
    marker = ("COPY-MARKER-" + uuid.uuid4().hex).encode()
    src_key = os.urandom(32)
    plain = marked(5 * MIB + 100, marker)
    s3_src = marked(5 * MIB + 200, marker)
    c_src = marked(300000, marker)
    s3.put_object(Bucket=bucket, Key="plain", Body=plain)
    s3.put_object(Bucket=bucket, Key="s3src", Body=s3_src, ServerSideEncryption="AES256")
    s3.put_object(Bucket=bucket, Key="csrc", Body=c_src, **ssec(src_key))
    dest_key = os.urandom(32)
    create = {"ServerSideEncryption": "AES256"} if dest == "s3" else ssec(dest_key)
    part_args = {} if dest == "s3" else ssec(dest_key)
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", **create)["UploadId"]
    copies = [
        ({"Key": "plain"}, f"bytes=10-{5 * MIB + 9}", {}, plain[10:5 * MIB + 10]),
        ({"Key": "s3src"}, None, {}, s3_src),
        ({"Key": "csrc"}, "bytes=65535-200000", copy_source_ssec(src_key), c_src[65535:200001]),
    ]
    done = []
    for n, (src, rng, src_args, _) in enumerate(copies, start=1):
        args = dict(Bucket=bucket, Key="mp", UploadId=up, PartNumber=n,
                    CopySource={"Bucket": bucket, **src}, **src_args, **part_args)
        if rng:
            args["CopySourceRange"] = rng
        r = s3.upload_part_copy(**args)
        if dest == "s3":
            assert r["ServerSideEncryption"] == "AES256"
        done.append({"PartNumber": n, "ETag": r["CopyPartResult"]["ETag"]})
    # An SSE-C source without its key, and (SSE-C upload) the upload's key missing.
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket=bucket, Key="mp", UploadId=up, PartNumber=4,
                            CopySource={"Bucket": bucket, "Key": "csrc"}, **part_args)
    assert status(e) == 400
    if dest == "c":
        with pytest.raises(ClientError) as e:
            s3.upload_part_copy(Bucket=bucket, Key="mp", UploadId=up, PartNumber=4,
                                CopySource={"Bucket": bucket, "Key": "plain"})
        assert status(e) == 400
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up,
                                 MultipartUpload={"Parts": done})
    want = b"".join(c[3] for c in copies)
    read_args = {} if dest == "s3" else ssec(dest_key)
    assert s3.get_object(Bucket=bucket, Key="mp", **read_args)["Body"].read() == want
    # The encrypted multipart object is itself a copy source (decrypted across its parts).
    s3.copy_object(Bucket=bucket, Key="flat", CopySource={"Bucket": bucket, "Key": "mp"},
                   **({} if dest == "s3" else copy_source_ssec(dest_key)))
    assert s3.get_object(Bucket=bucket, Key="flat")["Body"].read() == want
    # The check can fail: the plaintext source's marker is on the drives until it is gone.
    assert any(marker in open(p, "rb").read() for p in drive_files(sse_server))
    s3.delete_object(Bucket=bucket, Key="plain")
    s3.delete_object(Bucket=bucket, Key="flat")
    assert_no_plaintext(sse_server, marker)


def test_flipped_ciphertext_byte_in_a_part_never_wrong_bytes(sse_server, s3, bucket):
    parts = [os.urandom(n) for n in PART_SIZES]
    body = b"".join(parts)
    upload(s3, bucket, "flip", parts, {"ServerSideEncryption": "AES256"}, {})
    drive = sse_server.drives[0]
    shards = [p for p in drive_files(sse_server)
              if p.startswith(os.path.join(drive, bucket, "flip") + os.sep)
              and os.path.basename(p) == "part.2"]
    assert shards, "no shard file of part 2 on the first drive"
    with open(shards[0], "r+b") as f:
        data = bytearray(f.read())
        data[len(data) // 2] ^= 0x10
        f.seek(0)
        f.write(data)
    for args in ({}, {"Range": f"bytes={PART_SIZES[0]}-{PART_SIZES[0] + PART_SIZES[1] - 1}"},
                 {"PartNumber": 2}):
        try:
            got = s3.get_object(Bucket=bucket, Key="flip", **args)["Body"].read()
        except Exception:
            continue  # an error is acceptable; wrong bytes never are
        want = body if not args else parts[1]
        assert got == want, args


def test_aws_cli_multipart_sse(sse_server, bucket, tmp_path):
    from conftest import cli_env
    env = cli_env(sse_server, str(tmp_path))
    src = tmp_path / "f.bin"
    data = os.urandom(17 * MIB + 12345)  # s3 cp splits at 8 MiB: three parts
    src.write_bytes(data)
    keyfile = tmp_path / "k.bin"
    keyfile.write_bytes(os.urandom(32))
    out = tmp_path / "out.bin"

    def aws(*args):
        return subprocess.run(["aws", "--endpoint-url", sse_server.endpoint, *args], env=env,
                              capture_output=True, text=True)

    r = aws("s3", "cp", str(src), f"s3://{bucket}/cli-s3", "--sse", "AES256")
    assert r.returncode == 0, r.stderr
    r = aws("s3api", "head-object", "--bucket", bucket, "--key", "cli-s3")
    assert r.returncode == 0, r.stderr
    assert '"ServerSideEncryption": "AES256"' in r.stdout and '-3\\"' in r.stdout
    r = aws("s3", "cp", f"s3://{bucket}/cli-s3", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == data
    ssec_args = ["--sse-c", "AES256", "--sse-c-key", f"fileb://{keyfile}"]
    r = aws("s3", "cp", str(src), f"s3://{bucket}/cli-c", *ssec_args)
    assert r.returncode == 0, r.stderr
    out.unlink()
    r = aws("s3", "cp", f"s3://{bucket}/cli-c", str(out), *ssec_args)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == data
    r = aws("s3api", "get-object", "--bucket", bucket, "--key", "cli-c", str(out))
    assert r.returncode != 0 and "InvalidRequest" in r.stderr


def test_sse_header_on_parts_refused_as_aws(s3, bucket):
    # A part is encrypted as its upload says; AWS refuses the header on UploadPart and
    # UploadPartCopy rather than ignoring it.
    up = s3.create_multipart_upload(Bucket=bucket, Key="p")["UploadId"]
    s3.put_object(Bucket=bucket, Key="src", Body=b"source")
    with extra_headers(s3, "UploadPart", {"x-amz-server-side-encryption": "AES256"}):
        with pytest.raises(ClientError) as e:
            s3.upload_part(Bucket=bucket, Key="p", UploadId=up, PartNumber=1, Body=b"x")
    assert status(e) == 400 and code(e) == "InvalidArgument"
    with extra_headers(s3, "UploadPartCopy", {"x-amz-server-side-encryption": "AES256"}):
        with pytest.raises(ClientError) as e:
            s3.upload_part_copy(Bucket=bucket, Key="p", UploadId=up, PartNumber=1,
                                CopySource={"Bucket": bucket, "Key": "src"})
    assert status(e) == 400 and code(e) == "InvalidArgument"
    assert s3.list_parts(Bucket=bucket, Key="p", UploadId=up).get("Parts", []) == []


def test_full_object_crc_and_empty_last_part(s3, bucket):
    # FULL_OBJECT CRCs combine the parts' plaintext CRCs with their plaintext sizes (the
    # stored sizes would give another value); an empty last part is one empty package.
    datas = [os.urandom(5 * MIB + 1), os.urandom(5 * MIB + 70000), b""]
    whole = b"".join(datas)
    with extra_headers(s3, "CreateMultipartUpload", {"x-amz-checksum-type": "FULL_OBJECT"}):
        up = s3.create_multipart_upload(Bucket=bucket, Key="f", ServerSideEncryption="AES256",
                                        ChecksumAlgorithm="CRC32")["UploadId"]
    parts = []
    for n, data in enumerate(datas, start=1):
        r = s3.upload_part(Bucket=bucket, Key="f", UploadId=up, PartNumber=n, Body=data,
                           ChecksumAlgorithm="CRC32")
        parts.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]})
    want = base64.b64encode(zlib.crc32(whole).to_bytes(4, "big")).decode()
    done = s3.complete_multipart_upload(Bucket=bucket, Key="f", UploadId=up,
                                        MultipartUpload={"Parts": parts}, ChecksumCRC32=want)
    assert done["ChecksumCRC32"] == want
    head = s3.head_object(Bucket=bucket, Key="f", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == want and head["ContentLength"] == len(whole)
    assert s3.get_object(Bucket=bucket, Key="f")["Body"].read() == whole
    last = len(whole) - 1
    assert ranged(s3, bucket, "f", last - 65540, last, {}) == whole[last - 65540:]
    got = s3.get_object(Bucket=bucket, Key="f", PartNumber=3)
    assert got["ContentLength"] == 0 and got["Body"].read() == b""
    attrs = s3.get_object_attributes(Bucket=bucket, Key="f",
                                     ObjectAttributes=["ObjectSize", "ObjectParts"])
    assert attrs["ObjectSize"] == len(whole)
    assert [p["Size"] for p in attrs["ObjectParts"]["Parts"]] == [len(d) for d in datas]
