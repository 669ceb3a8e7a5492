"""The erasure engine's on-disk layout as the fault tests see it (storage/key_path.h,
object/object_metadata.h): where an object's %m.json and shard files are, snapshots of one
object's shards per drive, damage to them, temp files and orphaned data dirs."""
import hashlib
import json
import os

SYS_VOLUME = ".flashstor.sys"
META_FILE = "%m.json"
DIGEST_BYTES = 12  # bitrot digest before every shard block


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def key_to_path(key):
    """storage/key_path.cc KeyToPath: components "", ".", ".." or starting with '%' become
    "%e" + hex."""
    out = []
    for c in key.split("/"):
        if c in ("", ".", "..") or c.startswith("%"):
            c = "%e" + c.encode().hex()
        out.append(c)
    return "/".join(out)


def object_dir(drive, bucket, key):
    return os.path.join(drive, bucket, key_to_path(key))


def read_meta(drive, bucket, key):
    """(header dict, inline tail bytes) of one drive's %m.json, or None when it is missing."""
    path = os.path.join(object_dir(drive, bucket, key), META_FILE)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError:
        return None
    head, _, tail = raw.partition(b"\0")
    try:
        return json.loads(head.decode()), tail
    except ValueError:
        return {"corrupt": True}, tail


def version_of(header):
    """The drive's current version (a file may keep older ones behind it, see
    object_metadata.h MetaVersions)."""
    return header["versions"][0]


def keep_behind(new_raw, old_raw):
    """The %m.json bytes a commit writes on a drive that held old_raw: the new version in
    front of the old file's versions, inline tails in the same order (what ErasureSet::commit
    leaves until the new version is on a write quorum)."""
    new_head, _, new_tail = new_raw.partition(b"\0")
    old_head, _, old_tail = old_raw.partition(b"\0")
    versions = json.loads(new_head)["versions"] + json.loads(old_head)["versions"]
    header = json.dumps({"format": 1, "versions": versions}, separators=(",", ":")).encode()
    if any(v["inline"] for v in versions):
        return header + b"\0" + new_tail + old_tail
    return header


def kept_versions(drive, bucket):
    """%m.json files under the bucket that still hold more than one version (what heal must
    settle to the winner alone)."""
    found = []
    for dirpath, _, filenames in os.walk(os.path.join(drive, bucket)):
        if META_FILE not in filenames:
            continue
        try:
            with open(os.path.join(dirpath, META_FILE), "rb") as f:
                head = json.loads(f.read().partition(b"\0")[0].decode())
        except (OSError, ValueError):
            continue
        if len(head.get("versions", [])) > 1:
            found.append(dirpath)
    return found


def shard_files(drive, bucket, key):
    """Paths of this drive's shard files for the object's current version (from its own
    %m.json), or [] for inline objects / missing metadata."""
    m = read_meta(drive, bucket, key)
    if m is None or m[0].get("corrupt"):
        return []
    v = version_of(m[0])
    if v["inline"]:
        return []
    base = os.path.join(object_dir(drive, bucket, key), "%d." + v["data_dir"])
    return [os.path.join(base, f"part.{p['n']}") for p in v["parts"]]


def file_sha(path):
    try:
        with open(path, "rb") as f:
            return _sha(f.read())
    except OSError:
        return None


def snapshot(drives, bucket, key):
    """Per drive: what the object's shards look like on disk (metadata version identity,
    shard index, inline tail hash or every part file's hash)."""
    out = {}
    for d in drives:
        m = read_meta(d, bucket, key)
        if m is None or m[0].get("corrupt"):
            out[d] = None
            continue
        v = version_of(m[0])
        ident = (v["mod_time"], v["etag"], v["data_dir"], v["erasure"]["index"])
        if v["inline"]:
            out[d] = (ident, "inline", _sha(m[1]))
        else:
            out[d] = (ident, "parts", tuple(file_sha(p) for p in shard_files(d, bucket, key)))
    return out


DAMAGE_STRIDE = 4096  # "-all" damage flips a byte in every stride: every shard block is hit


def _damage_bytes(data, how, rng, start=0):
    """flip: XOR 4 random bytes; flip-all: one byte in every DAMAGE_STRIDE from start;
    truncate: cut to a random shorter length."""
    if how == "truncate":
        return data[: rng.randrange(0, max(1, len(data)))]
    b = bytearray(data)
    if how == "flip":
        offsets = [rng.randrange(0, len(b)) for _ in range(4)]
    else:
        offsets = [o + rng.randrange(0, min(DAMAGE_STRIDE, len(b) - o))
                   for o in range(start, len(b), DAMAGE_STRIDE)]
    for o in offsets:
        b[o] ^= 0xA5
    return bytes(b)


def damage_object(drive, bucket, key, how, rng, skip_first_block=False):
    """Damages this drive's copy of the object: its part files, or the inline tail of
    %m.json (keeping the JSON header intact so only the bitrot digests can notice).
    skip_first_block leaves the first block of every part intact. False when there is
    nothing to damage (an empty object)."""
    m = read_meta(drive, bucket, key)
    if m is None or m[0].get("corrupt"):
        return False
    v = version_of(m[0])
    start = 0
    if skip_first_block:
        e = v["erasure"]
        start = DIGEST_BYTES + -(-int(e["block_size"]) // e["data"])  # block 0: digest + shard
    files = shard_files(drive, bucket, key)
    for p in files:
        with open(p, "rb") as f:
            data = f.read()
        with open(p, "wb") as f:
            f.write(_damage_bytes(data, how, rng, start))
    if files:
        return True
    path = os.path.join(object_dir(drive, bucket, key), META_FILE)
    with open(path, "rb") as f:
        head, sep, tail = f.read().partition(b"\0")
    if not tail:
        return False
    with open(path, "wb") as f:
        f.write(head + sep + _damage_bytes(tail, how, rng, start))
    return True


def tmp_entries(drive):
    try:
        return sorted(os.listdir(os.path.join(drive, SYS_VOLUME, "tmp")))
    except FileNotFoundError:
        return []


def orphan_data_dirs(drive, bucket):
    """Data dirs (%d.<uuid>) that no version in the drive's own %m.json in the same
    directory names: space leaked by an interrupted commit."""
    orphans = []
    base = os.path.join(drive, bucket)
    for dirpath, dirnames, filenames in os.walk(base):
        dds = [n for n in dirnames if n.startswith("%d.")]
        if not dds:
            continue
        dirnames[:] = [n for n in dirnames if not n.startswith("%d.")]
        named = set()
        if META_FILE in filenames:
            try:
                with open(os.path.join(dirpath, META_FILE), "rb") as f:
                    head = f.read().partition(b"\0")[0]
                named = {v["data_dir"] for v in json.loads(head.decode())["versions"]}
            except (OSError, ValueError, KeyError, TypeError):
                named = set()
        orphans += [os.path.join(dirpath, n) for n in dds if n[3:] not in named]
    return orphans


def describe(drives, bucket, key):
    """One line per drive: the object's directory entries, metadata identity and shard file
    sizes, for failure messages."""
    lines = []
    for d in drives:
        odir = object_dir(d, bucket, key)
        try:
            names = sorted(os.listdir(odir))
        except OSError as e:
            lines.append(f"  {d}: {e.strerror}")
            continue
        m = read_meta(d, bucket, key)
        ident = None
        if m is not None and not m[0].get("corrupt"):
            v = version_of(m[0])
            ident = (v["mod_time"], v["etag"][:8], v["data_dir"][:8], v["erasure"]["index"],
                     len(m[1]))
        sizes = [os.path.getsize(p) if os.path.exists(p) else None
                 for p in shard_files(d, bucket, key)]
        lines.append(f"  {d}: {names} meta={ident} parts={sizes}")
    return "\n".join(lines)
