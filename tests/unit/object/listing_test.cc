// Unit tests of listing: 2,500 keys paginated with and without delimiters ("/" and a custom
// one) against a sorted reference, across two erasure sets, and with a drive missing.
// Drives live on /dev/shm: thousands of fsynced metadata writes on ext4 take a minute, and
// durability is covered by the other tests on /tmp.
#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine_test_util.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::testing;

namespace {

std::set<std::string> MakeKeys(size_t n) {
  std::set<std::string> keys;
  std::mt19937 rng(11);
  while (keys.size() < n) {
    std::string k = "dir" + std::to_string(rng() % 7);
    if (rng() % 3 == 0) k += "-x";
    k += "/sub" + std::to_string(rng() % 5);
    if (rng() % 4 == 0) k += "/deeper";
    k += "/file-" + std::to_string(rng() % 100000);
    keys.insert(k);
    if (rng() % 50 == 0) keys.insert("top-" + std::to_string(rng() % 1000));
  }
  keys.insert("dir1");  // an object that is also a prefix
  return keys;
}

void PutAll(object::ObjectLayer& e, const std::set<std::string>& keys) {
  std::vector<std::string> v(keys.begin(), keys.end());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = static_cast<size_t>(t); i < v.size(); i += 8) {
        if (!Put(e, "bucket", v[i], v[i]).has_value()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  assert_int_equal(failures.load(), 0);
}

struct Item {
  std::string key;
  bool prefix;
  bool operator==(const Item&) const = default;
};

std::vector<Item> Reference(const std::set<std::string>& keys, const std::string& prefix,
                            const std::string& delim) {
  std::vector<Item> out;
  for (const auto& k : keys) {
    if (!k.starts_with(prefix)) continue;
    size_t pos = delim.empty() ? std::string::npos : k.find(delim, prefix.size());
    if (pos == std::string::npos) {
      out.push_back({k, false});
      continue;
    }
    std::string cp = k.substr(0, pos + delim.size());
    if (out.empty() || out.back().key != cp) out.push_back({cp, true});
  }
  // Objects and prefixes interleave in key order.
  std::stable_sort(out.begin(), out.end(),
                   [](const Item& a, const Item& b) { return a.key < b.key; });
  return out;
}

std::vector<Item> ListAll(object::ObjectLayer& e, const std::string& prefix,
                          const std::string& delim, int page) {
  std::vector<Item> out;
  object::ListOptions opt;
  opt.prefix = prefix;
  opt.delimiter = delim;
  opt.max_keys = page;
  for (int guard = 0; guard < 100000; ++guard) {
    auto r = e.list_objects({}, "bucket", opt);
    assert_true(r.has_value());
    assert_true(static_cast<int>(r->objects.size() + r->common_prefixes.size()) <= page);
    std::vector<Item> items;
    for (const auto& o : r->objects) {
      assert_true(o.key == std::string_view(o.key));
      assert_int_equal(o.size, o.key.size());  // each object holds its own key
      items.push_back({o.key, false});
    }
    for (const auto& p : r->common_prefixes) items.push_back({p, true});
    std::sort(items.begin(), items.end(),
              [](const Item& a, const Item& b) { return a.key < b.key; });
    out.insert(out.end(), items.begin(), items.end());
    if (!r->truncated) break;
    assert_false(r->next_marker.empty());
    assert_true(r->next_marker == out.back().key);
    opt.start_after = r->next_marker;
  }
  return out;
}

void CheckAll(object::ObjectLayer& e, const std::set<std::string>& keys) {
  struct Case {
    const char* prefix;
    const char* delim;
    int page;
  } cases[] = {{"", "", 1000},    {"", "", 333},           {"", "/", 7},  {"dir1", "/", 50},
               {"dir1/", "/", 3}, {"dir2/sub", "/", 1000}, {"", "-", 10}, {"dir3", "-x", 4},
               {"zzz", "/", 10},  {"dir1/sub1/", "", 1}};
  for (const Case& c : cases) {
    auto got = ListAll(e, c.prefix, c.delim, c.page);
    auto want = Reference(keys, c.prefix, c.delim);
    if (got != want)
      print_message("case prefix=%s delim=%s page=%d: got %zu want %zu\n", c.prefix, c.delim,
                    c.page, got.size(), want.size());
    assert_true(got == want);
  }
  object::ListOptions zero;
  zero.max_keys = 0;
  auto r = e.list_objects({}, "bucket", zero);
  assert_true(r->objects.empty() && r->common_prefixes.empty() && !r->truncated);
}

void test_2500_keys_one_set(void**) {
  TempDir dir("/dev/shm");
  auto paths = MakeDrives(dir, 4);
  auto e = MustOpen(paths, TestConfig());
  assert_true(e->make_bucket({}, "bucket").ok());
  auto keys = MakeKeys(2500);
  PutAll(*e, keys);
  CheckAll(*e, keys);
  // A drive vanishes: listings stay exact.
  RemoveAll(paths[2]);
  CheckAll(*e, keys);
}

void test_two_sets(void**) {
  TempDir dir("/dev/shm");
  auto e = MustOpen(MakeDrives(dir, 18), TestConfig());
  assert_int_equal(e->set_count(), 2);
  assert_true(e->make_bucket({}, "bucket").ok());
  auto keys = MakeKeys(400);
  PutAll(*e, keys);
  // Keys really are spread over both sets.
  int in_set0 = 0;
  for (const auto& k : keys) in_set0 += &e->set_for(k) == &e->set(0);
  assert_true(in_set0 > 50 && in_set0 < 350);
  CheckAll(*e, keys);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_2500_keys_one_set),
      cmocka_unit_test(test_two_sets),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
