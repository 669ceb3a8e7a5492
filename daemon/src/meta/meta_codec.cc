// The %m.bin codec (meta_codec.h): a hand-written tag-length-value encoding with bounds
// checked on every field, so a torn, corrupt or hostile file is refused, never half-trusted.
#include "flashstor/meta/meta_codec.h"

#include <isa-l/crc.h>

#include <array>

namespace flashstor::object {
namespace {

// Field tags: stored on disk, never renumber. Absent fields take the default in brackets.
enum TopTag : uint64_t { kTopVersion = 1 };  // one version, current first (at least one)
enum VersionTag : uint64_t {
  kVersionId = 1,      // string ["null"]
  kModTime = 2,        // signed, required
  kSize = 3,           // unsigned [0]
  kEtag = 4,           // string [""]
  kContentType = 5,    // string [""]
  kStorageClass = 6,   // string ["STANDARD"]
  kUserMeta = 7,       // pair record, repeated in order [none]
  kChecksumAlgo = 8,   // unsigned code (kAlgoCodes) [0 = none]
  kChecksum = 9,       // string [""]
  kErasure = 10,       // erasure record, required unless a delete marker
  kPart = 11,          // part record, repeated in order; at least one unless a delete marker
  kDataDir = 12,       // string [""]
  kUploadId = 13,      // string [""]
  kInlined = 14,       // bool [false]
  kInlineSize = 15,    // unsigned: this version's bytes in the tail [0]
  kDeleteMarker = 16,  // bool [false]
  kTag = 17,           // pair record, repeated in order [none]
  kRetention = 18,     // unsigned RetentionMode [0 = none]
  kRetainUntil = 19,   // signed [0]
  kLegalHold = 20,     // bool [false]
  kActualSize = 21,    // unsigned: the client's bytes of transformed (encrypted) data [absent]
};
enum PairTag : uint64_t { kPairName = 1, kPairValue = 2 };  // strings [""]
enum ErasureTag : uint64_t {
  kData = 1,          // unsigned, required
  kParity = 2,        // unsigned [0]
  kBlockSize = 3,     // unsigned, required
  kIndex = 4,         // unsigned [0]
  kDistribution = 5,  // one byte per set drive: its 1-based shard index, required
};
enum PartTag : uint64_t {
  kPartNumber = 1,    // unsigned, required
  kPartSize = 2,      // unsigned [0]
  kPartActual = 3,    // unsigned [0]
  kPartEtag = 4,      // string [""]
  kPartModTime = 5,   // signed [0]
  kPartChecksum = 6,  // string [""]
};

constexpr std::string_view kDefaultVersionId = "null";
constexpr std::string_view kDefaultStorageClass = "STANDARD";
constexpr size_t kPreamble = kMetaPreambleSize;
static_assert(kMetaRecordsLenOffset == 8);

// Stored codes of the checksum algorithms, by position.
constexpr std::array<hash::ChecksumAlgo, 6> kAlgoCodes = {
    hash::ChecksumAlgo::kNone,      hash::ChecksumAlgo::kCrc32, hash::ChecksumAlgo::kCrc32c,
    hash::ChecksumAlgo::kCrc64Nvme, hash::ChecksumAlgo::kSha1,  hash::ChecksumAlgo::kSha256};

uint64_t AlgoCode(hash::ChecksumAlgo algo) {
  for (size_t i = 0; i < kAlgoCodes.size(); ++i) {
    if (kAlgoCodes[i] == algo) return i;
  }
  return 0;
}

uint32_t Crc(std::string_view data) {
  // ISA-L's crc32_gzip_refl is zlib's crc32 (tests/fault reads it with Python's zlib).
  return crc32_gzip_refl(0, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

void PutU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}

uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

size_t PutVarint(char* out, uint64_t v) {
  size_t n = 0;
  for (; v >= 0x80; v >>= 7) out[n++] = static_cast<char>(v | 0x80);
  out[n++] = static_cast<char>(v);
  return n;
}

bool GetLongVarint(std::string_view& in, uint64_t& v) {
  uint64_t r = 0;
  for (size_t i = 0; i < in.size() && i < 10; ++i) {
    const auto b = static_cast<uint8_t>(in[i]);
    if (i == 9 && b > 1) return false;  // beyond 64 bits
    r |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      in.remove_prefix(i + 1);
      v = r;
      return true;
    }
  }
  return false;
}

// Consumes one varint (at most 10 bytes, at most 64 bits) from the front of in. Tags,
// lengths and most values fit one byte: that case stays inline.
inline bool GetVarint(std::string_view& in, uint64_t& v) {
  if (!in.empty() && static_cast<uint8_t>(in[0]) < 0x80) {
    v = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    return true;
  }
  return GetLongVarint(in, v);
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// Appends fields to a buffer. A nested record is written in place behind a one-byte length,
// which close() widens when the record turned out longer (a short move of its bytes).
class FieldWriter {
 public:
  explicit FieldWriter(std::string& out) : out_(out) {}

  void uint(uint64_t tag, uint64_t v) {
    char buf[10];
    size_t n = PutVarint(buf, v);
    head(tag, n);
    out_.append(buf, n);
  }
  void sint(uint64_t tag, int64_t v) { uint(tag, ZigZag(v)); }
  void boolean(uint64_t tag, bool v) { uint(tag, v ? 1 : 0); }
  void bytes(uint64_t tag, std::string_view v) {
    head(tag, v.size());
    out_.append(v);
  }
  void pair(uint64_t tag, std::string_view name, std::string_view value) {
    size_t r = open(tag);
    bytes(kPairName, name);
    bytes(kPairValue, value);
    close(r);
  }
  size_t open(uint64_t tag) {
    head(tag, 0);
    return out_.size();
  }
  void close(size_t start) {
    char buf[10];
    size_t n = PutVarint(buf, out_.size() - start);
    out_.replace(start - 1, 1, buf, n);
  }

 private:
  void head(uint64_t tag, uint64_t len) {
    char buf[20];
    size_t n = PutVarint(buf, tag);
    n += PutVarint(buf + n, len);
    out_.append(buf, n);
  }
  std::string& out_;
};

// Reads fields from a record; every length is checked against the bytes left.
class FieldReader {
 public:
  explicit FieldReader(std::string_view in) : in_(in) {}
  // The next field; false at the end or when malformed (then ok() is false).
  bool next(uint64_t& tag, std::string_view& value) {
    if (in_.empty()) return false;
    uint64_t len = 0;
    if (!GetVarint(in_, tag) || !GetVarint(in_, len) || len > in_.size()) {
      bad_ = true;
      return false;
    }
    value = in_.substr(0, len);
    in_.remove_prefix(len);
    return true;
  }
  bool ok() const { return !bad_; }

 private:
  std::string_view in_;
  bool bad_ = false;
};

bool Uint(std::string_view v, uint64_t& out) {
  return GetVarint(v, out) && v.empty();
}

template <typename T>
bool Bounded(std::string_view v, uint64_t max, T& out) {
  uint64_t u = 0;
  if (!Uint(v, u) || u > max) return false;
  out = static_cast<T>(u);
  return true;
}

bool Sint(std::string_view v, int64_t& out) {
  uint64_t u = 0;
  if (!Uint(v, u)) return false;
  out = UnZigZag(u);
  return true;
}

bool Bool(std::string_view v, bool& out) {
  uint64_t u = 0;
  if (!Uint(v, u) || u > 1) return false;
  out = u == 1;
  return true;
}

bool DecodePair(std::string_view rec, std::pair<std::string, std::string>& out) {
  FieldReader r(rec);
  uint64_t tag = 0;
  std::string_view v;
  while (r.next(tag, v)) {
    if (tag == kPairName) out.first.assign(v);
    if (tag == kPairValue) out.second.assign(v);
  }
  return r.ok();
}

bool ValidErasure(const ErasureInfo& e) {
  const int total = e.data + e.parity;
  if (e.data < 1 || e.parity < 0 || total > 32 || e.block_size == 0 || e.block_size > (64u << 20) ||
      static_cast<int>(e.distribution.size()) != total || e.index < 0 || e.index > total) {
    return false;
  }
  uint64_t seen = 0;
  for (int v : e.distribution) {
    if (v < 1 || v > total || (seen >> v & 1) != 0) return false;
    seen |= uint64_t{1} << v;
  }
  return true;
}

bool DecodeErasure(std::string_view rec, ErasureInfo& e) {
  FieldReader r(rec);
  uint64_t tag = 0;
  std::string_view v;
  bool data = false, block = false, dist = false;
  while (r.next(tag, v)) {
    bool ok = true;
    switch (tag) {
      case kData:
        ok = data = Bounded(v, 32, e.data);
        break;
      case kParity:
        ok = Bounded(v, 32, e.parity);
        break;
      case kBlockSize:
        ok = block = Uint(v, e.block_size);
        break;
      case kIndex:
        ok = Bounded(v, 32, e.index);
        break;
      case kDistribution:
        dist = true;
        e.distribution.assign(v.begin(), v.end());  // bytes 1..32, checked below
        break;
      default:
        break;
    }
    if (!ok) return false;
  }
  return r.ok() && data && block && dist && ValidErasure(e);
}

bool DecodePart(std::string_view rec, PartMeta& p) {
  FieldReader r(rec);
  uint64_t tag = 0;
  std::string_view v;
  bool number = false;
  while (r.next(tag, v)) {
    bool ok = true;
    switch (tag) {
      case kPartNumber:
        ok = number = Bounded(v, 10000, p.number) && p.number >= 1;
        break;
      case kPartSize:
        ok = Uint(v, p.size);
        break;
      case kPartActual:
        ok = Uint(v, p.actual_size);
        break;
      case kPartEtag:
        p.etag.assign(v);
        break;
      case kPartModTime:
        ok = Sint(v, p.mod_time_ns);
        break;
      case kPartChecksum:
        p.checksum_b64.assign(v);
        break;
      default:
        break;
    }
    if (!ok) return false;
  }
  return r.ok() && number;
}

// One version record; inline_size: its bytes in the tail.
bool DecodeVersion(std::string_view rec, MetaDecode mode, ObjectMeta& m, uint64_t& inline_size) {
  m.version_id = kDefaultVersionId;
  m.storage_class = kDefaultStorageClass;
  const bool whole = mode != MetaDecode::kListing;
  FieldReader r(rec);
  uint64_t tag = 0;
  std::string_view v;
  bool mod_time = false, erasure = false;
  size_t parts = 0;
  while (r.next(tag, v)) {
    bool ok = true;
    switch (tag) {
      case kVersionId:
        m.version_id.assign(v);
        break;
      case kModTime:
        ok = mod_time = Sint(v, m.mod_time_ns);
        break;
      case kSize:
        ok = Uint(v, m.size);
        break;
      case kEtag:
        m.etag.assign(v);
        break;
      case kContentType:
        m.content_type.assign(v);
        break;
      case kStorageClass:
        m.storage_class.assign(v);
        break;
      case kUserMeta:
        ok = !whole || DecodePair(v, m.metadata.emplace_back());
        break;
      case kChecksumAlgo: {
        size_t code = 0;
        ok = Bounded(v, kAlgoCodes.size() - 1, code);
        m.checksum_algo = kAlgoCodes[code];
        break;
      }
      case kChecksum:
        m.checksum_b64.assign(v);
        break;
      case kErasure:
        m.erasure = ErasureInfo{0, 0, 0, 0, {}};
        ok = erasure = DecodeErasure(v, m.erasure);
        break;
      case kPart:
        ok = ++parts <= 10000 && (!whole || DecodePart(v, m.parts.emplace_back()));
        break;
      case kDataDir:
        m.data_dir.assign(v);
        break;
      case kUploadId:
        m.upload_id.assign(v);
        break;
      case kInlined:
        ok = Bool(v, m.inlined);
        break;
      case kInlineSize:
        ok = Uint(v, inline_size);
        break;
      case kDeleteMarker:
        ok = Bool(v, m.delete_marker);
        break;
      case kTag:
        ok = !whole || DecodePair(v, m.tags.emplace_back());
        break;
      case kRetention: {
        uint8_t mode_code = 0;
        ok = Bounded(v, 2, mode_code);
        m.retention_mode = static_cast<RetentionMode>(mode_code);
        break;
      }
      case kRetainUntil:
        ok = Sint(v, m.retain_until_ns);
        break;
      case kLegalHold:
        ok = Bool(v, m.legal_hold);
        break;
      case kActualSize:
        ok = Uint(v, m.actual_size.emplace());
        break;
      default:
        break;  // a field of a newer minor version
    }
    if (!ok) return false;
  }
  if (!r.ok() || !mod_time || (!m.inlined && inline_size != 0)) return false;
  if (m.delete_marker) return parts == 0 && !m.inlined && m.data_dir.empty();
  return erasure && parts > 0 && m.inlined != !m.data_dir.empty();
}

void EncodeVersion(FieldWriter& w, const ObjectMeta& m) {
  w.bytes(kVersionId, m.version_id);
  w.sint(kModTime, m.mod_time_ns);
  w.uint(kSize, m.size);
  w.bytes(kEtag, m.etag);
  if (!m.content_type.empty()) w.bytes(kContentType, m.content_type);
  if (m.storage_class != kDefaultStorageClass) w.bytes(kStorageClass, m.storage_class);
  for (const auto& [name, value] : m.metadata) w.pair(kUserMeta, name, value);
  if (m.checksum_algo != hash::ChecksumAlgo::kNone) {
    w.uint(kChecksumAlgo, AlgoCode(m.checksum_algo));
  }
  if (!m.checksum_b64.empty()) w.bytes(kChecksum, m.checksum_b64);
  if (!m.delete_marker || !m.erasure.distribution.empty()) {
    const ErasureInfo& e = m.erasure;
    size_t r = w.open(kErasure);
    w.uint(kData, static_cast<uint64_t>(e.data));
    w.uint(kParity, static_cast<uint64_t>(e.parity));
    w.uint(kBlockSize, e.block_size);
    w.uint(kIndex, static_cast<uint64_t>(e.index));
    std::string dist(e.distribution.begin(), e.distribution.end());
    w.bytes(kDistribution, dist);
    w.close(r);
  }
  for (const PartMeta& p : m.parts) {
    size_t r = w.open(kPart);
    w.uint(kPartNumber, static_cast<uint64_t>(p.number));
    w.uint(kPartSize, p.size);
    w.uint(kPartActual, p.actual_size);
    w.bytes(kPartEtag, p.etag);
    w.sint(kPartModTime, p.mod_time_ns);
    if (!p.checksum_b64.empty()) w.bytes(kPartChecksum, p.checksum_b64);
    w.close(r);
  }
  if (!m.data_dir.empty()) w.bytes(kDataDir, m.data_dir);
  if (!m.upload_id.empty()) w.bytes(kUploadId, m.upload_id);
  if (m.inlined) {
    w.boolean(kInlined, true);
    w.uint(kInlineSize, m.inline_data.size());
  }
  if (m.delete_marker) w.boolean(kDeleteMarker, true);
  for (const auto& [name, value] : m.tags) w.pair(kTag, name, value);
  if (m.retention_mode != RetentionMode::kNone) {
    w.uint(kRetention, static_cast<uint64_t>(m.retention_mode));
  }
  if (m.retain_until_ns != 0) w.sint(kRetainUntil, m.retain_until_ns);
  if (m.legal_hold) w.boolean(kLegalHold, true);
  if (m.actual_size) w.uint(kActualSize, *m.actual_size);
}

}  // namespace

bool IsBinaryMeta(std::string_view raw) {
  return raw.starts_with(kMetaMagic);
}

std::string EncodeBinaryMeta(std::span<const ObjectMeta> versions) {
  std::string out(kPreamble, '\0');
  out.replace(0, kMetaMagic.size(), kMetaMagic);
  out[4] = static_cast<char>(kMetaMajor);
  out[5] = static_cast<char>(kMetaMinor);
  FieldWriter w(out);
  for (const ObjectMeta& m : versions) {
    size_t r = w.open(kTopVersion);
    EncodeVersion(w, m);
    w.close(r);
  }
  const std::string_view records = std::string_view(out).substr(kPreamble);
  PutU32(out.data() + 8, static_cast<uint32_t>(records.size()));
  PutU32(out.data() + 12, Crc(records));
  for (const ObjectMeta& m : versions) {
    if (m.inlined) out += m.inline_data;
  }
  return out;
}

Result<MetaVersions> DecodeBinaryMeta(std::string_view raw, MetaDecode mode) {
  if (raw.size() < kPreamble) return Err(Code::kCorrupt, "metadata truncated in its preamble");
  if (!IsBinaryMeta(raw)) return Err(Code::kCorrupt, "metadata has no FSMD magic");
  const auto major = static_cast<uint8_t>(raw[4]);
  if (major > kMetaMajor) {
    return Err(Code::kNotImplemented,
               "metadata written by a newer flashstor (format major version > 1)");
  }
  if (major != kMetaMajor) return Err(Code::kCorrupt, "metadata format major version 0");
  const uint32_t len = GetU32(raw.data() + 8);
  if (len > raw.size() - kPreamble) return Err(Code::kCorrupt, "metadata records truncated");
  const std::string_view records = raw.substr(kPreamble, len);
  std::string_view tail = raw.substr(kPreamble + len);
  if (Crc(records) != GetU32(raw.data() + 12)) {
    return Err(Code::kCorrupt, "metadata records fail their checksum");
  }
  MetaVersions out;
  std::vector<uint64_t> inline_sizes;
  FieldReader r(records);
  uint64_t tag = 0;
  std::string_view v;
  while (r.next(tag, v)) {
    if (tag != kTopVersion) continue;
    if (out.size() == kMaxFileVersions)
      return Err(Code::kCorrupt, "metadata has too many versions");
    const size_t i = out.size();
    inline_sizes.push_back(0);
    if (!DecodeVersion(v, mode, out.emplace_back(), inline_sizes[i])) {
      return Err(Code::kCorrupt, "metadata version record malformed");
    }
  }
  if (!r.ok()) return Err(Code::kCorrupt, "metadata records malformed");
  if (out.empty()) return Err(Code::kCorrupt, "metadata has no versions");
  if (mode != MetaDecode::kFull) return out;
  for (size_t i = 0; i < out.size(); ++i) {
    if (inline_sizes[i] > tail.size()) return Err(Code::kCorrupt, "inline data truncated");
    out[i].inline_data.assign(tail.substr(0, inline_sizes[i]));
    tail.remove_prefix(inline_sizes[i]);
  }
  if (!tail.empty()) return Err(Code::kCorrupt, "trailing bytes after inline data");
  return out;
}

}  // namespace flashstor::object
