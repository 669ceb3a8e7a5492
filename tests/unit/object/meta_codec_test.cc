// Unit tests of the %m.bin codec: every field round trips, unknown tags are skipped, a newer
// major version is refused, and truncated, flipped or hand-crafted malformed input is refused
// with kCorrupt (every cut point, every flipped byte of the records).
#include <isa-l/crc.h>

#include <string>

#include "flashstor/meta/meta_codec.h"
#include "flashstor/storage/storage_api.h"

#include "cmocka_cpp.h"

using flashstor::Code;
using namespace flashstor::object;

namespace {

constexpr size_t kPre = flashstor::storage::kMetaPreambleSize;

ObjectMeta Full() {
  ObjectMeta m;
  m.version_id = "3f1c9a0e-5b7d-4c2e-9f10-6a8b7c6d5e4f";
  m.mod_time_ns = 1700000000123456789;
  m.size = 5ull << 40;
  m.etag = "0123456789abcdef0123456789abcdef-3";
  m.content_type = "text/plain; charset=\"utf-8\"";
  m.storage_class = "REDUCED_REDUNDANCY";
  m.metadata = {{"x-amz-meta-a", "1"}, {"content-encoding", "gzip"}, {"x-amz-meta-e", ""}};
  m.checksum_algo = flashstor::hash::ChecksumAlgo::kCrc64Nvme;
  m.checksum_b64 = "AAAAAAAAAAA=-3";
  m.erasure = {12, 4, 1u << 20, 7, {7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 1, 2, 3, 4, 5, 6}};
  m.parts = {{1, 10, 11, "aa", 5, "x"}, {3, 20, 20, "bb", -6, ""}, {10000, 0, 0, "", 0, ""}};
  m.data_dir = "0b0c6f64-5f36-4a5b-9a43-6d1e5b3f2a10";
  m.upload_id = "47b9cbab-30b3-46f0-ad09-948dbfe9a95d";
  m.tags = {{"project", "flashstor"}, {"empty", ""}, {"project", "again"}};
  m.retention_mode = RetentionMode::kCompliance;
  m.retain_until_ns = 1800000000000000000;
  m.legal_hold = true;
  return m;
}

ObjectMeta Inline(std::string data) {
  ObjectMeta m;
  m.mod_time_ns = 42;
  m.size = 3;
  m.etag = "e";
  m.erasure = {2, 2, 1u << 20, 1, {1, 2, 3, 4}};
  m.parts = {{1, 3, 3, "e", 42, ""}};
  m.inlined = true;
  m.inline_data = std::move(data);
  return m;
}

std::string Varint(uint64_t v) {
  std::string s;
  for (; v >= 0x80; v >>= 7) s.push_back(static_cast<char>(v | 0x80));
  s.push_back(static_cast<char>(v));
  return s;
}

std::string Field(uint64_t tag, std::string_view value) {
  return Varint(tag) + Varint(value.size()) + std::string(value);
}

// A file around hand-made records (correct length and checksum), with a given major version.
std::string File(std::string_view records, std::string_view tail = "", uint8_t major = 1) {
  std::string out = "FSMD";
  out.push_back(static_cast<char>(major));
  out.append(3, '\0');
  auto u32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
  };
  u32(static_cast<uint32_t>(records.size()));
  u32(crc32_gzip_refl(0, reinterpret_cast<const unsigned char*>(records.data()), records.size()));
  out.append(records);
  out.append(tail);
  return out;
}

std::string_view Records(std::string_view file) {
  return file.substr(kPre, file.size() - kPre);
}

// The fields of the single version record of an encoded one-version file.
std::string VersionFields(const ObjectMeta& m) {
  std::string raw = EncodeBinaryMeta(std::span<const ObjectMeta>(&m, 1));
  std::string_view rec = Records(raw);
  assert_int_equal(rec[0], 1);  // top-level tag 1
  rec.remove_prefix(1);
  uint64_t len = 0;
  for (int shift = 0;; shift += 7) {
    auto b = static_cast<uint8_t>(rec[0]);
    rec.remove_prefix(1);
    len |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) break;
  }
  assert_int_equal(len, rec.size() - m.inline_data.size());  // the tail follows
  return std::string(rec.substr(0, len));
}

Code DecodeCode(std::string_view raw, MetaDecode mode = MetaDecode::kFull) {
  auto r = DecodeBinaryMeta(raw, mode);
  return r ? Code::kOk : r.error().code();
}

void test_every_field_round_trips(void**) {
  const MetaVersions file{Full(), Inline(std::string("\0tail\0", 6)), Inline("second")};
  std::string raw = EncodeBinaryMeta(file);
  assert_true(IsBinaryMeta(raw));
  auto back = DecodeBinaryMeta(raw);
  assert_true(back.has_value());
  assert_true(*back == file);
  // A version with every field at its default but the required ones also round trips, and
  // the defaults cost no bytes.
  ObjectMeta plain = Inline("");
  auto again = DecodeBinaryMeta(EncodeBinaryMeta(std::span<const ObjectMeta>(&plain, 1)));
  assert_true(again.has_value() && again->front() == plain);
  assert_true(again->front().version_id == "null" && again->front().storage_class == "STANDARD");
  // A delete marker needs no erasure layout, parts or data.
  ObjectMeta marker;
  marker.delete_marker = true;
  marker.mod_time_ns = 7;
  marker.version_id = "v2";
  const MetaVersions with_marker{marker, Full()};
  auto m = DecodeBinaryMeta(EncodeBinaryMeta(with_marker));
  assert_true(m.has_value() && *m == with_marker);
  // Encoding is deterministic: heal compares files byte for byte.
  assert_true(EncodeBinaryMeta(file) == raw);
}

void test_partial_decodes(void**) {
  const MetaVersions file{Inline("new shard"), Full(), Inline("old shard")};
  std::string raw = EncodeBinaryMeta(file);
  // What a walk returns: the preamble and the records, never the inline bytes.
  const uint32_t len = static_cast<uint8_t>(raw[8]) | static_cast<uint8_t>(raw[9]) << 8;
  std::string walked = raw.substr(0, kPre + len);
  assert_true(walked.size() + 18 == raw.size());
  for (std::string_view in : {std::string_view(raw), std::string_view(walked)}) {
    auto records = DecodeBinaryMeta(in, MetaDecode::kRecords);
    assert_true(records.has_value() && records->size() == 3);
    assert_true((*records)[0].inline_data.empty() && (*records)[2].inline_data.empty());
    assert_true((*records)[1].parts == file[1].parts && (*records)[1].tags == file[1].tags);
    auto listing = DecodeBinaryMeta(in, MetaDecode::kListing);
    assert_true(listing.has_value() && listing->size() == 3);
    const ObjectMeta& l = (*listing)[1];
    assert_true(l.parts.empty() && l.metadata.empty() && l.tags.empty());
    assert_true(l.etag == file[1].etag && l.size == file[1].size);
    assert_true(SameVersion(l, file[1]) && l.erasure == file[1].erasure);
  }
  // The whole file is required when asked for.
  assert_int_equal(DecodeCode(walked), Code::kCorrupt);
}

void test_unknown_tags_skipped(void**) {
  ObjectMeta m = Full();
  std::string fields = VersionFields(m);
  // Fields a newer minor version added, inside the version and beside it, some with nested
  // records and multi-byte tags; and a bumped minor version number.
  std::string future = Field(61, Varint(5)) + Field(300, Field(1, "x") + Field(2, "y"));
  std::string records = Field(999, "top-level news") + Field(1, future + fields + future);
  std::string raw = File(records + Field(2, ""));
  raw[5] = 9;  // minor version
  auto back = DecodeBinaryMeta(raw);
  assert_true(back.has_value());
  assert_int_equal(back->size(), 1);
  assert_true(back->front() == m);
}

void test_newer_major_refused(void**) {
  ObjectMeta m = Full();
  std::string raw = EncodeBinaryMeta(std::span<const ObjectMeta>(&m, 1));
  raw[4] = 2;
  auto r = DecodeBinaryMeta(raw);
  assert_false(r.has_value());
  assert_int_equal(r.error().code(), Code::kNotImplemented);
  assert_true(r.error().message().find("newer") != std::string_view::npos);
  raw[4] = 0;
  assert_int_equal(DecodeCode(raw), Code::kCorrupt);
}

void test_truncation_refused_at_every_cut(void**) {
  const MetaVersions file{Full(), Inline("inline shard bytes")};
  std::string raw = EncodeBinaryMeta(file);
  for (size_t cut = 0; cut < raw.size(); ++cut) {
    assert_int_equal(DecodeCode(raw.substr(0, cut)), Code::kCorrupt);
  }
  assert_int_equal(DecodeCode(raw + "x"), Code::kCorrupt);  // trailing bytes
  // kRecords accepts any cut at or after the records' end, none before it.
  const size_t end = raw.size() - file[1].inline_data.size();
  for (size_t cut = 0; cut < raw.size(); ++cut) {
    const Code want = cut >= end ? Code::kOk : Code::kCorrupt;
    assert_int_equal(DecodeCode(raw.substr(0, cut), MetaDecode::kRecords), want);
  }
}

void test_garbage_refused(void**) {
  ObjectMeta m = Full();
  std::string raw = EncodeBinaryMeta(std::span<const ObjectMeta>(&m, 1));
  // Any flipped byte of the preamble (but the minor version and reserved bytes) or the
  // records is caught: magic, version, length or checksum.
  for (size_t i = 0; i < raw.size(); ++i) {
    if (i >= 5 && i < 8) continue;
    std::string bad = raw;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    assert_int_equal(DecodeCode(bad), Code::kCorrupt);
  }
  for (std::string_view junk : {"", "FSMD", "{}", "\x89PNG\r\n\x1a\n........", "FSMD\1\0\0\0"}) {
    assert_int_equal(DecodeCode(junk), Code::kCorrupt);
  }
}

void test_malformed_records_refused(void**) {
  const std::string good = VersionFields(Inline("abc"));
  assert_int_equal(DecodeCode(File(Field(1, good), "abc")), Code::kOk);
  const std::string_view bad_records[] = {
      "",      // no version
      "\x01",  // tag without a length
      "\x01\x05"
      "abc",                                           // length beyond the records
      "\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f",  // length beyond 64 bits
  };
  for (std::string_view r : bad_records) assert_int_equal(DecodeCode(File(r)), Code::kCorrupt);
  // Inside a version: a field longer than its record, a varint that does not fill its field,
  // out-of-range values, a missing required field, inconsistent flags.
  const std::string versions[] = {
      good + "\x04\x7f",                          // etag of 127 bytes, none there
      good + Field(3, Varint(1) + "x"),           // size with a trailing byte
      good + Field(14, Varint(2)),                // inlined = 2
      good + Field(8, Varint(6)),                 // unknown checksum algorithm
      good + Field(18, Varint(3)),                // unknown retention mode
      good + Field(11, Field(1, Varint(0))),      // part number 0
      good + Field(11, Field(1, Varint(10001))),  // part number 10001
      good + Field(11, Field(2, Varint(1))),      // part without a number
      good + Field(10, Field(1, Varint(2))),      // erasure without block size etc.
      good + Field(10, Field(1, Varint(2)) + Field(2, Varint(2)) + Field(3, Varint(1 << 20)) +
                           Field(5, std::string("\1\1\2\3", 4))),  // not a permutation
      good + Field(10, Field(1, Varint(0)) + Field(2, Varint(2)) + Field(3, Varint(1 << 20)) +
                           Field(5, std::string("\1\2", 2))),  // no data shard
      good + Field(12, "dir"),                                 // inline and a data dir
      good + Field(16, Varint(1)),                             // a delete marker with parts
      good + Field(15, Varint(1000)),                          // more inline bytes than the tail
      Field(3, Varint(1)),                                     // no mod time, erasure or parts
  };
  for (const std::string& v : versions) {
    assert_int_equal(DecodeCode(File(Field(1, v), "abc")), Code::kCorrupt);
  }
  // More versions than a file may keep.
  std::string many;
  for (size_t i = 0; i <= kMaxFileVersions; ++i) many += Field(1, VersionFields(Full()));
  assert_int_equal(DecodeCode(File(many)), Code::kCorrupt);
  // A tail that does not add up.
  assert_int_equal(DecodeCode(File(Field(1, good), "ab")), Code::kCorrupt);
  assert_int_equal(DecodeCode(File(Field(1, good), "abcd")), Code::kCorrupt);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_field_round_trips),
      cmocka_unit_test(test_partial_decodes),
      cmocka_unit_test(test_unknown_tags_skipped),
      cmocka_unit_test(test_newer_major_refused),
      cmocka_unit_test(test_truncation_refused_at_every_cut),
      cmocka_unit_test(test_garbage_refused),
      cmocka_unit_test(test_malformed_records_refused),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
