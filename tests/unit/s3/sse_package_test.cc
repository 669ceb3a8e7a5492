// Encrypted-object format tests: package round trips, range reads at package boundaries,
// and rejection of reordered, swapped, truncated, flipped or wrongly keyed packages.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "flashstor/s3/sse_package.h"
#include "sse_stream.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::s3::sse;

namespace {

// A plaintext source over a string.
class StringSource final : public DataSource {
 public:
  explicit StringSource(std::string s) : s_(std::move(s)) {}
  Result<size_t> read(std::span<char> out) override {
    size_t n = std::min(out.size(), s_.size() - pos_);
    std::memcpy(out.data(), s_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string s_;
  size_t pos_ = 0;
};

// An ObjectReader over stored bytes, reporting plain_size as the object's size.
class StoredReader final : public object::ObjectReader {
 public:
  StoredReader(std::string stored, uint64_t plain_size) : stored_(std::move(stored)) {
    info_.size = plain_size;
    end_ = stored_.size();
  }
  const object::ObjectInfo& info() const override { return info_; }
  void set_range(uint64_t offset, uint64_t length) override {
    pos_ = offset;
    end_ = offset + length;
  }
  Result<size_t> read(std::span<char> out) override {
    size_t n = std::min<uint64_t>(out.size(), std::min<uint64_t>(end_, stored_.size()) - pos_);
    std::memcpy(out.data(), stored_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  object::ObjectInfo info_;
  std::string stored_;
  uint64_t pos_ = 0, end_ = 0;
};

Key TestKey(unsigned char seed) {
  Key k{};
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<unsigned char>(seed + i);
  return k;
}

PackageBinding Binding(std::string key = "obj") {
  PackageBinding b;
  b.bucket = "bucket";
  b.key = std::move(key);
  for (size_t i = 0; i < b.object_id.size(); ++i) b.object_id[i] = static_cast<unsigned char>(i);
  return b;
}

std::string Plain(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  return s;
}

std::string Encrypt(const std::string& plain, const Key& key, const PackageBinding& b) {
  StringSource src(plain);
  EncryptingSource enc(src, key, b);
  std::string out;
  char buf[10000];  // not a multiple of a package: reads straddle packages
  for (;;) {
    Result<size_t> n = enc.read({buf, sizeof buf});
    assert_true(n.has_value());
    if (*n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

// Decrypts [offset, offset+length) of stored; nullopt when decryption fails.
std::optional<std::string> Decrypt(const std::string& stored, uint64_t plain_size, const Key& key,
                                   const PackageBinding& b, uint64_t offset, uint64_t length) {
  DecryptingReader r(std::make_unique<StoredReader>(stored, plain_size), key, b);
  r.set_range(offset, length);
  std::string out;
  char buf[7777];
  while (out.size() < length) {
    Result<size_t> n = r.read({buf, sizeof buf});
    if (!n) return std::nullopt;
    if (*n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

void test_sizes(void** state) {
  (void)state;
  assert_int_equal(CipherSize(0), kTagBytes);
  assert_int_equal(CipherSize(1), 1 + kTagBytes);
  assert_int_equal(CipherSize(kPackagePlain), kPackageCipher);
  assert_int_equal(CipherSize(kPackagePlain + 1), kPackageCipher + 1 + kTagBytes);
  for (uint64_t p : {0ul, 1ul, 65535ul, 65536ul, 65537ul, 1048576ul, 3000001ul}) {
    assert_true(PlainSize(CipherSize(p)) == p);
  }
  assert_false(PlainSize(0).has_value());
  assert_false(PlainSize(kPackageCipher + kTagBytes).has_value());  // empty non-first package
  assert_false(PlainSize(kPackageCipher + 3).has_value());
}

void test_round_trip(void** state) {
  (void)state;
  const Key key = TestKey(1);
  for (size_t n : {0ul, 1ul, 65535ul, 65536ul, 65537ul, 200000ul, 3 * 65536ul}) {
    std::string plain = Plain(n);
    std::string stored = Encrypt(plain, key, Binding());
    assert_int_equal(stored.size(), CipherSize(n));
    if (n >= 64) assert_true(stored.find(plain.substr(0, 64)) == std::string::npos);
    auto back = Decrypt(stored, n, key, Binding(), 0, n);
    assert_true(back.has_value());
    assert_true(*back == plain);
  }
}

void test_ranges_at_boundaries(void** state) {
  (void)state;
  const Key key = TestKey(2);
  const size_t n = 4 * kPackagePlain + 1234;
  std::string plain = Plain(n);
  std::string stored = Encrypt(plain, key, Binding());
  const uint64_t P = kPackagePlain;
  const std::pair<uint64_t, uint64_t> ranges[] = {
      {0, 1},          {P - 1, 1},         {P - 1, 2}, {P, 1}, {P, P},     {P + 1, P},
      {2 * P - 5, 10}, {3 * P, n - 3 * P}, {n - 1, 1}, {0, n}, {17, 3 * P}};
  for (auto [off, len] : ranges) {
    auto got = Decrypt(stored, n, key, Binding(), off, len);
    assert_true(got.has_value());
    assert_true(*got == plain.substr(off, len));
  }
}

void test_tampering_rejected(void** state) {
  (void)state;
  const Key key = TestKey(3);
  const size_t n = 3 * kPackagePlain;
  std::string plain = Plain(n);
  std::string stored = Encrypt(plain, key, Binding());
  // Wrong key.
  assert_false(Decrypt(stored, n, TestKey(4), Binding(), 0, n).has_value());
  // Another object's identity (key name).
  assert_false(Decrypt(stored, n, key, Binding("other"), 0, n).has_value());
  // A flipped bit in the second package.
  std::string flipped = stored;
  flipped[kPackageCipher + 100] ^= 0x01;
  assert_false(Decrypt(flipped, n, key, Binding(), 0, n).has_value());
  assert_true(Decrypt(flipped, n, key, Binding(), 0, kPackagePlain).has_value());  // untouched
  // Packages 1 and 2 swapped.
  std::string swapped = stored.substr(0, kPackageCipher) +
                        stored.substr(2 * kPackageCipher, kPackageCipher) +
                        stored.substr(kPackageCipher, kPackageCipher);
  assert_false(Decrypt(swapped, n, key, Binding(), kPackagePlain, kPackagePlain).has_value());
  // Truncated to two packages, metadata saying two packages: the last is not final.
  std::string truncated = stored.substr(0, 2 * kPackageCipher);
  assert_false(
      Decrypt(truncated, 2 * kPackagePlain, key, Binding(), 0, 2 * kPackagePlain).has_value());
  // A package from another object (same key, other identity) spliced in.
  std::string other = Encrypt(plain, key, Binding("other"));
  std::string spliced = stored.substr(0, kPackageCipher) +
                        other.substr(kPackageCipher, kPackageCipher) +
                        stored.substr(2 * kPackageCipher);
  assert_false(Decrypt(spliced, n, key, Binding(), 0, n).has_value());
  // Stored bytes shorter than the metadata says.
  assert_false(Decrypt(stored.substr(0, stored.size() - 1), n, key, Binding(), 0, n).has_value());
}

void test_key_sealing(void** state) {
  (void)state;
  const Key kek = TestKey(5), data = TestKey(9);
  std::string sealed = SealKey(kek, data, "binding");
  assert_int_equal(sealed.size(), 12 + 32 + 16);
  auto back = UnsealKey(kek, sealed, "binding");
  assert_true(back.has_value());
  assert_memory_equal(back->data(), data.data(), data.size());
  assert_int_equal(UnsealKey(TestKey(6), sealed, "binding").error().code(), Code::kAccessDenied);
  assert_int_equal(UnsealKey(kek, sealed, "other").error().code(), Code::kAccessDenied);
  sealed[20] ^= 1;
  assert_false(UnsealKey(kek, sealed, "binding").has_value());
  // Two seals of one key differ (fresh nonce).
  assert_true(SealKey(kek, data, "b") != SealKey(kek, data, "b"));
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sizes),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_ranges_at_boundaries),
      cmocka_unit_test(test_tampering_rejected),
      cmocka_unit_test(test_key_sealing),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
