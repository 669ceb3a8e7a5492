"""SSE-KMS with the real daemon and real clients (boto3, aws cli, `flashstor admin kms`): keys
created, listed, rotated, disabled and enabled through the root-only admin API; PUT, GET,
HEAD and copies with aws:kms and a key name, ARN or the default key; the encryption context
echoed, validated and bound to the data key; bucket default aws:kms; rotation keeps old
objects readable while new ones use the new version; keys survive a restart; no plaintext on
any drive; a disabled key refuses reads and writes."""
import base64
import json
import os
import struct
import subprocess
import uuid
import zlib

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import (ACCESS_KEY, BIN, SECRET_KEY, Server, cli_env, make_client,
                      sse_master_key_file)
from s3headers import extra_headers

REGION = "us-east-1"
DEFAULT_KEY = "flashstor-default"


def code(e):
    return e.value.response["Error"]["Code"]


def status(e):
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def arn(name):
    return f"arn:aws:kms:{REGION}:000000000000:key/{name}"


@pytest.fixture(scope="module")
def kms_server(tmp_path_factory):
    keyfile = sse_master_key_file(tmp_path_factory)
    s = Server(drives=4, extra_args=["--sse-master-key-file", str(keyfile)]).start()
    yield s
    s.cleanup()


@pytest.fixture(scope="module")
def s3(kms_server):
    return make_client(kms_server.endpoint)


@pytest.fixture
def bucket(s3):
    name = "kms-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    return name


def admin_kms(server, *args, key=ACCESS_KEY, secret=SECRET_KEY):
    """Runs `flashstor admin kms ARGS`; returns (exit code, parsed JSON answer or None)."""
    env = dict(os.environ, FLASHSTOR_ROOT_USER=key, FLASHSTOR_ROOT_PASSWORD=secret)
    r = subprocess.run([BIN, "admin", "kms", "--endpoint", server.endpoint, *args], env=env,
                       capture_output=True, text=True, timeout=60)
    try:
        answer = json.loads(r.stdout) if r.stdout.strip() else None
    except json.JSONDecodeError:
        answer = None
    return r.returncode, answer


def new_key(server):
    name = "k-" + uuid.uuid4().hex[:10]
    rc, answer = admin_kms(server, "create-key", name)
    assert rc == 0, answer
    return name


def marker_body(size):
    marker = ("KMS-PLAINTEXT-MARKER-" + uuid.uuid4().hex + "-").encode()
    return marker, (marker * (size // len(marker) + 1))[:size]


def drive_files(server):
    for d in server.drives:
        for root, _, files in os.walk(d):
            for f in files:
                yield os.path.join(root, f)


def assert_no_plaintext(server, marker):
    for path in drive_files(server):
        with open(path, "rb") as f:
            assert marker not in f.read(), f"plaintext marker found in {path}"


def meta_files(server, bucket, key):
    paths = [os.path.join(d, bucket, key, "%m.bin") for d in server.drives]
    return [p for p in paths if os.path.exists(p)]


def stored_field(raw, name):
    """The value of internal metadata `name` in a %m.bin (name, tag byte, length, value)."""
    i = raw.find(name.encode())
    assert i >= 0, name
    at = i + len(name) + 1
    return raw[at + 1:at + 1 + raw[at]].decode()


def stored_kms_version(server, bucket, key):
    versions = set()
    for p in meta_files(server, bucket, key):
        with open(p, "rb") as f:
            versions.add(stored_field(f.read(), "x-flashstor-sse-key-version"))
    assert len(versions) == 1, versions
    return int(versions.pop())


def rewrite_meta(server, bucket, key, old, new):
    """Replaces bytes inside the metadata records on every drive, fixing the record checksum
    (preamble: magic, versions, u32 length, u32 zlib crc32 of the records)."""
    assert len(old) == len(new)
    for p in meta_files(server, bucket, key):
        with open(p, "rb") as f:
            raw = bytearray(f.read())
        length = struct.unpack_from("<I", raw, 8)[0]
        records = bytes(raw[16:16 + length])
        assert old in records
        records = records.replace(old, new)
        raw[16:16 + length] = records
        struct.pack_into("<I", raw, 12, zlib.crc32(records))
        with open(p, "wb") as f:
            f.write(raw)
    server.restart()  # a running daemon never sees a change behind its back: it caches metadata


def kms_args(key=None, context=None):
    args = {"ServerSideEncryption": "aws:kms"}
    if key is not None:
        args["SSEKMSKeyId"] = key
    if context is not None:
        args["SSEKMSEncryptionContext"] = base64.b64encode(json.dumps(context).encode()).decode()
    return args


# -- admin command ------------------------------------------------------------------------


def test_admin_create_list_status_rotate_and_errors(kms_server):
    name = "admin-" + uuid.uuid4().hex[:8]
    rc, k = admin_kms(kms_server, "create-key", name)
    assert rc == 0
    assert k["name"] == name and k["state"] == "Enabled" and k["version"] == 1
    assert k["arn"] == arn(name) and k["created"] > 0
    rc, err = admin_kms(kms_server, "create-key", name)
    assert rc == 1 and err["error"] == "AlreadyExistsException"
    rc, listing = admin_kms(kms_server, "list-keys")
    assert rc == 0 and name in [x["name"] for x in listing["keys"]]
    rc, k = admin_kms(kms_server, "rotate-key", name)
    assert rc == 0 and k["version"] == 2
    rc, k = admin_kms(kms_server, "key-status", name)
    assert rc == 0 and k["version"] == 2 and k["state"] == "Enabled"
    rc, err = admin_kms(kms_server, "key-status", "no-such-key")
    assert rc == 1 and err["error"] == "NotFoundException"
    for bad in ["bad/name", "x" * 65, "alias/foo", "sp ace"]:
        rc, err = admin_kms(kms_server, "create-key", bad)
        assert rc == 1 and err["error"] == "InvalidArgument", bad
    # Usage errors: unknown subcommand, missing or extra name.
    assert admin_kms(kms_server, "destroy-key", name)[0] == 2
    assert admin_kms(kms_server, "rotate-key")[0] == 2
    assert admin_kms(kms_server, "list-keys", "extra")[0] == 2


def test_admin_needs_root(kms_server):
    iam = boto3.client("iam", endpoint_url=kms_server.endpoint, aws_access_key_id=ACCESS_KEY,
                       aws_secret_access_key=SECRET_KEY, region_name=REGION,
                       config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    user = "kmsadmin-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="all", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:*", "kms:*"], "Resource": "*"}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    for args in [("list-keys",), ("create-key", "by-user"), ("rotate-key", DEFAULT_KEY)]:
        rc, err = admin_kms(kms_server, *args, key=key["AccessKeyId"],
                            secret=key["SecretAccessKey"])
        assert rc == 1 and err == {"error": "AccessDenied"}, args
    rc, err = admin_kms(kms_server, "list-keys", secret="not-the-root-secret")
    assert rc == 1 and err == {"error": "AccessDenied"}
    rc, _ = admin_kms(kms_server, "key-status", "by-user")
    assert rc == 1  # never created


def test_admin_without_master_key(server):
    rc, err = admin_kms(server, "list-keys")
    assert rc == 1 and err["error"] == "NotImplemented"


# -- PUT / GET / HEAD ------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 100, 200 * 1024 + 3])
def test_put_get_head_with_key_name(kms_server, s3, bucket, size):
    name = new_key(kms_server)
    marker, body = marker_body(size)
    put = s3.put_object(Bucket=bucket, Key="o", Body=body, **kms_args(name))
    assert put["ServerSideEncryption"] == "aws:kms"
    assert put["SSEKMSKeyId"] == arn(name)
    got = s3.get_object(Bucket=bucket, Key="o")
    assert got["Body"].read() == body
    assert got["ServerSideEncryption"] == "aws:kms" and got["SSEKMSKeyId"] == arn(name)
    head = s3.head_object(Bucket=bucket, Key="o")
    assert head["ContentLength"] == size
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == arn(name)
    if size > 70000:
        r = s3.get_object(Bucket=bucket, Key="o", Range="bytes=65530-65545")
        assert r["Body"].read() == body[65530:65546]
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Size"] for o in listed] == [size]
    if size:
        assert_no_plaintext(kms_server, marker)


def test_key_id_as_arn(kms_server, s3, bucket):
    name = new_key(kms_server)
    put = s3.put_object(Bucket=bucket, Key="a", Body=b"by arn", **kms_args(arn(name)))
    assert put["SSEKMSKeyId"] == arn(name)
    assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"by arn"
    for other in [f"arn:aws:kms:eu-west-1:000000000000:key/{name}",
                  f"arn:aws:kms:{REGION}:123456789012:key/{name}"]:
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key="b", Body=b"x", **kms_args(other))
        assert status(e) == 400 and code(e) == "KMS.NotFoundException", other


def test_default_key(kms_server, s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="d", Body=b"default key", **kms_args())
    assert put["ServerSideEncryption"] == "aws:kms" and put["SSEKMSKeyId"] == arn(DEFAULT_KEY)
    assert s3.get_object(Bucket=bucket, Key="d")["Body"].read() == b"default key"
    rc, k = admin_kms(kms_server, "key-status", DEFAULT_KEY)
    assert rc == 0 and k["state"] == "Enabled"


def test_unknown_key_refused(kms_server, s3, bucket):
    for key in ["never-created", "alias/aws/s3", "x" * 200]:
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key="u", Body=b"x", **kms_args(key))
        assert status(e) == 400 and code(e) == "KMS.NotFoundException", key
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="u")
    assert status(e) == 404


def test_kms_headers_need_aws_kms(kms_server, s3, bucket):
    name = new_key(kms_server)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="h", Body=b"x", ServerSideEncryption="AES256",
                      SSEKMSKeyId=name)
    assert status(e) == 400 and code(e) == "InvalidArgument"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="h", Body=b"x", SSEKMSKeyId=name)
    assert status(e) == 400 and code(e) == "InvalidArgument"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="h", Body=b"x", ServerSideEncryption="aws:kms:dsse")
    assert status(e) == 501


def test_bucket_key_enabled_accepted(kms_server, s3, bucket):
    name = new_key(kms_server)
    put = s3.put_object(Bucket=bucket, Key="bk", Body=b"bucket key", BucketKeyEnabled=True,
                        **kms_args(name))
    assert put["ServerSideEncryption"] == "aws:kms"
    assert not put.get("BucketKeyEnabled")  # every object has its own data key: none used
    assert s3.get_object(Bucket=bucket, Key="bk")["Body"].read() == b"bucket key"
    with extra_headers(s3, "PutObject",
                       {"x-amz-server-side-encryption-bucket-key-enabled": "maybe"}):
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key="bk2", Body=b"x", **kms_args(name))
    assert status(e) == 400 and code(e) == "InvalidArgument"


# -- encryption context ------------------------------------------------------------------


def test_context_round_trip(kms_server, s3, bucket):
    name = new_key(kms_server)
    args = kms_args(name, {"dept": "finance", "project": "x1"})
    put = s3.put_object(Bucket=bucket, Key="c", Body=b"with context", **args)
    assert put["SSEKMSEncryptionContext"] == args["SSEKMSEncryptionContext"]
    assert s3.get_object(Bucket=bucket, Key="c")["Body"].read() == b"with context"
    # An aws:s3:arn naming this very object is what S3 binds anyway: accepted.
    ok = kms_args(name, {"aws:s3:arn": f"arn:aws:s3:::{bucket}/c2"})
    s3.put_object(Bucket=bucket, Key="c2", Body=b"arn context", **ok)
    assert s3.get_object(Bucket=bucket, Key="c2")["Body"].read() == b"arn context"


def test_context_refused_when_invalid(kms_server, s3, bucket):
    name = new_key(kms_server)
    bad = [
        "not base64!",
        base64.b64encode(b"[1, 2]").decode(),
        base64.b64encode(b'{"n": 1}').decode(),
        base64.b64encode(b'{"": "empty key"}').decode(),
        base64.b64encode(b"{not json").decode(),
        base64.b64encode(json.dumps({"k": "v" * 5000}).encode()).decode(),
        # Another object's ARN: a context that does not match the object is refused.
        base64.b64encode(json.dumps({"aws:s3:arn": f"arn:aws:s3:::{bucket}/other"}).encode())
        .decode(),
    ]
    for ctx in bad:
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key="bad", Body=b"x", ServerSideEncryption="aws:kms",
                          SSEKMSKeyId=name, SSEKMSEncryptionContext=ctx)
        assert status(e) == 400 and code(e) == "InvalidArgument", ctx
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="bad")
    assert status(e) == 404


def test_context_mismatch_on_drive_never_decrypts(kms_server, s3, bucket):
    # The context is bound into the data key's seal: an object whose stored context was
    # changed on every drive (checksums fixed) no longer yields its bytes.
    name = new_key(kms_server)
    s3.put_object(Bucket=bucket, Key="m", Body=b"bound to its context",
                  **kms_args(name, {"dept": "aaaa"}))
    old = base64.b64encode(json.dumps({"dept": "aaaa"}).encode())
    new = base64.b64encode(json.dumps({"dept": "bbbb"}).encode())
    rewrite_meta(kms_server, bucket, "m", old, new)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="m")["Body"].read()
    assert status(e) == 500
    # Control: the same rewrite back restores it (the edit itself is harmless).
    rewrite_meta(kms_server, bucket, "m", new, old)
    assert s3.get_object(Bucket=bucket, Key="m")["Body"].read() == b"bound to its context"


# -- bucket default -------------------------------------------------------------------------


def test_bucket_default_aws_kms(kms_server, s3, bucket):
    name = new_key(kms_server)
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                          "KMSMasterKeyID": name}}]})
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms",
                                                          "KMSMasterKeyID": name}
    marker, body = marker_body(100_000)
    put = s3.put_object(Bucket=bucket, Key="d", Body=body)
    assert put["ServerSideEncryption"] == "aws:kms" and put["SSEKMSKeyId"] == arn(name)
    assert s3.get_object(Bucket=bucket, Key="d")["Body"].read() == body
    assert_no_plaintext(kms_server, marker)
    # Explicit headers win over the default.
    put = s3.put_object(Bucket=bucket, Key="s", Body=b"s3", ServerSideEncryption="AES256")
    assert put["ServerSideEncryption"] == "AES256"
    # Without KMSMasterKeyID: the default key.
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    put = s3.put_object(Bucket=bucket, Key="dd", Body=b"default")
    assert put["SSEKMSKeyId"] == arn(DEFAULT_KEY)
    # A key id that cannot exist is refused at once; one not created yet, by the writes.
    with pytest.raises(ClientError) as e:
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                              "KMSMasterKeyID": "a/b"}}]})
    assert status(e) == 400 and code(e) == "KMS.NotFoundException"
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                          "KMSMasterKeyID": "later"}}]})
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="l", Body=b"x")
    assert status(e) == 400 and code(e) == "KMS.NotFoundException"


# -- copies ------------------------------------------------------------------------------------


def test_copy_between_kms_sse_s3_and_plain(kms_server, s3, bucket):
    a, b = new_key(kms_server), new_key(kms_server)
    data = os.urandom(150_000)
    s3.put_object(Bucket=bucket, Key="kms-a", Body=data, **kms_args(a))
    s3.put_object(Bucket=bucket, Key="plain", Body=data)
    s3.put_object(Bucket=bucket, Key="s3", Body=data, ServerSideEncryption="AES256")

    def copy(src, dst, **args):
        return s3.copy_object(Bucket=bucket, Key=dst, CopySource={"Bucket": bucket, "Key": src},
                              **args)

    r = copy("kms-a", "to-kms-b", **kms_args(b))
    assert r["ServerSideEncryption"] == "aws:kms" and r["SSEKMSKeyId"] == arn(b)
    r = copy("kms-a", "to-s3", ServerSideEncryption="AES256")
    assert r["ServerSideEncryption"] == "AES256"
    r = copy("kms-a", "to-plain")
    assert "ServerSideEncryption" not in r
    r = copy("plain", "plain-to-kms", **kms_args(a))
    assert r["SSEKMSKeyId"] == arn(a)
    r = copy("s3", "s3-to-kms", **kms_args(a, {"copy": "yes"}))
    assert r["SSEKMSKeyId"] == arn(a)
    r = copy("kms-a", "kms-a", **kms_args(b))  # onto itself, changing the key
    assert r["SSEKMSKeyId"] == arn(b)
    expect = {"to-kms-b": arn(b), "to-s3": None, "to-plain": None, "plain-to-kms": arn(a),
              "s3-to-kms": arn(a), "kms-a": arn(b)}
    for key, key_arn in expect.items():
        got = s3.get_object(Bucket=bucket, Key=key)
        assert got["Body"].read() == data, key
        assert got.get("SSEKMSKeyId") == key_arn, key


# -- rotation, disabling, restart ----------------------------------------------------------


def test_rotation_keeps_old_objects_readable(kms_server, s3, bucket):
    name = new_key(kms_server)
    old = os.urandom(70_000)
    s3.put_object(Bucket=bucket, Key="old", Body=old, **kms_args(name))
    assert stored_kms_version(kms_server, bucket, "old") == 1
    rc, k = admin_kms(kms_server, "rotate-key", name)
    assert rc == 0 and k["version"] == 2
    new = os.urandom(70_000)
    s3.put_object(Bucket=bucket, Key="new", Body=new, **kms_args(name))
    assert stored_kms_version(kms_server, bucket, "new") == 2
    assert s3.get_object(Bucket=bucket, Key="old")["Body"].read() == old
    assert s3.get_object(Bucket=bucket, Key="new")["Body"].read() == new
    rc, _ = admin_kms(kms_server, "rotate-key", name)
    assert rc == 0
    assert s3.get_object(Bucket=bucket, Key="old")["Body"].read() == old
    assert s3.get_object(Bucket=bucket, Key="new")["Body"].read() == new
    # A stored version pointing at another key version does not open.
    rewrite_meta(kms_server, bucket, "old", b"x-flashstor-sse-key-version\x02\x011",
                 b"x-flashstor-sse-key-version\x02\x012")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="old")["Body"].read()
    assert status(e) == 500


def test_disabled_key_refuses_reads_and_writes(kms_server, s3, bucket):
    name = new_key(kms_server)
    s3.put_object(Bucket=bucket, Key="o", Body=b"locked away", **kms_args(name))
    rc, k = admin_kms(kms_server, "disable-key", name)
    assert rc == 0 and k["state"] == "Disabled"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="o")
    assert status(e) == 400 and code(e) == "KMS.DisabledException"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="o2", Body=b"x", **kms_args(name))
    assert status(e) == 400 and code(e) == "KMS.DisabledException"
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="o3", CopySource={"Bucket": bucket, "Key": "o"})
    assert status(e) == 400 and code(e) == "KMS.DisabledException"
    rc, err = admin_kms(kms_server, "rotate-key", name)
    assert rc == 1 and err["error"] == "DisabledException"
    # HEAD and GetObjectAttributes do not use the key (as in AWS).
    assert s3.head_object(Bucket=bucket, Key="o")["SSEKMSKeyId"] == arn(name)
    attrs = s3.get_object_attributes(Bucket=bucket, Key="o", ObjectAttributes=["ObjectSize"])
    assert attrs["ObjectSize"] == len(b"locked away")
    rc, k = admin_kms(kms_server, "enable-key", name)
    assert rc == 0 and k["state"] == "Enabled"
    assert s3.get_object(Bucket=bucket, Key="o")["Body"].read() == b"locked away"


def test_restart_keeps_keys_and_another_master_key_is_refused(tmp_path_factory):
    keyfile = sse_master_key_file(tmp_path_factory)
    srv = Server(drives=4, extra_args=["--sse-master-key-file", str(keyfile)]).start()
    try:
        s3 = make_client(srv.endpoint)
        s3.create_bucket(Bucket="restart")
        name = new_key(srv)
        s3.put_object(Bucket="restart", Key="v1", Body=b"version one", **kms_args(name))
        assert admin_kms(srv, "rotate-key", name)[0] == 0
        s3.put_object(Bucket="restart", Key="v2", Body=b"version two", **kms_args(name))
        off = new_key(srv)
        assert admin_kms(srv, "disable-key", off)[0] == 0
        srv.stop()
        srv.start()
        s3 = make_client(srv.endpoint)
        assert s3.get_object(Bucket="restart", Key="v1")["Body"].read() == b"version one"
        assert s3.get_object(Bucket="restart", Key="v2")["Body"].read() == b"version two"
        rc, k = admin_kms(srv, "key-status", name)
        assert rc == 0 and k["version"] == 2
        assert admin_kms(srv, "key-status", off)[1]["state"] == "Disabled"
        # The key store on the drives: JSON with sealed material only.
        for d in srv.drives:
            with open(os.path.join(d, ".flashstor.sys", "kms", "keys.json")) as f:
                record = json.load(f)
            assert record["format"] == "flashstor-kms-v1"
            assert {k["name"] for k in record["keys"]} >= {name, off}
        srv.stop()
        # Another master key opens none of the keys: the server refuses to start.
        other = sse_master_key_file(tmp_path_factory)
        srv.extra_args = ["--sse-master-key-file", str(other)]
        with pytest.raises(RuntimeError):
            srv.start()
    finally:
        srv.cleanup()


# -- clients and what stays refused ------------------------------------------------------


def test_aws_cli_kms(kms_server, bucket, tmp_path):
    name = new_key(kms_server)
    env = cli_env(kms_server, str(tmp_path))
    marker, data = marker_body(300 * 1024)
    src = tmp_path / "f.bin"
    src.write_bytes(data)

    def aws(*args):
        return subprocess.run(["aws", "--endpoint-url", kms_server.endpoint, *args], env=env,
                              capture_output=True, text=True, timeout=120)

    r = aws("s3", "cp", str(src), f"s3://{bucket}/cli", "--sse", "aws:kms", "--sse-kms-key-id",
            name)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out.bin"
    r = aws("s3", "cp", f"s3://{bucket}/cli", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == data
    r = aws("s3api", "head-object", "--bucket", bucket, "--key", "cli")
    assert r.returncode == 0, r.stderr
    head = json.loads(r.stdout)
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == arn(name)
    r = aws("s3api", "put-object", "--bucket", bucket, "--key", "cli2", "--body", str(src),
            "--server-side-encryption", "aws:kms", "--ssekms-key-id", "missing-key")
    assert r.returncode != 0 and "KMS.NotFoundException" in r.stderr
    assert_no_plaintext(kms_server, marker)


def test_multipart_with_kms_and_rotation(kms_server, s3, bucket):
    """An SSE-KMS multipart upload: parts sealed under the upload's data key, which the named
    key sealed; a rotation during the upload changes nothing for it; ranges across parts."""
    name = new_key(kms_server)
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", **kms_args(name))
    assert up["ServerSideEncryption"] == "aws:kms"
    assert up["SSEKMSKeyId"].endswith("key/" + name)
    part1 = os.urandom(5 * 1024 * 1024 + 777)
    marker, part2 = marker_body(70001)
    e1 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=1,
                        Body=part1)["ETag"]
    assert admin_kms(kms_server, "rotate-key", name)[0] == 0
    e2 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up["UploadId"], PartNumber=2,
                        Body=part2)["ETag"]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mp", UploadId=up["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert done["ServerSideEncryption"] == "aws:kms"
    got = s3.get_object(Bucket=bucket, Key="mp")
    assert got["ServerSideEncryption"] == "aws:kms"
    assert got["Body"].read() == part1 + part2
    edge = len(part1)
    ranged = s3.get_object(Bucket=bucket, Key="mp", Range=f"bytes={edge - 10}-{edge + 9}")
    assert ranged["Body"].read() == (part1 + part2)[edge - 10:edge + 10]
    assert_no_plaintext(kms_server, marker)
    assert stored_kms_version(kms_server, bucket, "mp") == 1  # sealed before the rotation


# -- authorisation -----------------------------------------------------------------------


def user_client(server, actions, kms_resource="*"):
    """An IAM user allowed s3:* on everything and `actions` (kms:...) on kms_resource."""
    iam = boto3.client("iam", endpoint_url=server.endpoint, aws_access_key_id=ACCESS_KEY,
                       aws_secret_access_key=SECRET_KEY, region_name=REGION,
                       config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    user = "kmsuser-" + uuid.uuid4().hex[:8]
    iam.create_user(UserName=user)
    statements = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]
    if actions:
        statements.append({"Effect": "Allow", "Action": actions, "Resource": kms_resource})
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": statements}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    cfg = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                 retries={"max_attempts": 1, "mode": "standard"})
    return boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=key["AccessKeyId"],
                        aws_secret_access_key=key["SecretAccessKey"], region_name=REGION,
                        config=cfg)


def test_users_need_kms_rights_on_the_key(kms_server, s3, bucket):
    a, b = new_key(kms_server), new_key(kms_server)
    s3.put_object(Bucket=bucket, Key="by-root", Body=b"root wrote", **kms_args(a))
    s3.put_object(Bucket=bucket, Key="plain", Body=b"plain")
    # s3:* alone: plain objects yes, SSE-KMS neither written nor read.
    s3only = user_client(kms_server, [])
    assert s3only.get_object(Bucket=bucket, Key="plain")["Body"].read() == b"plain"
    with pytest.raises(ClientError) as e:
        s3only.put_object(Bucket=bucket, Key="u1", Body=b"x", **kms_args(a))
    assert status(e) == 403 and code(e) == "AccessDenied"
    with pytest.raises(ClientError) as e:
        s3only.get_object(Bucket=bucket, Key="by-root")
    assert status(e) == 403 and code(e) == "AccessDenied"
    assert s3only.head_object(Bucket=bucket, Key="by-root")["SSEKMSKeyId"] == arn(a)
    assert s3only.get_object_attributes(Bucket=bucket, Key="by-root",
                                        ObjectAttributes=["ObjectSize"])["ObjectSize"] == 10
    # kms:GenerateDataKey and kms:Decrypt on key a only.
    user = user_client(kms_server, ["kms:GenerateDataKey", "kms:Decrypt"], arn(a))
    user.put_object(Bucket=bucket, Key="u2", Body=b"user wrote", **kms_args(a))
    assert user.get_object(Bucket=bucket, Key="u2")["Body"].read() == b"user wrote"
    assert user.get_object(Bucket=bucket, Key="by-root")["Body"].read() == b"root wrote"
    with pytest.raises(ClientError) as e:
        user.put_object(Bucket=bucket, Key="u3", Body=b"x", **kms_args(b))
    assert status(e) == 403
    # Write-only: GenerateDataKey without Decrypt.
    writer = user_client(kms_server, ["kms:GenerateDataKey"], arn(a))
    writer.put_object(Bucket=bucket, Key="u4", Body=b"write only", **kms_args(a))
    with pytest.raises(ClientError) as e:
        writer.get_object(Bucket=bucket, Key="u4")
    assert status(e) == 403
    # A bucket default of aws:kms needs the rights too.
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                          "KMSMasterKeyID": a}}]})
    with pytest.raises(ClientError) as e:
        s3only.put_object(Bucket=bucket, Key="u5", Body=b"x")
    assert status(e) == 403
    assert user.put_object(Bucket=bucket, Key="u6", Body=b"ok")["SSEKMSKeyId"] == arn(a)
    # Copying a KMS object needs Decrypt on the source's key.
    with pytest.raises(ClientError) as e:
        s3only.copy_object(Bucket=bucket, Key="u7", CopySource={"Bucket": bucket,
                                                                "Key": "by-root"},
                           ServerSideEncryption="AES256")
    assert status(e) == 403
