// Unit tests of the metadata codec: object versions (with and without inline data),
// uploads and parts round trip; malformed or inconsistent records are kCorrupt.
#include <string>

#include "flashstor/object/object_metadata.h"

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
  // The header alone (what a walk returns) decodes too, without the data.
  auto header = DecodeObjectMeta(raw.substr(0, raw.find('\0')));
  assert_true(header.has_value());
  assert_true(header->inline_data.empty());
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
  auto header = DecodeMetaVersions(raw.substr(0, raw.find('\0')));
  assert_true(header.has_value() && header->size() == 3 && (*header)[2].inline_data.empty());
  // A tail that does not add up, and more versions than a file may keep, are corrupt.
  assert_int_equal(DecodeMetaVersions(raw + "x").error().code(), Code::kCorrupt);
  assert_int_equal(DecodeMetaVersions(raw.substr(0, raw.size() - 1)).error().code(),
                   Code::kCorrupt);
  MetaVersions many(kMaxKeptVersions + 1, dir);
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
      cmocka_unit_test(test_object_round_trip),          cmocka_unit_test(test_inline_round_trip),
      cmocka_unit_test(test_kept_versions_round_trip),   cmocka_unit_test(test_rejects_malformed),
      cmocka_unit_test(test_upload_and_part_round_trip),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
