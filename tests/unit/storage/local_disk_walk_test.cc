// Unit tests of LocalDisk::walk: sibling order (object vs prefix vs "a-b"), prefix,
// start_after, delimiter mode, metadata headers, keys with data but no metadata (for heal),
// and a randomized comparison with a sorted reference over escaped keys.
#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "disk_test_util.h"
#include "flashstor/storage/local_disk.h"
#include "temp_dir.h"

#include "cmocka_cpp.h"

using flashstor::Code;
using flashstor::testing::MustOpenDisk;
using flashstor::testing::TempDir;
using namespace flashstor::storage;

namespace {

std::vector<std::string> Walk(StorageApi& disk, const std::string& prefix, const std::string& after,
                              bool recursive) {
  WalkOptions opt;
  opt.prefix = prefix;
  opt.start_after = after;
  opt.recursive = recursive;
  auto w = disk.walk("b", opt);
  assert_true(w.has_value());
  std::vector<std::string> out;
  WalkEntry e;
  while (true) {
    auto more = (*w)->next(e);
    assert_true(more.has_value());
    if (!*more) break;
    assert_true(e.is_prefix == (e.key.back() == '/' && !recursive) || !e.is_prefix);
    out.push_back(e.key);
  }
  return out;
}

// What a correct walk returns, computed from a sorted key set.
std::vector<std::string> Reference(const std::set<std::string>& keys, const std::string& prefix,
                                   const std::string& after, bool recursive) {
  std::vector<std::string> out;
  for (const std::string& k : keys) {
    if (!k.starts_with(prefix)) continue;
    size_t slash = recursive ? std::string::npos : k.find('/', prefix.size());
    std::string item = slash == std::string::npos ? k : k.substr(0, slash + 1);
    if (item <= after) continue;
    if (!out.empty() && out.back() == item) continue;
    out.push_back(item);
  }
  return out;
}

// A metadata file as the walk sees it: a preamble whose bytes 8..11 hold the records' length
// (little-endian), the records, then inline data the walk must not return.
std::string MetaFile(std::string_view records, std::string_view tail = "inline-bytes") {
  std::string out = "FSMD";
  out.append(4, '\1');
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(records.size() >> (8 * i)));
  out.append(4, '\7');  // checksum: not the walk's business
  return out + std::string(records) + std::string(tail);
}

std::unique_ptr<LocalDisk> DiskWith(const TempDir& dir, const std::set<std::string>& keys) {
  auto disk = MustOpenDisk(dir.path());
  assert_true(disk->make_volume("b").ok());
  for (const std::string& k : keys) {
    assert_true(disk->write_all("b", k, kMetaFile, MetaFile("records")).ok());
    assert_true(disk->write_all("b", k, "%d.1/part.1", "x").ok());
  }
  return disk;
}

void ExpectEq(const std::vector<std::string>& got, const std::vector<std::string>& want) {
  if (got != want) {
    for (auto& g : got) print_message("got  %s\n", g.c_str());
    for (auto& w : want) print_message("want %s\n", w.c_str());
  }
  assert_true(got == want);
}

void test_sibling_order(void**) {
  TempDir dir;
  std::set<std::string> keys = {"a", "a-b", "a/b", "a/c/d", "b"};
  auto disk = DiskWith(dir, keys);
  ExpectEq(Walk(*disk, "", "", true), {"a", "a-b", "a/b", "a/c/d", "b"});
  ExpectEq(Walk(*disk, "", "", false), {"a", "a-b", "a/", "b"});
  ExpectEq(Walk(*disk, "a/", "", true), {"a/b", "a/c/d"});
  ExpectEq(Walk(*disk, "a/", "", false), {"a/b", "a/c/"});
  ExpectEq(Walk(*disk, "a", "", false), {"a", "a-b", "a/"});
  ExpectEq(Walk(*disk, "a/c", "", true), {"a/c/d"});
  ExpectEq(Walk(*disk, "zz", "", true), {});
  ExpectEq(Walk(*disk, "a/b/c/d/e/", "", true), {});
}

void test_start_after(void**) {
  TempDir dir;
  auto disk = DiskWith(dir, {"a", "a-b", "a/b", "a/c/d", "b"});
  ExpectEq(Walk(*disk, "", "a", true), {"a-b", "a/b", "a/c/d", "b"});
  ExpectEq(Walk(*disk, "", "a/b", true), {"a/c/d", "b"});
  ExpectEq(Walk(*disk, "", "a/c", true), {"a/c/d", "b"});
  ExpectEq(Walk(*disk, "", "a/c/d", true), {"b"});
  ExpectEq(Walk(*disk, "", "a-b", false), {"a/", "b"});
  // A prefix returned on one page is not returned again (no endless pagination).
  ExpectEq(Walk(*disk, "", "a/", false), {"b"});
  ExpectEq(Walk(*disk, "", "a/b", false), {"b"});
  ExpectEq(Walk(*disk, "", "b", true), {});
}

void test_metadata_header(void**) {
  TempDir dir;
  auto disk = DiskWith(dir, {"x/y"});
  // Records longer than one read, and inline data longer than one read after them.
  const std::string big(10000, 'r');
  assert_true(disk->write_all("b", "z/big", kMetaFile, MetaFile(big, std::string(9000, 'i'))).ok());
  // A key only the previous release wrote: its legacy %m.json's JSON header, up to the NUL.
  std::string legacy = "{\"k\":1}";
  legacy.push_back('\0');
  legacy += "inline-bytes";
  assert_true(disk->write_all("b", "z/old", kLegacyMetaFile, legacy).ok());
  // Both: %m.bin wins. A file claiming more records than it has: what there is.
  assert_true(disk->write_all("b", "z/both", kLegacyMetaFile, legacy).ok());
  assert_true(disk->write_all("b", "z/both", kMetaFile, MetaFile("new")).ok());
  // Small records before 4 KiB of inline data (a 4 KiB object): the entry holds the records
  // in a string of their size, not the 4 KiB chunk read (a listing's batches keep hundreds).
  assert_true(
      disk->write_all("b", "z/inl", kMetaFile, MetaFile("small", std::string(4000, 'i'))).ok());
  std::string torn = MetaFile("0123456789", "");
  torn[8] = 100;
  assert_true(disk->write_all("b", "z/torn", kMetaFile, torn).ok());
  WalkOptions opt;
  auto w = disk->walk("b", opt);
  WalkEntry e;
  auto next = [&](const char* key, const std::string& metadata) {
    assert_true(*(*w)->next(e));
    assert_string_equal(e.key.c_str(), key);
    assert_true(e.metadata == metadata);
  };
  next("x/y", MetaFile("records", ""));
  next("z/big", MetaFile(big, ""));
  next("z/both", MetaFile("new", ""));
  next("z/inl", MetaFile("small", ""));
  assert_true(e.metadata.capacity() < 256);
  next("z/old", "{\"k\":1}");
  next("z/torn", torn);
  assert_false(*(*w)->next(e));
  assert_int_equal(disk->walk("nob", opt).error().code(), Code::kVolumeNotFound);
  // Without metadata, a legacy file still makes an object.
  opt.read_metadata = false;
  w = disk->walk("b", opt);
  int objects = 0;
  while (*(*w)->next(e)) objects += e.metadata.empty();
  assert_int_equal(objects, 6);
}

void test_uncommitted_keys(void**) {
  // "c/d" was killed before its metadata was written (a data dir only); "c" has none either
  // but holds no data dir: a mere prefix.
  TempDir dir;
  auto disk = DiskWith(dir, {"a", "c/x", "e/f"});
  assert_true(disk->write_all("b", "c/d", "%d.2/part.1", "x").ok());
  auto keys = [&](bool uncommitted) {
    WalkOptions opt;
    opt.include_uncommitted = uncommitted;
    auto w = disk->walk("b", opt);
    std::vector<std::string> out;
    WalkEntry e;
    while (*(*w)->next(e)) out.push_back(e.key + (e.metadata.empty() ? "!" : ""));
    return out;
  };
  ExpectEq(keys(false), {"a", "c/x", "e/f"});
  ExpectEq(keys(true), {"a", "c/d!", "c/x", "e/f"});
}

void test_escaped_keys_order(void**) {
  TempDir dir;
  std::set<std::string> keys = {"a/", "a//", "a", "..", ".", "%x", "a/%m.json", "/", "-"};
  auto disk = DiskWith(dir, keys);
  ExpectEq(Walk(*disk, "", "", true), Reference(keys, "", "", true));
  ExpectEq(Walk(*disk, "", "", false), Reference(keys, "", "", false));
  ExpectEq(Walk(*disk, "a/", "", false), Reference(keys, "a/", "", false));
}

void test_random_against_reference(void**) {
  TempDir dir("/dev/shm");  // 300 fsynced keys: tmpfs keeps this fast
  std::mt19937 rng(7);
  const char alphabet[] = {'a', 'b', '-', '/', '/', '.', '%', '\xC3', '\xA9', '0'};
  std::set<std::string> keys;
  while (keys.size() < 300) {
    std::string k;
    size_t len = 1 + rng() % 7;
    for (size_t i = 0; i < len; ++i) k.push_back(alphabet[rng() % sizeof(alphabet)]);
    keys.insert(k);
  }
  auto disk = DiskWith(dir, keys);
  std::vector<std::string> probes = {"", "a", "a/", "/", "b-", "%", "a/b", "\xC3"};
  for (const std::string& k : keys) {
    if (rng() % 10 == 0) probes.push_back(k);
  }
  for (const std::string& prefix : probes) {
    for (const std::string& after : probes) {
      for (bool rec : {true, false}) {
        ExpectEq(Walk(*disk, prefix, after, rec), Reference(keys, prefix, after, rec));
      }
    }
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sibling_order),      cmocka_unit_test(test_start_after),
      cmocka_unit_test(test_metadata_header),    cmocka_unit_test(test_uncommitted_keys),
      cmocka_unit_test(test_escaped_keys_order), cmocka_unit_test(test_random_against_reference),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
