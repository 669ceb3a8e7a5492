// Unit tests of MetaCache and its use by LocalDisk: hits and LRU bounds, scan resistance, the
// change rules, tickets against a read racing a change, one cache per drive, and a stress test
// of readers against writers that fails if a read racing a write may fill the cache with what
// it replaced.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "disk_test_util.h"
#include "flashstor/storage/local_disk.h"
#include "flashstor/storage/meta_cache.h"
#include "temp_dir.h"

#include "cmocka_cpp.h"

using flashstor::testing::ForgetCachedMetadata;
using flashstor::testing::MustOpenDisk;
using flashstor::testing::TempDir;
using namespace flashstor::storage;

namespace {

void test_find_insert_and_lru_bound(void**) {
  MetaCache cache(16 * 4096);  // 4 KiB a stripe: an entry up to 1 KiB is kept
  const std::string value(600, 'v');
  for (int i = 0; i < 200; ++i) {
    const std::string rel = "b/k" + std::to_string(i) + "/%m.bin";
    cache.insert(rel, value, cache.ticket(rel));
  }
  const MetaCache::Totals t = cache.totals();
  assert_true(t.entries > 0);
  assert_true(t.bytes <= 16 * 4096);
  assert_true(t.entries < 200);  // evicted
  // The newest is there, the oldest went.
  assert_true((cache.find("b/k199/%m.bin") != nullptr));
  assert_false((cache.find("b/k0/%m.bin") != nullptr));
  // Too large for a stripe: not kept.
  cache.insert("b/big/%m.bin", std::string(2000, 'x'), cache.ticket("b/big/%m.bin"));
  assert_false((cache.find("b/big/%m.bin") != nullptr));
}

// Files read again (GETs of hot keys) survive a pass over many files read once (a scanner, a
// listing's HEADs): the pass cycles through probation only. A plain LRU loses them all.
void test_a_scan_leaves_the_hot_files(void**) {
  MetaCache cache(16 * 4096);
  const std::string value(600, 'v');
  auto put = [&](const std::string& rel) { cache.insert(rel, value, cache.ticket(rel)); };
  std::vector<std::string> hot;
  for (int i = 0; i < 8; ++i) {
    hot.push_back("b/hot" + std::to_string(i) + "/%m.bin");
    put(hot.back());
    assert_true((cache.find(hot.back()) != nullptr));  // read again: protected
  }
  for (int i = 0; i < 500; ++i) put("b/scan" + std::to_string(i) + "/%m.bin");
  for (const std::string& rel : hot) assert_true((cache.find(rel) != nullptr));
  assert_true(cache.totals().bytes <= 16 * 4096);
  // A new file is still kept (in probation) and can be promoted in its turn.
  put("b/new/%m.bin");
  assert_true((cache.find("b/new/%m.bin") != nullptr));
}

void test_cacheable(void**) {
  assert_true(MetaCache::Cacheable("bucket/key/%m.bin"));
  assert_true(MetaCache::Cacheable("bucket/a/%e25/%m.bin"));
  assert_false(MetaCache::Cacheable(".flashstor.sys/buckets/b/%m.bin"));
  assert_false(MetaCache::Cacheable("bucket/key/%m.json"));
  assert_false(MetaCache::Cacheable("bucket/key/%d.1234/part.1"));
}

void test_change_rules(void**) {
  MetaCache cache(1 << 20);
  const char* keys[] = {"b/a/%m.bin", "b/a/c/%m.bin", "b/x/%m.bin"};
  auto fill = [&] {
    for (const char* k : keys) cache.insert(k, "meta", cache.ticket(k));
  };
  fill();
  cache.changed("b/a/%m.bin");  // that file only
  assert_false((cache.find("b/a/%m.bin") != nullptr));
  assert_true((cache.find("b/a/c/%m.bin") != nullptr));
  fill();
  // Data dirs, legacy files and the system volume hold no cached file.
  cache.changed("b/a/%d.0a1b");
  cache.changed("b/a/%d.0a1b/part.1");
  cache.changed("b/a/%m.json");
  cache.changed(".flashstor.sys/tmp/abc");
  assert_int_equal(cache.totals().entries, 3);
  // A key's directory (a delete, a rename): everything goes.
  cache.changed("b/a");
  assert_int_equal(cache.totals().entries, 0);
  fill();
  cache.changed("b");  // a bucket
  assert_int_equal(cache.totals().entries, 0);
}

void test_ticket_of_a_read_racing_a_change(void**) {
  MetaCache cache(1 << 20);
  const std::string rel = "b/k/%m.bin";
  MetaCache::Ticket before = cache.ticket(rel);
  cache.changed(rel);  // the file changed while the read was under way
  cache.insert(rel, "old", before);
  assert_false((cache.find(rel) != nullptr));
  cache.insert(rel, "new", cache.ticket(rel));
  assert_string_equal(cache.find(rel)->c_str(), "new");
  // A hit shares the cached bytes (a 4 KiB GET reads four drives' files): no copy.
  assert_ptr_equal(cache.find(rel).get(), cache.find(rel).get());
}

void test_local_disk_serves_and_forgets(void**) {
  TempDir dir;
  auto disk = MustOpenDisk(dir.path());
  assert_true(disk->make_volume("b").ok());
  assert_true(disk->write_all("b", "k", kMetaFile, "one").ok());
  assert_string_equal((*disk->read_all_cached("b", "k", kMetaFile))->c_str(), "one");
  const uint64_t hits = disk->meta_cache().totals().hits;
  assert_string_equal((*disk->read_all_cached("b", "k", kMetaFile))->c_str(), "one");
  assert_int_equal(disk->meta_cache().totals().hits, hits + 1);
  // Every change through the drive is seen.
  assert_true(disk->write_all("b", "k", kMetaFile, "two").ok());
  assert_string_equal((*disk->read_all_cached("b", "k", kMetaFile))->c_str(), "two");
  assert_true(disk->rename("b", "k", kMetaFile, "b", "k2", kMetaFile).ok());
  assert_false(disk->read_all_cached("b", "k", kMetaFile).has_value());
  assert_int_equal(disk->read_all("b", "k", kMetaFile).error().code(),
                   flashstor::Code::kFileNotFound);
  assert_string_equal((*disk->read_all_cached("b", "k2", kMetaFile))->c_str(), "two");
  // What the cache keeps (filled by that miss) is the file's bytes, not the read's 8 KiB
  // buffer: the cache is bounded by the bytes it counts.
  auto kept = disk->read_all_cached("b", "k2", kMetaFile);
  assert_true(kept.has_value() && (*kept)->capacity() < 64);
  assert_true(disk->delete_path("b", "k2", kMetaFile, false).ok());
  assert_false(disk->read_all_cached("b", "k2", kMetaFile).has_value());
  // A second LocalDisk on the same drive shares the cache; opening one empties it.
  assert_true(disk->write_all("b", "k3", kMetaFile, "three").ok());
  assert_true(disk->read_all_cached("b", "k3", kMetaFile).has_value());
  assert_true(disk->meta_cache().totals().entries >= 1);
  auto other = MustOpenDisk(dir.path());
  assert_ptr_equal(&other->meta_cache(), &disk->meta_cache());
  assert_int_equal(disk->meta_cache().totals().entries, 0);
  assert_true(other->write_all("b", "k3", kMetaFile, "four").ok());
  assert_string_equal((*disk->read_all_cached("b", "k3", kMetaFile))->c_str(), "four");
  // A change behind the drive's back is seen once the cache is forgotten.
  assert_true(disk->read_all_cached("b", "k3", kMetaFile).has_value());
  {
    FILE* f = fopen((dir.path() + "/b/k3/%m.bin").c_str(), "w");
    assert_non_null(f);
    fputs("five", f);
    fclose(f);
  }
  ForgetCachedMetadata(dir.path());
  assert_string_equal((*disk->read_all_cached("b", "k3", kMetaFile))->c_str(), "five");
}

// ClearAll empties the cache of every drive open (the server going idle).
void test_clear_all(void**) {
  TempDir one, two;
  auto a = MustOpenDisk(one.path()), b = MustOpenDisk(two.path());
  for (auto* disk : {a.get(), b.get()}) {
    assert_true(disk->make_volume("b").ok());
    assert_true(disk->write_all("b", "k", kMetaFile, "meta").ok());
    assert_true(disk->read_all("b", "k", kMetaFile).has_value());  // fills the cache
    assert_int_equal(disk->meta_cache().totals().entries, 1);
  }
  MetaCache::ClearAll();
  assert_int_equal(a->meta_cache().totals().entries, 0);
  assert_int_equal(b->meta_cache().totals().entries, 0);
}

// Writers replace a key's metadata (version N) and then publish N; readers load the published
// number and must read at least that version. A read that raced a write and filled the cache
// with what the write replaced (no ticket check) is caught: the stale entry would stay until
// the next write.
void test_readers_never_see_a_replaced_version(void**) {
  TempDir dir;
  auto disk = MustOpenDisk(dir.path());
  assert_true(disk->make_volume("b").ok());
  assert_true(disk->write_all("b", "k", kMetaFile, "0").ok());
  std::atomic<int> published{0};
  std::atomic<bool> done{false};
  std::atomic<int> stale{0}, reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      while (!done.load()) {
        const int floor = published.load();
        std::string got;
        if (r % 2 == 0) {
          auto cached = disk->read_all_cached("b", "k", kMetaFile);
          if (!cached) continue;  // would block: not in the page cache yet
          got = **cached;
        } else {
          auto read = disk->read_all("b", "k", kMetaFile);
          if (!read) continue;
          got = std::move(*read);
        }
        reads.fetch_add(1);
        if (std::stoi(got) < floor) stale.fetch_add(1);
      }
    });
  }
  for (int n = 1; n <= 500; ++n) {
    assert_true(disk->write_all("b", "k", kMetaFile, std::to_string(n)).ok());
    published.store(n);
  }
  done.store(true);
  for (auto& t : readers) t.join();
  fprintf(stderr, "%d reads, %d stale\n", reads.load(), stale.load());
  assert_true(reads.load() > 0);
  assert_int_equal(stale.load(), 0);
}

}  // namespace

int main() {
  const CMUnitTest tests[] = {
      cmocka_unit_test(test_find_insert_and_lru_bound),
      cmocka_unit_test(test_a_scan_leaves_the_hot_files),
      cmocka_unit_test(test_cacheable),
      cmocka_unit_test(test_change_rules),
      cmocka_unit_test(test_ticket_of_a_read_racing_a_change),
      cmocka_unit_test(test_local_disk_serves_and_forgets),
      cmocka_unit_test(test_clear_all),
      cmocka_unit_test(test_readers_never_see_a_replaced_version),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
