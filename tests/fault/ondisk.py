"""The erasure engine's on-disk layout as the fault tests see it (storage/key_path.h,
object/meta_codec.h): where an object's %m.bin and shard files are, snapshots of one object's
shards per drive, damage to them, temp files and orphaned data dirs."""
import hashlib
import json
import os
import struct
import zlib

SYS_VOLUME = ".flashstor.sys"
META_FILE = "%m.bin"
LEGACY_META_FILE = "%m.json"  # what the previous release wrote; still read by the daemon
DIGEST_BYTES = 12  # bitrot digest before every shard block

# --- %m.bin (object/meta_codec.h): a decoder for the tests, and the splice keep_behind needs --
META_MAGIC = b"FSMD"
META_MAJOR = 1
PREAMBLE = 16  # magic, major, minor, 2 reserved, u32 records length, u32 zlib crc32 of records


def _varint(buf, pos):
    value, shift = 0, 0
    for i in range(10):
        if pos + i >= len(buf):
            break
        b = buf[pos + i]
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos + i + 1
    raise ValueError("bad varint")


def _fields(buf):
    """(tag, value bytes) of each field of a record; every length checked."""
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        length, pos = _varint(buf, pos)
        if length > len(buf) - pos:
            raise ValueError("field beyond its record")
        yield tag, buf[pos:pos + length]
        pos += length


def _uint(v):
    value, end = _varint(v, 0)
    if end != len(v):
        raise ValueError("trailing bytes in an integer field")
    return value


def _sint(v):
    u = _uint(v)
    return (u >> 1) ^ -(u & 1)


def _pair(v):
    f = dict(_fields(v))
    return f.get(1, b"").decode(), f.get(2, b"").decode()


_VERSION_FIELDS = {  # tag: (name, decoder); names as the previous JSON format had them
    1: ("version_id", bytes.decode), 2: ("mod_time", _sint), 3: ("size", _uint),
    4: ("etag", bytes.decode), 5: ("content_type", bytes.decode),
    6: ("storage_class", bytes.decode), 8: ("checksum_algo", _uint),
    9: ("checksum", bytes.decode), 12: ("data_dir", bytes.decode),
    13: ("upload_id", bytes.decode), 14: ("inline", lambda v: _uint(v) == 1),
    15: ("inline_size", _uint), 16: ("delete_marker", lambda v: _uint(v) == 1),
    18: ("retention_mode", _uint), 19: ("retain_until", _sint),
    20: ("legal_hold", lambda v: _uint(v) == 1),
}
_ERASURE_FIELDS = {1: "data", 2: "parity", 3: "block_size", 4: "index"}
_PART_FIELDS = {1: ("n", _uint), 2: ("size", _uint), 3: ("actual", _uint),
                4: ("etag", bytes.decode), 5: ("mod_time", _sint), 6: ("checksum", bytes.decode)}


def _version(rec):
    v = {"version_id": "null", "size": 0, "etag": "", "content_type": "",
         "storage_class": "STANDARD", "checksum_algo": 0, "checksum": "", "data_dir": "",
         "upload_id": "", "inline": False, "inline_size": 0, "delete_marker": False,
         "retention_mode": 0, "retain_until": 0, "legal_hold": False, "meta": [], "tags": [],
         "parts": [], "erasure": {"data": 0, "parity": 0, "block_size": 0, "index": 0,
                                  "distribution": []}}
    for tag, value in _fields(rec):
        if tag in _VERSION_FIELDS:
            name, dec = _VERSION_FIELDS[tag]
            v[name] = dec(value)
        elif tag == 7:
            v["meta"].append(_pair(value))
        elif tag == 17:
            v["tags"].append(_pair(value))
        elif tag == 10:
            for t, x in _fields(value):
                if t in _ERASURE_FIELDS:
                    v["erasure"][_ERASURE_FIELDS[t]] = _uint(x)
                elif t == 5:
                    v["erasure"]["distribution"] = list(x)
        elif tag == 11:
            part = {"n": 0, "size": 0, "actual": 0, "etag": "", "mod_time": 0, "checksum": ""}
            for t, x in _fields(value):
                if t in _PART_FIELDS:
                    name, dec = _PART_FIELDS[t]
                    part[name] = dec(x)
            v["parts"].append(part)
        # other tags: fields of a newer minor version, skipped as the daemon does
    if "mod_time" not in v:
        raise ValueError("version without mod_time")
    return v


def _split(raw):
    """(preamble + records, tail) of a %m.bin; ValueError when it is not one."""
    if len(raw) < PREAMBLE or raw[:4] != META_MAGIC or raw[4] != META_MAJOR:
        raise ValueError("not a %m.bin of format major 1")
    length, crc = struct.unpack_from("<II", raw, 8)
    records = raw[PREAMBLE:PREAMBLE + length]
    if len(records) != length or zlib.crc32(records) != crc:
        raise ValueError("records truncated or failing their checksum")
    return raw[:PREAMBLE + length], raw[PREAMBLE + length:]


def decode_meta(raw):
    """(header dict {"versions": [...]}, inline tail bytes) of a %m.bin (each version a dict
    with the field names the old JSON header used), or of a legacy %m.json."""
    if raw[:1] == b"{":
        head, _, tail = raw.partition(b"\0")
        return json.loads(head.decode()), tail
    head, tail = _split(raw)
    versions = [_version(v) for t, v in _fields(head[PREAMBLE:]) if t == 1]
    if not versions:
        raise ValueError("no versions")
    return {"format": META_MAJOR, "versions": versions}, tail


def encode_preamble(records):
    return META_MAGIC + bytes([META_MAJOR, 0, 0, 0]) + struct.pack(
        "<II", len(records), zlib.crc32(records))


def _meta_path(odir):
    """The object's metadata file: %m.bin, else a legacy %m.json (None when neither)."""
    for name in (META_FILE, LEGACY_META_FILE):
        path = os.path.join(odir, name)
        if os.path.exists(path):
            return path
    return None


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
    """(header dict, inline tail bytes) of one drive's metadata file, None when it is
    missing, ({"corrupt": True}, b"") when it does not decode."""
    path = _meta_path(object_dir(drive, bucket, key))
    try:
        with open(path or "", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    try:
        return decode_meta(raw)
    except (ValueError, IndexError, UnicodeDecodeError):
        return {"corrupt": True}, b""


def version_of(header):
    """The drive's current version (a file may keep older ones behind it, see
    object_metadata.h MetaVersions)."""
    return header["versions"][0]


def keep_behind(new_raw, old_raw):
    """The %m.bin bytes a commit writes on a drive that held old_raw: the new version in
    front of the old file's versions, inline tails in the same order (what ErasureSet::commit
    leaves until the new version is on a write quorum). Records are spliced as they are."""
    new_head, new_tail = _split(new_raw)
    old_head, old_tail = _split(old_raw)
    records = new_head[PREAMBLE:] + old_head[PREAMBLE:]
    return encode_preamble(records) + records + new_tail + old_tail


def kept_versions(drive, bucket):
    """Metadata files under the bucket that still hold more than one version (what heal must
    settle to the winner alone)."""
    found = []
    for dirpath, _, filenames in os.walk(os.path.join(drive, bucket)):
        path = _meta_path(dirpath) if META_FILE in filenames or LEGACY_META_FILE in filenames \
            else None
        if path is None:
            continue
        try:
            with open(path, "rb") as f:
                head = decode_meta(f.read())[0]
        except (OSError, ValueError, IndexError, UnicodeDecodeError):
            continue
        if len(head.get("versions", [])) > 1:
            found.append(dirpath)
    return found


def shard_files(drive, bucket, key):
    """Paths of this drive's shard files for the object's current version (from its own
    metadata file), or [] for inline objects / missing metadata."""
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
    %m.bin (keeping the preamble and records intact so only the bitrot digests can notice).
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
        head, tail = _split(f.read())
    if not tail:
        return False
    with open(path, "wb") as f:
        f.write(head + _damage_bytes(tail, how, rng, start))
    return True


def tmp_entries(drive):
    try:
        return sorted(os.listdir(os.path.join(drive, SYS_VOLUME, "tmp")))
    except FileNotFoundError:
        return []


def orphan_data_dirs(drive, bucket):
    """Data dirs (%d.<uuid>) that no version in the drive's own metadata file in the same
    directory names: space leaked by an interrupted commit."""
    orphans = []
    base = os.path.join(drive, bucket)
    for dirpath, dirnames, filenames in os.walk(base):
        dds = [n for n in dirnames if n.startswith("%d.")]
        if not dds:
            continue
        dirnames[:] = [n for n in dirnames if not n.startswith("%d.")]
        named = set()
        path = _meta_path(dirpath)
        if path is not None:
            try:
                with open(path, "rb") as f:
                    named = {v["data_dir"] for v in decode_meta(f.read())[0]["versions"]}
            except (OSError, ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError):
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


# --- whole version lists: the versioned crash tests build and compare them -----------------

def meta_entries(raw):
    """[(record bytes, inline tail bytes, decoded version)] of a %m.bin, in file order."""
    head, tail = _split(raw)
    out, pos = [], 0
    for t, rec in _fields(head[PREAMBLE:]):
        if t != 1:
            continue
        v = _version(rec)
        size = v["inline_size"] if v["inline"] else 0
        out.append((rec, tail[pos:pos + size], v))
        pos += size
    return out


def _field(tag, value):
    def varint(n):
        b = bytearray()
        while True:
            byte = n & 0x7F
            n >>= 7
            if n:
                b.append(byte | 0x80)
            else:
                b.append(byte)
                return bytes(b)
    return varint(tag) + varint(len(value)) + value


def encode_entries(entries):
    """The %m.bin of meta_entries-style entries (record bytes spliced as they are)."""
    records = b"".join(_field(1, rec) for rec, _, _ in entries)
    return encode_preamble(records) + records + b"".join(t for _, t, _ in entries)


def read_entries(drive, bucket, key):
    """meta_entries of one drive's %m.bin, None when it is missing."""
    try:
        with open(os.path.join(object_dir(drive, bucket, key), META_FILE), "rb") as f:
            return meta_entries(f.read())
    except FileNotFoundError:
        return None


def write_entries(drive, bucket, key, entries):
    with open(os.path.join(object_dir(drive, bucket, key), META_FILE), "wb") as f:
        f.write(encode_entries(entries))


def version_identity(v):
    """What must agree between drives once a key is healed: every field but the drive's own
    erasure index and inline shard."""
    return (v["version_id"], v["mod_time"], v["etag"], v["data_dir"], v["delete_marker"],
            tuple(v["tags"]), v["retention_mode"], v["retain_until"], v["legal_hold"],
            v["size"])


def drive_versions(drive, bucket, key):
    """The identities of the versions one drive's %m.bin holds, in file order (None when the
    drive has no metadata file, "corrupt" when it does not decode)."""
    m = read_meta(drive, bucket, key)
    if m is None:
        return None
    if m[0].get("corrupt"):
        return "corrupt"
    return [version_identity(v) for v in m[0]["versions"]]
