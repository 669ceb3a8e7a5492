// Unit tests of the erasure engine on 1, 4, 6 and 16 drives: PUT/GET round trips at every
// size boundary (empty, inline threshold, block), ranges, HEAD, overwrite, delete, buckets
// and request validation.
#include <dirent.h>
#include <openssl/evp.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "engine_test_util.h"
#include "flashstor/object/set_layout.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::testing;
using object::ErasureSets;

namespace {

constexpr uint64_t kBlock = 1u << 20;
constexpr uint64_t kInline = 128u << 10;

std::string Md5Hex(std::string_view data) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), d, &len, EVP_md5(), nullptr);
  return hash::HexEncode({d, len});
}

void ExpectRead(ErasureSets& e, const std::string& key, const std::string& data, uint64_t off,
                uint64_t len) {
  auto got = Get(e, "bucket", key, off, static_cast<int64_t>(len));
  assert_true(got.has_value());
  assert_int_equal(got->size(), len);
  assert_true(*got == data.substr(off, len));
}

// Entries of a directory (0 when it is missing).
int CountEntries(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return 0;
  int n = 0;
  while (dirent* e = readdir(d))
    n += std::string_view(e->d_name) != "." && std::string_view(e->d_name) != "..";
  closedir(d);
  return n;
}

void RoundTrip(int drives) {
  TempDir dir;
  auto e = MustOpen(MakeDrives(dir, drives), TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  const uint64_t sizes[] = {0,          1,      kInline - 1, kInline,           kInline + 1,
                            kBlock - 1, kBlock, kBlock + 1,  3 * kBlock + 12345};
  uint32_t seed = 1;
  for (uint64_t size : sizes) {
    std::string data = RandomData(size, seed++);
    std::string key = "dir/obj-" + std::to_string(size);
    object::PutOptions opt;
    opt.content_type = "application/x-test";
    opt.metadata = {{"x-amz-meta-color", "blue"}};
    auto info = Put(*e, "bucket", key, data, opt);
    assert_true(info.has_value());
    assert_int_equal(info->size, size);
    assert_string_equal(info->etag.c_str(), Md5Hex(data).c_str());
    auto head = e->get_object_info({}, "bucket", key);
    assert_true(head.has_value());
    assert_int_equal(head->size, size);
    assert_string_equal(head->etag.c_str(), info->etag.c_str());
    assert_string_equal(head->content_type.c_str(), "application/x-test");
    assert_int_equal(head->metadata.size(), 1);
    assert_int_equal(head->mod_time_ns, info->mod_time_ns);
    auto all = Get(*e, "bucket", key);
    assert_true(all.has_value());
    assert_true(*all == data);
    if (size == 0) continue;
    ExpectRead(*e, key, data, 0, 1);         // first byte
    ExpectRead(*e, key, data, size - 1, 1);  // last byte
    if (size > kBlock)
      ExpectRead(*e, key, data, kBlock - 10,
                 std::min<uint64_t>(20, size - kBlock + 10));  // across a block boundary
    if (size > 3 * kBlock) ExpectRead(*e, key, data, kBlock / 2, 2 * kBlock);
  }
}

void test_round_trip_1_drive(void**) {
  RoundTrip(1);
}
void test_round_trip_4_drives(void**) {
  RoundTrip(4);
}
void test_round_trip_6_drives(void**) {
  RoundTrip(6);
}
void test_round_trip_16_drives(void**) {
  RoundTrip(16);
}

void test_overwrite_and_delete(void**) {
  TempDir dir;
  auto paths = MakeDrives(dir, 4);
  auto e = MustOpen(paths, TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  std::string big = RandomData(2 * kBlock + 5, 9);
  assert_true(Put(*e, "bucket", "k", big).has_value());
  auto reader = e->open_object({}, "bucket", "k");  // opened before the overwrite
  assert_true(reader.has_value());
  std::string small = "small now";
  // The overwrite does not wait for the reader opened earlier (it holds no lock), and the
  // reader still returns the old bytes whole: the old data dir waits in the trash.
  assert_true(Put(*e, "bucket", "k", small).has_value());
  auto old = ReadAll(**reader);
  assert_true(old.has_value());
  assert_true(*old == big);
  assert_true(*Get(*e, "bucket", "k") == small);
  // The old data dir left the object directory (only %m.bin remains) for the trash.
  for (const auto& p : paths) {
    assert_int_equal(CountEntries(p + "/bucket/k"), 1);
    assert_int_equal(CountEntries(p + "/.flashstor.sys/trash"), 1);
  }
  assert_true(e->delete_object({}, "bucket", "k").ok());
  assert_int_equal(e->get_object_info({}, "bucket", "k").error().code(), Code::kNoSuchKey);
  assert_int_equal(e->open_object({}, "bucket", "k").error().code(), Code::kNoSuchKey);
  assert_true(e->delete_object({}, "bucket", "k").ok());  // missing key: fine
  for (const auto& p : paths) {
    struct stat st {};
    assert_int_not_equal(::stat((p + "/bucket/k").c_str(), &st), 0);  // pruned
  }
  // Nested keys: deleting "a" keeps "a/b".
  assert_true(Put(*e, "bucket", "a", "1").has_value());
  assert_true(Put(*e, "bucket", "a/b", "2").has_value());
  assert_true(e->delete_object({}, "bucket", "a").ok());
  assert_true(*Get(*e, "bucket", "a/b") == "2");
}

// A drive that lost a bucket's folder: writes do not re-create it (that would resurrect a
// deleted bucket), heal does, and rebuilds the object's shard there.
void test_heal_recreates_a_lost_bucket_folder(void**) {
  TempDir dir;
  auto paths = MakeDrives(dir, 4);
  auto e = MustOpen(paths, TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  RemoveAll(paths[0] + "/bucket");
  std::string data = RandomData(300 * 1024, 5);
  assert_true(Put(*e, "bucket", "k", data).has_value());
  assert_false(FileExists(paths[0] + "/bucket"));
  object::HealResult r = e->heal_object({}, "bucket", "k");
  assert_true(r.status.ok());
  assert_true(FileExists(paths[0] + "/bucket/k/%m.bin"));
  assert_true(*Get(*e, "bucket", "k") == data);
}

void test_buckets(void**) {
  TempDir dir;
  auto e = MustOpen(MakeDrives(dir, 4), TestConfig());
  assert_true(e->make_bucket({}, "alpha").ok());
  assert_int_equal(e->make_bucket({}, "alpha").code(), Code::kBucketExists);
  assert_int_equal(e->make_bucket({}, "Bad_Name").code(), Code::kInvalidBucketName);
  assert_int_equal(e->make_bucket({}, "ab").code(), Code::kInvalidBucketName);
  assert_true(e->make_bucket({}, "beta").ok());
  auto info = e->get_bucket_info({}, "alpha");
  assert_true(info.has_value());
  assert_true(info->created_ns > 0);
  assert_int_equal(e->get_bucket_info({}, "gamma").error().code(), Code::kNoSuchBucket);
  auto list = e->list_buckets({});
  assert_true(list.has_value());
  assert_int_equal(list->size(), 2);
  assert_string_equal((*list)[0].name.c_str(), "alpha");
  assert_string_equal((*list)[1].name.c_str(), "beta");
  assert_true(Put(*e, "alpha", "x", "data").has_value());
  assert_int_equal(e->delete_bucket({}, "alpha").code(), Code::kBucketNotEmpty);
  assert_true(e->delete_object({}, "alpha", "x").ok());
  assert_true(e->delete_bucket({}, "alpha").ok());
  assert_int_equal(e->get_bucket_info({}, "alpha").error().code(), Code::kNoSuchBucket);
  assert_int_equal(e->delete_bucket({}, "alpha").code(), Code::kNoSuchBucket);
  assert_int_equal(Put(*e, "alpha", "x", "d").error().code(), Code::kNoSuchBucket);
  assert_int_equal(e->get_object_info({}, "alpha", "x").error().code(), Code::kNoSuchBucket);
  assert_int_equal(e->list_objects({}, "alpha", {}).error().code(), Code::kNoSuchBucket);
}

void test_key_validation_and_metadata_update(void**) {
  TempDir dir;
  auto e = MustOpen(MakeDrives(dir, 4), TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  assert_int_equal(Put(*e, "bucket", std::string(1025, 'k'), "x").error().code(),
                   Code::kKeyTooLong);
  assert_int_equal(Put(*e, "bucket", "", "x").error().code(), Code::kInvalidObjectName);
  assert_int_equal(Put(*e, "bucket", std::string("a\0b", 3), "x").error().code(),
                   Code::kInvalidObjectName);
  // Keys that look like paths or internal names are stored safely and read back.
  for (const char* k : {"..", "../../etc/passwd", "%m.json", "%m.bin", "a//b", "dir/", "/lead"}) {
    assert_true(Put(*e, "bucket", k, k).has_value());
    assert_true(*Get(*e, "bucket", k) == k);
  }
  object::PutOptions opt;
  opt.content_type = "text/plain";
  opt.metadata = {{"x-amz-meta-a", "1"}};
  auto updated = e->update_object_metadata({}, "bucket", "a//b", opt);
  assert_true(updated.has_value());
  auto head = e->get_object_info({}, "bucket", "a//b");
  assert_string_equal(head->content_type.c_str(), "text/plain");
  assert_string_equal(head->metadata[0].second.c_str(), "1");
  assert_true(*Get(*e, "bucket", "a//b") == "a//b");
  assert_int_equal(e->update_object_metadata({}, "bucket", "nope", opt).error().code(),
                   Code::kNoSuchKey);
}

void test_reduced_redundancy(void**) {
  TempDir dir;
  auto e = MustOpen(MakeDrives(dir, 8), TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  object::PutOptions opt;
  opt.storage_class = "REDUCED_REDUNDANCY";
  std::string data = RandomData(kBlock + 3, 5);
  assert_true(Put(*e, "bucket", "rrs", data, opt).has_value());
  assert_true(*Get(*e, "bucket", "rrs") == data);
  auto head = e->get_object_info({}, "bucket", "rrs");
  assert_string_equal(head->storage_class.c_str(), "REDUCED_REDUNDANCY");
}

void test_set_layout(void**) {
  using object::ComputeSetLayout;
  assert_int_equal(ComputeSetLayout(1)->set_size, 1);
  assert_int_equal(ComputeSetLayout(4)->set_count, 1);
  assert_int_equal(ComputeSetLayout(16)->set_size, 16);
  assert_int_equal(ComputeSetLayout(32)->set_count, 2);
  assert_int_equal(ComputeSetLayout(18)->set_size, 9);
  assert_int_equal(ComputeSetLayout(24)->set_size, 12);
  assert_false(ComputeSetLayout(17).has_value());
  assert_false(ComputeSetLayout(0).has_value());
  assert_int_equal(object::DefaultParity(1), 0);
  assert_int_equal(object::DefaultParity(3), 1);
  assert_int_equal(object::DefaultParity(5), 2);
  assert_int_equal(object::DefaultParity(7), 3);
  assert_int_equal(object::DefaultParity(16), 4);
  assert_int_equal(object::ParityForClass("REDUCED_REDUNDANCY", 16, 4), 2);
  assert_int_equal(object::ParityForClass("REDUCED_REDUNDANCY", 4, 2), 1);
  assert_int_equal(object::ParityForClass("REDUCED_REDUNDANCY", 2, 1), 1);
  assert_int_equal(object::WriteQuorum(2, 2), 3);
  assert_int_equal(object::WriteQuorum(12, 4), 12);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip_1_drive),
      cmocka_unit_test(test_round_trip_4_drives),
      cmocka_unit_test(test_round_trip_6_drives),
      cmocka_unit_test(test_round_trip_16_drives),
      cmocka_unit_test(test_overwrite_and_delete),
      cmocka_unit_test(test_heal_recreates_a_lost_bucket_folder),
      cmocka_unit_test(test_buckets),
      cmocka_unit_test(test_key_validation_and_metadata_update),
      cmocka_unit_test(test_reduced_redundancy),
      cmocka_unit_test(test_set_layout),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
