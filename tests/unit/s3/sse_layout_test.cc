// Multipart encrypted-object layout tests: plaintext offsets mapped to (part, package) and
// stored ranges, and ranged reads of a multi-part object across package and part boundaries
// (each part sealed on its own, packages numbered from 0 in each part).
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "flashstor/s3/sse_layout.h"
#include "flashstor/s3/sse_package.h"
#include "sse_stream.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::s3::sse;

namespace {

constexpr uint64_t P = kPackagePlain;
constexpr uint64_t C = kPackageCipher;

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

// The stored bytes of an object, read only inside the range the reader asked for (a read
// outside it would be a mapping bug, and fails the test).
class StoredReader final : public object::ObjectReader {
 public:
  explicit StoredReader(std::string stored) : stored_(std::move(stored)), end_(stored_.size()) {}
  const object::ObjectInfo& info() const override { return info_; }
  void set_range(uint64_t offset, uint64_t length) override {
    assert_true(offset + length <= stored_.size());
    pos_ = offset;
    end_ = offset + length;
  }
  Result<size_t> read(std::span<char> out) override {
    size_t n = std::min<uint64_t>(out.size(), end_ - pos_);
    std::memcpy(out.data(), stored_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  object::ObjectInfo info_;
  std::string stored_;
  uint64_t pos_ = 0, end_ = 0;
};

Key TestKey() {
  Key k{};
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<unsigned char>(7 * i + 3);
  return k;
}

PackageBinding Binding(uint32_t part) {
  PackageBinding b;
  b.bucket = "bucket";
  b.key = "mp";
  b.part = part;
  for (size_t i = 0; i < b.object_id.size(); ++i) b.object_id[i] = static_cast<unsigned char>(i);
  return b;
}

std::string Plain(size_t n, size_t salt) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + salt * 17 + i / 7) & 0xff);
  return s;
}

std::string SealPart(const std::string& plain, uint32_t part) {
  StringSource src(plain);
  EncryptingSource enc(src, TestKey(), Binding(part));
  std::string out;
  char buf[9000];
  for (;;) {
    Result<size_t> n = enc.read({buf, sizeof buf});
    assert_true(n.has_value());
    if (*n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

void test_locate(void** state) {
  (void)state;
  // Parts 3, 5, 9: 2 packages + 5 bytes, 1 package exactly, 1 byte.
  auto layout = PackageLayout::Make({{3, 2 * P + 5}, {5, P}, {9, 1}},
                                    CipherSize(2 * P + 5) + CipherSize(P) + CipherSize(1));
  assert_true(layout.has_value());
  assert_int_equal(layout->plain_size(), 3 * P + 6);
  PackageRef r = layout->locate(0);
  assert_int_equal(r.part_number, 3);
  assert_int_equal(r.seq, 0);
  assert_false(r.final);
  assert_int_equal(r.stored_offset, 0);
  r = layout->locate(P - 1);
  assert_int_equal(r.seq, 0);
  r = layout->locate(P);
  assert_int_equal(r.seq, 1);
  assert_int_equal(r.stored_offset, C);
  r = layout->locate(2 * P + 4);  // the 5-byte last package of part 3
  assert_int_equal(r.seq, 2);
  assert_true(r.final);
  assert_int_equal(r.plain_len, 5);
  assert_int_equal(r.plain_offset, 2 * P);
  r = layout->locate(2 * P + 5);  // part 5 starts: sequence from 0 again
  assert_int_equal(r.part_number, 5);
  assert_int_equal(r.seq, 0);
  assert_true(r.final);
  assert_int_equal(r.stored_offset, CipherSize(2 * P + 5));
  r = layout->locate(3 * P + 5);
  assert_int_equal(r.part_number, 9);
  assert_int_equal(r.plain_len, 1);
  assert_int_equal(r.stored_offset, CipherSize(2 * P + 5) + C);
  // Stored range of plaintext [P - 1, 2P + 6): packages 3/0 .. 5/0.
  auto [off, len] = layout->stored_range(P - 1, 2 * P + 6);
  assert_int_equal(off, 0);
  assert_int_equal(len, CipherSize(2 * P + 5) + C);
  // next() walks across parts.
  PackageRef n;
  assert_true(layout->next(layout->locate(2 * P), n));
  assert_int_equal(n.part_number, 5);
  assert_true(layout->next(n, n));
  assert_int_equal(n.part_number, 9);
  assert_false(layout->next(n, n));
}

void test_empty_part_and_bad_sizes(void** state) {
  (void)state;
  // An empty last part holds one empty package and no plaintext offset.
  auto layout = PackageLayout::Make({{1, P}, {2, 0}}, C + kTagBytes);
  assert_true(layout.has_value());
  assert_int_equal(layout->locate(P - 1).part_number, 1);
  PackageRef n;
  assert_true(layout->next(layout->locate(0), n));
  assert_int_equal(n.part_number, 2);
  assert_int_equal(n.plain_len, 0);
  assert_true(n.final);
  // An empty part in the middle: offsets after it land in the following part.
  auto mid = PackageLayout::Make({{1, 10}, {2, 0}, {3, 10}}, 3 * kTagBytes + 20);
  assert_true(mid.has_value());
  assert_int_equal(mid->locate(10).part_number, 3);
  assert_int_equal(mid->locate(9).part_number, 1);
  // Sizes that do not add up, or no parts: corrupt.
  assert_false(PackageLayout::Make({{1, P}}, C + 1).has_value());
  assert_false(PackageLayout::Make({}, 0).has_value());
}

// A multi-part object of unequal parts (not multiples of 64 KiB, one exactly), every range
// near package and part boundaries decrypts to the plaintext.
void test_multipart_ranges(void** state) {
  (void)state;
  const std::vector<std::pair<uint32_t, size_t>> parts = {
      {1, 3 * P + 100}, {2, P}, {4, 2 * P - 1}, {7, 12345}};
  std::string plain, stored;
  std::vector<PartPlain> layout_parts;
  for (auto [number, size] : parts) {
    std::string p = Plain(size, number);
    stored += SealPart(p, number);
    plain += p;
    layout_parts.push_back({number, size});
  }
  auto layout = PackageLayout::Make(layout_parts, stored.size());
  assert_true(layout.has_value());
  std::vector<uint64_t> points = {0, 1, P - 1, P, P + 1};
  uint64_t start = 0;
  for (auto [number, size] : parts) {
    start += size;
    for (int64_t d : {-2, -1, 0, 1, 2}) points.push_back(static_cast<uint64_t>(start + d));
  }
  for (uint64_t a : points) {
    for (uint64_t len : {1ul, 2ul, 3ul, P - 1, P, P + 1, 3 * P + 7, 10 * P}) {
      if (a >= plain.size()) continue;
      len = std::min<uint64_t>(len, plain.size() - a);
      DecryptingReader r(std::make_unique<StoredReader>(stored), TestKey(), Binding(1), *layout);
      r.set_range(a, len);
      std::string out;
      char buf[5000];
      while (out.size() < len) {
        Result<size_t> n = r.read({buf, sizeof buf});
        assert_true(n.has_value());
        if (*n == 0) break;
        out.append(buf, *n);
      }
      assert_true(out == plain.substr(a, len));
    }
  }
  // The whole object, without a range.
  DecryptingReader whole(std::make_unique<StoredReader>(stored), TestKey(), Binding(1), *layout);
  std::string out(plain.size() + 10, '\0');
  Result<size_t> n = ReadFull(whole, {out.data(), out.size()});
  assert_true(n.has_value());
  assert_int_equal(*n, plain.size());
  assert_true(out.substr(0, *n) == plain);
}

// Parts in the wrong order, or a part number the layout does not name: never plaintext.
void test_swapped_parts_rejected(void** state) {
  (void)state;
  std::string a = Plain(P + 10, 1), b = Plain(P + 10, 2);
  std::string stored = SealPart(b, 2) + SealPart(a, 1);  // swapped
  auto layout = PackageLayout::Make({{1, P + 10}, {2, P + 10}}, stored.size());
  assert_true(layout.has_value());
  DecryptingReader r(std::make_unique<StoredReader>(stored), TestKey(), Binding(1), *layout);
  char buf[100];
  assert_false(r.read({buf, sizeof buf}).has_value());
  // Part 2 read as the object's only part (a part cut loose from its upload).
  std::string alone = SealPart(a, 2);
  auto one = PackageLayout::Make({{1, P + 10}}, alone.size());
  DecryptingReader r2(std::make_unique<StoredReader>(alone), TestKey(), Binding(1), *one);
  assert_false(r2.read({buf, sizeof buf}).has_value());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_locate),
      cmocka_unit_test(test_empty_part_and_bad_sizes),
      cmocka_unit_test(test_multipart_ranges),
      cmocka_unit_test(test_swapped_parts_rejected),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
