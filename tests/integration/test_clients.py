"""Real command-line clients without special flags: aws cli (s3 and s3api), s3cmd, rclone."""
import hashlib
import json
import os
import uuid


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def make_tree(root):
    files = {}
    for rel, size in {"a.txt": 10, "dir/b.bin": 300_000, "dir/sub/c.bin": 6 * 1024 * 1024 + 3,
                      "empty": 0, "space name.txt": 5}.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(os.urandom(size))
        files[rel] = digest(p)
    return files


def test_aws_cli(tools, tmp_path):
    b = "cli-" + uuid.uuid4().hex[:8]
    tools.aws("s3", "mb", f"s3://{b}")
    src = tmp_path / "src"
    files = make_tree(src)
    # 6 MiB file crosses aws cli's default 8 MiB threshold? Force multipart with a small one.
    tools.aws("configure", "set", "default.s3.multipart_threshold", "5MB")
    tools.aws("configure", "set", "default.s3.multipart_chunksize", "5MB")
    tools.aws("s3", "sync", str(src), f"s3://{b}/tree")
    out = tools.aws("s3", "ls", "--recursive", f"s3://{b}/tree").stdout.decode()
    for rel in files:
        assert f"tree/{rel}" in out
    dst = tmp_path / "dst"
    tools.aws("s3", "cp", "--recursive", f"s3://{b}/tree", str(dst))
    for rel, d in files.items():
        assert digest(dst / rel) == d, rel
    head = json.loads(tools.aws("s3api", "head-object", "--bucket", b, "--key",
                                "tree/dir/sub/c.bin").stdout)
    assert head["ContentLength"] == 6 * 1024 * 1024 + 3 and head["ETag"].endswith('-2"')
    tools.aws("s3", "rm", "--recursive", f"s3://{b}/tree")
    tools.aws("s3", "rb", f"s3://{b}")
    r = tools.aws("s3api", "head-bucket", "--bucket", b, check=False)
    assert r.returncode != 0


def test_s3cmd(tools, tmp_path):
    b = "s3cmd-" + uuid.uuid4().hex[:8]
    tools.s3cmd("mb", f"s3://{b}")
    f = tmp_path / "f.bin"
    f.write_bytes(os.urandom(11 * 1024 * 1024))
    tools.s3cmd("put", "--multipart-chunk-size-mb=5", str(f), f"s3://{b}/f.bin")
    small = tmp_path / "s.txt"
    small.write_bytes(b"small file")
    tools.s3cmd("put", str(small), f"s3://{b}/s.txt")
    ls = tools.s3cmd("ls", f"s3://{b}").stdout.decode()
    assert "f.bin" in ls and "s.txt" in ls
    out = tmp_path / "out.bin"
    tools.s3cmd("get", f"s3://{b}/f.bin", str(out))
    assert digest(out) == digest(f)
    info = tools.s3cmd("info", f"s3://{b}/s.txt").stdout.decode()
    assert "10" in info
    tools.s3cmd("del", f"s3://{b}/f.bin", f"s3://{b}/s.txt")
    tools.s3cmd("rb", f"s3://{b}")


def test_rclone(tools, tmp_path):
    b = "rclone-" + uuid.uuid4().hex[:8]
    tools.rclone("mkdir", f"fs:{b}")
    src = tmp_path / "src"
    make_tree(src)
    tools.rclone("copy", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M", str(src), f"fs:{b}/t")
    tools.rclone("check", str(src), f"fs:{b}/t")  # compares sizes and MD5s
    dst = tmp_path / "dst"
    tools.rclone("copy", f"fs:{b}/t", str(dst))
    tools.rclone("check", str(src), str(dst))
    listing = tools.rclone("lsf", "-R", f"fs:{b}").stdout.decode()
    assert "t/dir/sub/c.bin" in listing
    tools.rclone("purge", f"fs:{b}")
