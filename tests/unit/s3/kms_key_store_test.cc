// KMS key store tests: key creation and names, data keys sealed and opened with each version
// after rotation, disabled keys, persistence across a reopen, the record never holding key
// material in clear, damaged or foreign records refused, and the bounds on keys and versions.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "flashstor/hash/hashing_source.h"
#include "flashstor/s3/kms_keys.h"
#include "flashstor/storage/local_disk.h"
#include "storage/temp_dir.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::s3;
using namespace flashstor::s3::kms;
using flashstor::testing::TempDir;

namespace {

sse::Key TestKey(unsigned char seed) {
  sse::Key k{};
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<unsigned char>(seed + 3 * i);
  return k;
}

// Three drives in temporary directories.
struct Drives {
  TempDir dirs[3];
  std::vector<std::shared_ptr<storage::StorageApi>> list;
  Drives() {
    for (TempDir& d : dirs) {
      auto disk = storage::LocalDisk::Open(d.path());
      assert_true(disk.has_value());
      list.push_back(std::shared_ptr<storage::StorageApi>(std::move(*disk)));
    }
  }
};

std::unique_ptr<KmsKeyStore> MustOpen(const sse::Key& master, Drives& d) {
  auto store = KmsKeyStore::Open(master, d.list);
  assert_true(store.has_value());
  return std::move(*store);
}

void test_create_and_names(void**) {
  Drives d;
  auto store = MustOpen(TestKey(1), d);
  auto k = store->create_key("app-key_1");
  assert_true(k.has_value());
  assert_string_equal(k->name.c_str(), "app-key_1");
  assert_int_equal(k->version, 1);
  assert_true(k->state == KeyState::kEnabled);
  assert_true(k->created > 0);
  assert_int_equal(store->create_key("app-key_1").error().code(), Code::kAlreadyExists);
  for (std::string bad :
       {std::string(), std::string(65, 'a'), std::string("a/b"), std::string("alias/x"),
        std::string("key name"), std::string("k\xc3\xa9")}) {
    assert_int_equal(store->create_key(bad).error().code(), Code::kInvalidArgument);
  }
  assert_true(store->create_key(std::string(64, 'z')).has_value());
  assert_int_equal(store->list_keys().size(), 2);
  assert_int_equal(store->describe_key("nope").error().code(), Code::kNotFound);
  assert_int_equal(store->generate_data_key("nope", "aad").error().code(), Code::kNotFound);
  auto def = store->ensure_default_key();
  assert_true(def.has_value());
  assert_string_equal(def->name.c_str(), std::string(kDefaultKeyName).c_str());
  assert_true(store->ensure_default_key().has_value());
  assert_int_equal(store->list_keys().size(), 3);
}

void test_rotation_keeps_old_versions(void**) {
  Drives d;
  auto store = MustOpen(TestKey(1), d);
  assert_true(store->create_key("k").has_value());
  auto dk1 = store->generate_data_key("k", "object-a");
  assert_true(dk1.has_value());
  assert_int_equal(dk1->version, 1);
  auto rotated = store->rotate_key("k");
  assert_true(rotated.has_value());
  assert_int_equal(rotated->version, 2);
  auto dk2 = store->generate_data_key("k", "object-b");
  assert_true(dk2.has_value());
  assert_int_equal(dk2->version, 2);
  // Each version opens what it sealed, and only that.
  auto open1 = store->decrypt_data_key("k", 1, dk1->sealed, "object-a");
  auto open2 = store->decrypt_data_key("k", 2, dk2->sealed, "object-b");
  assert_true(open1.has_value() && open2.has_value());
  assert_memory_equal(open1->data(), dk1->plain.data(), sse::kKeyBytes);
  assert_memory_equal(open2->data(), dk2->plain.data(), sse::kKeyBytes);
  assert_int_equal(store->decrypt_data_key("k", 2, dk1->sealed, "object-a").error().code(),
                   Code::kAccessDenied);
  assert_int_equal(store->decrypt_data_key("k", 3, dk1->sealed, "object-a").error().code(),
                   Code::kNotFound);
  // Another binding (object, encryption context) does not open it.
  assert_int_equal(store->decrypt_data_key("k", 1, dk1->sealed, "object-b").error().code(),
                   Code::kAccessDenied);
  std::string damaged = dk1->sealed;
  damaged[13] ^= 1;
  assert_int_equal(store->decrypt_data_key("k", 1, damaged, "object-a").error().code(),
                   Code::kAccessDenied);
  // Another key of the same version does not open it either.
  assert_true(store->create_key("other").has_value());
  assert_false(store->decrypt_data_key("other", 1, dk1->sealed, "object-a").has_value());
}

void test_disabled_key(void**) {
  Drives d;
  auto store = MustOpen(TestKey(1), d);
  assert_true(store->create_key("k").has_value());
  auto dk = store->generate_data_key("k", "x");
  assert_true(dk.has_value());
  assert_true(store->set_state("k", KeyState::kDisabled).has_value());
  assert_true(store->describe_key("k")->state == KeyState::kDisabled);
  assert_int_equal(store->generate_data_key("k", "x").error().code(), Code::kPermissionDenied);
  assert_int_equal(store->decrypt_data_key("k", 1, dk->sealed, "x").error().code(),
                   Code::kPermissionDenied);
  assert_int_equal(store->rotate_key("k").error().code(), Code::kPermissionDenied);
  assert_int_equal(store->set_state("nope", KeyState::kEnabled).error().code(), Code::kNotFound);
  assert_true(store->set_state("k", KeyState::kEnabled).has_value());
  assert_true(store->decrypt_data_key("k", 1, dk->sealed, "x").has_value());
}

void test_persistence(void**) {
  Drives d;
  std::string sealed1, sealed2;
  sse::Key plain1{}, plain2{};
  {
    auto store = MustOpen(TestKey(1), d);
    assert_true(store->create_key("k").has_value());
    auto dk1 = store->generate_data_key("k", "a");
    assert_true(store->rotate_key("k").has_value());
    auto dk2 = store->generate_data_key("k", "b");
    assert_true(store->create_key("off").has_value());
    assert_true(store->set_state("off", KeyState::kDisabled).has_value());
    sealed1 = dk1->sealed;
    sealed2 = dk2->sealed;
    plain1 = dk1->plain;
    plain2 = dk2->plain;
  }
  auto store = MustOpen(TestKey(1), d);
  auto k = store->describe_key("k");
  assert_true(k.has_value());
  assert_int_equal(k->version, 2);
  assert_true(store->describe_key("off")->state == KeyState::kDisabled);
  auto open1 = store->decrypt_data_key("k", 1, sealed1, "a");
  auto open2 = store->decrypt_data_key("k", 2, sealed2, "b");
  assert_true(open1.has_value() && open2.has_value());
  assert_memory_equal(open1->data(), plain1.data(), sse::kKeyBytes);
  assert_memory_equal(open2->data(), plain2.data(), sse::kKeyBytes);
  // One drive's record lost or damaged: the others still hold it.
  assert_true(d.list[0]->write_all(storage::kSysVolume, "kms", "keys.json", "garbage").ok());
  auto again = MustOpen(TestKey(1), d);
  assert_int_equal(again->describe_key("k")->version, 2);
  // Another master key opens nothing: the server refuses to start rather than lose keys.
  auto foreign = KmsKeyStore::Open(TestKey(2), d.list);
  assert_false(foreign.has_value());
  assert_int_equal(foreign.error().code(), Code::kCorrupt);
}

bool Contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

std::string Hex(const sse::Key& k) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : k) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

void test_record_seals_material(void**) {
  KeyStoreState state;
  StoredKey key;
  key.name = "k";
  key.created = 1;
  const sse::Key material = TestKey(77);
  key.versions.push_back({1, 2, material});
  key.versions.push_back({2, 3, TestKey(99)});
  state.keys.emplace("k", key);
  state.updated_ns = 5;
  auto record = EncodeRecord(state, TestKey(1));
  assert_true(record.has_value());
  const std::string raw(reinterpret_cast<const char*>(material.data()), material.size());
  assert_false(Contains(*record, raw));
  assert_false(Contains(*record, Hex(material)));
  assert_false(Contains(*record, hash::Base64Encode(material)));
  assert_false(Contains(*record, raw.substr(0, 8)));
  // Round trip.
  auto back = DecodeRecord(*record, TestKey(1));
  assert_true(back.has_value());
  const StoredKey& k = back->keys.at("k");
  assert_int_equal(k.versions.size(), 2);
  assert_memory_equal(k.versions[0].material.data(), material.data(), material.size());
  assert_int_equal(back->updated_ns, 5);
  // Another master key, a flipped byte of sealed material, a truncated record: refused.
  assert_false(DecodeRecord(*record, TestKey(2)).has_value());
  size_t at = record->find("\"material\":\"") + 20;
  std::string flipped = *record;
  flipped[at] = flipped[at] == 'A' ? 'B' : 'A';
  assert_false(DecodeRecord(flipped, TestKey(1)).has_value());
  assert_false(DecodeRecord(record->substr(0, record->size() / 2), TestKey(1)).has_value());
  // Sealed material moved to another version (or key) does not open.
  std::string swapped = *record;
  size_t v1 = swapped.find("\"version\":\"1\"");
  size_t v2 = swapped.find("\"version\":\"2\"");
  assert_true(v1 != std::string::npos && v2 != std::string::npos);
  swapped[v1 + 11] = '2';
  swapped[v2 + 11] = '1';
  assert_false(DecodeRecord(swapped, TestKey(1)).has_value());
  std::string renamed = *record;
  renamed.replace(renamed.find("\"name\":\"k\""), 10, "\"name\":\"j\"");
  assert_false(DecodeRecord(renamed, TestKey(1)).has_value());
}

void test_bounds(void**) {
  Drives d;
  {
    auto store = MustOpen(TestKey(1), d);
    assert_true(store->create_key("k").has_value());
    for (uint32_t v = 2; v <= kMaxVersions; ++v) assert_true(store->rotate_key("k").has_value());
    assert_int_equal(store->rotate_key("k").error().code(), Code::kTooLarge);
    assert_int_equal(store->describe_key("k")->version, kMaxVersions);
  }
  // A record already holding the most keys: one more is refused.
  KeyStoreState full;
  for (size_t i = 0; i < kMaxKeys; ++i) {
    StoredKey key;
    key.name = "key" + std::to_string(i);
    key.versions.push_back({1, 1, TestKey(static_cast<unsigned char>(i))});
    full.keys.emplace(key.name, key);
  }
  full.updated_ns = 1;
  auto record = EncodeRecord(full, TestKey(1));
  assert_true(record.has_value());
  Drives d2;
  for (auto& drive : d2.list) {
    assert_true(drive->write_all(storage::kSysVolume, "kms", "keys.json", *record).ok());
  }
  auto store = MustOpen(TestKey(1), d2);
  assert_int_equal(store->list_keys().size(), kMaxKeys);
  assert_int_equal(store->create_key("one-more").error().code(), Code::kTooLarge);
}

// Data keys made and opened on several threads while the key is rotated: every one opens.
void test_concurrent_rotation(void**) {
  Drives d;
  auto store = MustOpen(TestKey(1), d);
  assert_true(store->create_key("k").has_value());
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, rounds{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&, t] {
      const std::string aad = "object-" + std::to_string(t);
      while (!stop.load()) {
        auto dk = store->generate_data_key("k", aad);
        auto back = dk ? store->decrypt_data_key("k", dk->version, dk->sealed, aad)
                       : Result<sse::Key>(std::unexpected(dk.error()));
        if (!back || *back != dk->plain) failures.fetch_add(1);
        rounds.fetch_add(1);
      }
    });
  }
  for (int i = 0; i < 10; ++i) assert_true(store->rotate_key("k").has_value());
  stop.store(true);
  for (auto& w : workers) w.join();
  assert_int_equal(failures.load(), 0);
  assert_true(rounds.load() > 0);
  assert_int_equal(store->describe_key("k")->version, 11);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create_and_names),
      cmocka_unit_test(test_rotation_keeps_old_versions),
      cmocka_unit_test(test_disabled_key),
      cmocka_unit_test(test_persistence),
      cmocka_unit_test(test_record_seals_material),
      cmocka_unit_test(test_bounds),
      cmocka_unit_test(test_concurrent_rotation),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
