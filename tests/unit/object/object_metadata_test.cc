// Unit tests of the object metadata: versions (with and without inline data) round trip
// through %m.bin, a legacy %m.json the previous release wrote still decodes, uploads and
// parts round trip (JSON), malformed or inconsistent records are kCorrupt, and what S3 sees.
#include <string>

#include "flashstor/object/object_metadata.h"
#include "legacy_meta.h"

#include "cmocka_cpp.h"

using flashstor::Code;
using namespace flashstor::object;

namespace {

ObjectMeta Sample() {
  ObjectMeta m;
  m.mod_time_ns = 1700000000123456789;  // needs all 64 bits: not a JSON double
  m.size = 5ull << 40;
  m.etag = "0123456789abcdef0123456789abcdef-3";
  m.content_type = "text/plain; charset=\"utf-8\"";
  m.metadata = {{"x-amz-meta-a", "1"}, {"content-encoding", "gzip"}};
  m.checksum_algo = flashstor::hash::ChecksumAlgo::kCrc32c;
  m.checksum_b64 = "AAAAAA==-3";
  m.erasure = {4, 2, 1u << 20, 3, {3, 4, 5, 6, 1, 2}};
  m.parts = {{1, 10, 10, "aa", 5, "x"}, {3, 20, 20, "bb", 6, ""}};
  m.data_dir = "0b0c6f64-5f36-4a5b-9a43-6d1e5b3f2a10";
  return m;
}

void test_object_round_trip(void**) {
  ObjectMeta m = Sample();
  auto back = DecodeObjectMeta(EncodeObjectMeta(m));
  assert_true(back.has_value());
  assert_true(back->mod_time_ns == m.mod_time_ns);
  assert_true(back->size == m.size);
  assert_true(back->etag == m.etag && back->content_type == m.content_type);
  assert_true(back->metadata == m.metadata);
  assert_true(back->checksum_algo == m.checksum_algo && back->checksum_b64 == m.checksum_b64);
  assert_true(back->erasure.distribution == m.erasure.distribution);
  assert_int_equal(back->erasure.index, 3);
  assert_int_equal(back->parts.size(), 2);
  assert_int_equal(back->parts[1].number, 3);
  assert_true(back->data_dir == m.data_dir);
  assert_false(back->inlined);
  assert_string_equal(back->version_id.c_str(), "null");
}

void test_inline_round_trip(void**) {
  ObjectMeta m = Sample();
  m.data_dir.clear();
  m.inlined = true;
  m.inline_data = std::string("\0binary\0tail", 12);
  std::string raw = EncodeObjectMeta(m);
  auto back = DecodeObjectMeta(raw);
  assert_true(back.has_value());
  assert_true(back->inline_data == m.inline_data);
  // The records alone (what a walk returns) decode too, without the data.
  auto header =
      DecodeMetaVersions(raw.substr(0, raw.size() - m.inline_data.size()), MetaDecode::kRecords);
  assert_true(header.has_value());
  assert_true(header->front().inline_data.empty());
  // A truncated tail is detected.
  assert_int_equal(DecodeObjectMeta(raw.substr(0, raw.size() - 1)).error().code(), Code::kCorrupt);
}

void test_kept_versions_round_trip(void**) {
  // A commit's file: an inline new version in front of a non-inline and an inline old one.
  ObjectMeta fresh = Sample(), dir = Sample(), old = Sample();
  fresh.data_dir.clear();
  fresh.inlined = true;
  fresh.inline_data = std::string("new\0shard", 9);
  fresh.mod_time_ns += 2;
  dir.mod_time_ns += 1;
  old.data_dir.clear();
  old.inlined = true;
  old.inline_data = "old shard bytes";
  const MetaVersions file{fresh, dir, old};
  std::string raw = EncodeMetaVersions(file);
  auto back = DecodeMetaVersions(raw);
  assert_true(back.has_value());
  assert_int_equal(back->size(), 3);
  assert_true((*back)[0].inline_data == fresh.inline_data);
  assert_true((*back)[1].inline_data.empty() && (*back)[1].data_dir == dir.data_dir);
  assert_true((*back)[2].inline_data == old.inline_data);
  assert_true(SameVersion((*back)[1], dir) && !SameVersion((*back)[1], old));
  // The current version alone, and the header alone (listing), decode too.
  auto current = DecodeObjectMeta(raw);
  assert_true(current.has_value() && current->inline_data == fresh.inline_data);
  auto header = DecodeMetaVersions(raw, MetaDecode::kRecords);
  assert_true(header.has_value() && header->size() == 3 && (*header)[2].inline_data.empty());
  // A tail that does not add up, and more versions than a file may keep, are corrupt.
  assert_int_equal(DecodeMetaVersions(raw + "x").error().code(), Code::kCorrupt);
  assert_int_equal(DecodeMetaVersions(raw.substr(0, raw.size() - 1)).error().code(),
                   Code::kCorrupt);
  MetaVersions many(kMaxFileVersions + 1, dir);
  assert_int_equal(DecodeMetaVersions(EncodeMetaVersions(many)).error().code(), Code::kCorrupt);
}

void test_rejects_malformed(void**) {
  std::string good = EncodeObjectMeta(Sample());
  for (std::string bad :
       {std::string(""), std::string("{}"), std::string("[1]"), good.substr(0, good.size() / 2)}) {
    assert_int_equal(DecodeObjectMeta(bad).error().code(), Code::kCorrupt);
  }
  ObjectMeta m = Sample();
  m.erasure.distribution = {1, 1, 2, 3, 4, 5};  // not a permutation
  assert_false(DecodeObjectMeta(EncodeObjectMeta(m)).has_value());
  m = Sample();
  m.erasure.data = 0;
  assert_false(DecodeObjectMeta(EncodeObjectMeta(m)).has_value());
  m = Sample();
  m.parts.clear();
  assert_false(DecodeObjectMeta(EncodeObjectMeta(m)).has_value());
  m = Sample();
  m.inlined = true;  // inline and a data dir at once
  assert_false(DecodeObjectMeta(EncodeObjectMeta(m)).has_value());
  m = Sample();
  m.parts[0].number = 10001;
  assert_false(DecodeObjectMeta(EncodeObjectMeta(m)).has_value());
}

// A %m.json exactly as the previous release wrote it (an inline object of 18 bytes on the
// fourth drive of four, its 21 inline bytes after the NUL; and a multipart object).
constexpr std::string_view kLegacyInline =
    R"({"format":1,"versions":[{"type":"object","version_id":"null",)"
    R"("mod_time":"1796205154648951875","size":"18","etag":"2bd5a97b3e3ac9e53a82beef904c5211",)"
    R"("content_type":"text/plain","storage_class":"STANDARD","meta":[["x-amz-meta-color",)"
    R"("blue"]],"checksum_algo":"SHA256","checksum":"lZzAhKz8+89/THUsoX8q2k2IL3r8CrFWNDxHLNFSz4Q=",)"
    R"("erasure":{"data":2,"parity":2,"block_size":"1048576","index":4,"distribution":[4,1,2,3]},)"
    R"("data_dir":"","inline":true,"inline_size":"21","parts":[{"n":1,"size":"18","actual":"18",)"
    R"("etag":"2bd5a97b3e3ac9e53a82beef904c5211","mod_time":"1796205154648951875",)"
    R"("checksum":""}]}]})";
constexpr std::string_view kLegacyTail =
    "\x84\x71\x9e\xda\xd1\x11\xa1\xfd\x03\x33\xcb\x1c\x6d\x9c\x96\x34\x90\x52\x1d\x15\xe4";
constexpr std::string_view kLegacyMultipart =
    R"({"format":1,"versions":[{"type":"object","version_id":"null",)"
    R"("mod_time":"1796205155324056950","size":"5243880",)"
    R"("etag":"8c6f96fe400c627d9394af6161f5921d-2","content_type":"","storage_class":"STANDARD",)"
    R"("meta":[],"checksum_algo":"","checksum":"","erasure":{"data":2,"parity":2,)"
    R"("block_size":"1048576","index":2,"distribution":[2,3,4,1]},)"
    R"("data_dir":"fc6af9b0-d870-42f2-b0c7-417a321f975b",)"
    R"("upload_id":"47b9cbab-30b3-46f0-ad09-948dbfe9a95d","inline":false,"inline_size":"0",)"
    R"("parts":[{"n":1,"size":"5242880","actual":"5242880","etag":"79b281060d337b9b2b84ccf390adcf74",)"
    R"("mod_time":"1796205155237952535","checksum":""},{"n":2,"size":"1000","actual":"1000",)"
    R"("etag":"c73c16de8912c313c06ac38b9961e806","mod_time":"1796205155314622939",)"
    R"("checksum":""}]}]})";

void test_legacy_json_decodes(void**) {
  const std::string file = std::string(kLegacyInline) + '\0' + std::string(kLegacyTail);
  auto v = DecodeMetaVersions(file);
  assert_true(v.has_value() && v->size() == 1);
  const ObjectMeta& m = v->front();
  assert_true(m.mod_time_ns == 1796205154648951875 && m.size == 18 && m.inlined);
  assert_true(m.metadata == (flashstor::object::Metadata{{"x-amz-meta-color", "blue"}}));
  assert_true(m.checksum_algo == flashstor::hash::ChecksumAlgo::kSha256);
  assert_true(m.erasure == (ErasureInfo{2, 2, 1u << 20, 4, {4, 1, 2, 3}}));
  assert_true(m.inline_data == kLegacyTail);
  // The tests' legacy writer (legacy_meta.h) writes what the previous release wrote.
  assert_true(flashstor::testing::LegacyMetaJson(*v) == file);
  // Migrated: its %m.bin holds the same version, field for field.
  auto migrated = DecodeMetaVersions(EncodeMetaVersions(*v));
  assert_true(migrated.has_value() && *migrated == *v);
  // A walk's entry of a legacy file is its JSON header, which decodes in every mode.
  for (MetaDecode mode : {MetaDecode::kFull, MetaDecode::kRecords, MetaDecode::kListing}) {
    auto header = DecodeMetaVersions(kLegacyInline, mode);
    assert_true(header.has_value() && header->front().inline_data.empty());
  }
  auto multi = DecodeMetaVersions(kLegacyMultipart);
  assert_true(multi.has_value());
  assert_int_equal(multi->front().parts.size(), 2);
  assert_true(multi->front().upload_id == "47b9cbab-30b3-46f0-ad09-948dbfe9a95d");
  assert_true(DecodeMetaVersions(EncodeMetaVersions(*multi)).value() == *multi);
  assert_true(flashstor::testing::LegacyMetaJson(*multi) == kLegacyMultipart);
  // Out-of-range erasure counts (cJSON saturates them to INT_MAX) are refused, not summed.
  std::string huge(kLegacyMultipart);
  huge.replace(huge.find("\"data\":2"), 8, "\"data\":99999999999");
  assert_int_equal(DecodeMetaVersions(huge).error().code(), Code::kCorrupt);
  // A legacy file whose tail does not add up is as corrupt as before.
  assert_int_equal(DecodeMetaVersions(file.substr(0, file.size() - 1)).error().code(),
                   Code::kCorrupt);
}

void test_object_info(void**) {
  ObjectMeta m = Sample();
  m.version_id = "v1";
  ObjectInfo copied = ToObjectInfo(m, "b", "k");
  assert_true(copied.etag == m.etag && copied.version_id == "v1" && copied.metadata == m.metadata);
  assert_int_equal(copied.parts.size(), 2);  // "-3": a multipart ETag
  ObjectMeta taken = m;
  ObjectInfo moved = TakeObjectInfo(taken, "b", "k");
  assert_true(moved.etag == copied.etag && moved.metadata == copied.metadata);
  assert_true(moved.content_type == copied.content_type && moved.parts.size() == 2);
  assert_true(moved.checksum_b64 == copied.checksum_b64 && moved.version_id == "v1");
  // The layout stays behind for the reader.
  assert_true(taken.parts == m.parts && taken.erasure == m.erasure && taken.size == m.size);
  m.version_id = "null";
  assert_true(ToObjectInfo(m, "b", "k").version_id.empty());
}

void test_upload_and_part_round_trip(void**) {
  UploadMeta u;
  u.bucket = "b";
  u.key = "a/b";
  u.upload_id = "0b0c6f64-5f36-4a5b-9a43-6d1e5b3f2a10";
  u.initiated_ns = 42;
  u.metadata = {{"x-amz-meta-k", "v"}};
  u.checksum_algo = flashstor::hash::ChecksumAlgo::kSha256;
  u.erasure = {2, 2, 1u << 20, 0, {2, 3, 4, 1}};
  auto back = DecodeUploadMeta(EncodeUploadMeta(u));
  assert_true(back.has_value());
  assert_true(back->key == "a/b" && back->upload_id == u.upload_id);
  assert_true(back->checksum_algo == u.checksum_algo);
  assert_true(back->erasure.distribution == u.erasure.distribution);
  PartMeta p{7, 100, 100, "abc", 99, "c2E="};
  auto pb = DecodePartMeta(EncodePartMeta(p));
  assert_true(pb.has_value());
  assert_int_equal(pb->number, 7);
  assert_true(pb->checksum_b64 == "c2E=");
  assert_int_equal(DecodePartMeta("{\"n\":0}").error().code(), Code::kCorrupt);
  assert_int_equal(DecodeUploadMeta("nope").error().code(), Code::kCorrupt);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_object_round_trip),
      cmocka_unit_test(test_inline_round_trip),
      cmocka_unit_test(test_kept_versions_round_trip),
      cmocka_unit_test(test_rejects_malformed),
      cmocka_unit_test(test_upload_and_part_round_trip),
      cmocka_unit_test(test_legacy_json_decodes),
      cmocka_unit_test(test_object_info),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
