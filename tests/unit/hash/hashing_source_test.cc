// Unit tests of hash::HashingSource: MD5/SHA-256/checksum vectors through chunked reads,
// each mismatch error and its precedence, late (trailer) checksums, sticky errors (its own
// and the inner source's), and the computed values it reports.
#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/hash/hashing_source.h"

#include "cmocka_cpp.h"

using flashstor::Code;
using flashstor::DataSource;
using flashstor::Result;
using flashstor::Status;
using flashstor::hash::ChecksumAlgo;
using flashstor::hash::Expectations;
using flashstor::hash::HashingSource;

namespace {

// Serves data in reads of at most `chunk` bytes; optionally fails at a byte offset, and
// optionally publishes a trailer value when it reaches EOF (as aws-chunked decoding does).
class MemSource final : public DataSource {
 public:
  MemSource(std::string data, size_t chunk) : data_(std::move(data)), chunk_(chunk) {}
  Result<size_t> read(std::span<char> out) override {
    ++calls;
    if (fail_at && pos_ >= *fail_at) return std::unexpected(Status(Code::kCancelled, "gone"));
    size_t n = std::min({out.size(), chunk_, data_.size() - pos_});
    if (fail_at) n = std::min(n, *fail_at - pos_);
    std::memcpy(out.data(), data_.data() + pos_, n);
    pos_ += n;
    if (n == 0 && trailer_dst != nullptr) *trailer_dst = trailer_value;
    return n;
  }
  std::optional<size_t> fail_at;
  std::string* trailer_dst = nullptr;
  std::string trailer_value;
  int calls = 0;

 private:
  std::string data_;
  size_t chunk_;
  size_t pos_ = 0;
};

// Reads to the end through a small buffer; returns the final status and the bytes seen.
Status Drain(HashingSource& src, std::string* seen = nullptr) {
  std::array<char, 5> buf{};
  for (;;) {
    Result<size_t> n = src.read(buf);
    if (!n) return n.error();
    if (*n == 0) return Status::Ok();
    if (seen != nullptr) seen->append(buf.data(), *n);
  }
}

std::array<unsigned char, 16> Md5Of(std::string_view hex) {
  std::array<unsigned char, 16> out{};
  for (size_t i = 0; i < 16; ++i) {
    out[i] = static_cast<unsigned char>(std::stoi(std::string(hex.substr(2 * i, 2)), nullptr, 16));
  }
  return out;
}

constexpr std::string_view kFox = "The quick brown fox jumps over the lazy dog";
constexpr std::string_view kFoxMd5 = "9e107d9d372bb6826bd81d3542a419d6";
constexpr std::string_view kFoxSha256 =
    "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592";

void test_md5_only(void**) {
  for (size_t chunk : {1u, 3u, 7u, 64u}) {
    MemSource inner(std::string(kFox), chunk);
    HashingSource src(inner, {});
    assert_true(src.md5_hex().empty());  // not before EOF
    std::string seen;
    assert_true(Drain(src, &seen).ok());
    assert_true(seen == kFox);  // passes bytes through unchanged
    assert_true(src.finished());
    assert_int_equal(src.bytes(), kFox.size());
    assert_string_equal(src.md5_hex().c_str(), std::string(kFoxMd5).c_str());
    assert_true(src.md5() == Md5Of(kFoxMd5));
    assert_true(src.checksum_b64().empty());
    assert_int_equal(static_cast<int>(src.checksum_algo()), static_cast<int>(ChecksumAlgo::kNone));
    std::array<char, 4> buf{};
    auto again = src.read(buf);  // EOF repeats
    assert_true(again.has_value());
    assert_int_equal(*again, 0);
  }
  MemSource empty("", 4);
  HashingSource src(empty, {});
  assert_true(Drain(src).ok());
  assert_string_equal(src.md5_hex().c_str(), "d41d8cd98f00b204e9800998ecf8427e");
}

void test_all_expectations_hold(void**) {
  std::string late = "";
  Expectations e;
  e.content_md5 = Md5Of(kFoxMd5);
  e.sha256_hex = std::string(kFoxSha256);
  std::transform(e.sha256_hex.begin(), e.sha256_hex.end(), e.sha256_hex.begin(), ::toupper);
  e.checksum_algo = ChecksumAlgo::kCrc32;
  e.checksum_b64 = "QU+jOQ==";  // 414fa339
  e.late_checksum_b64 = &late;
  MemSource inner(std::string(kFox), 2);
  HashingSource src(inner, e);
  assert_true(Drain(src).ok());
  assert_string_equal(src.checksum_b64().c_str(), "QU+jOQ==");
}

void ExpectError(Expectations e, Code want, std::string_view body = kFox) {
  MemSource inner(std::string(body), 4);
  HashingSource src(inner, std::move(e));
  Status st = Drain(src);
  assert_int_equal(static_cast<int>(st.code()), static_cast<int>(want));
  assert_false(src.finished());
  const int calls = inner.calls;
  std::array<char, 8> buf{};
  for (int i = 0; i < 3; ++i) {  // sticky, and the inner source is not read again
    auto r = src.read(buf);
    assert_false(r.has_value());
    assert_int_equal(static_cast<int>(r.error().code()), static_cast<int>(want));
  }
  assert_int_equal(inner.calls, calls);
}

void test_mismatches(void**) {
  Expectations md5;
  md5.content_md5 = Md5Of("9e107d9d372bb6826bd81d3542a419d7");
  ExpectError(md5, Code::kBadDigest);

  Expectations sha;
  sha.sha256_hex = std::string(kFoxSha256);
  sha.sha256_hex.back() = '3';
  ExpectError(sha, Code::kContentSha256Mismatch);
  sha.sha256_hex = "UNSIGNED-PAYLOAD";  // the caller must filter these out
  ExpectError(sha, Code::kContentSha256Mismatch);

  for (auto [algo, good] :
       {std::pair{ChecksumAlgo::kCrc32, "QU+jOQ=="},
        {ChecksumAlgo::kCrc32c, "ImIEBA=="},
        {ChecksumAlgo::kCrc64Nvme, "12xUBUlUwUM="},
        {ChecksumAlgo::kSha1, "L9ThxnotKPzthJ7hu3bnORuT6xI="},
        {ChecksumAlgo::kSha256, "16j7swfXgJRpypq8sAguT41WUeRtPNt2LQLQvzfJ5ZI="}}) {
    Expectations ok;
    ok.checksum_algo = algo;
    ok.checksum_b64 = good;
    MemSource inner(std::string(kFox), 3);
    HashingSource src(inner, ok);
    assert_true(Drain(src).ok());
    assert_string_equal(src.checksum_b64().c_str(), good);

    Expectations bad = ok;
    bad.checksum_b64[1] = bad.checksum_b64[1] == 'A' ? 'B' : 'A';
    ExpectError(bad, Code::kChecksumMismatch);
    bad.checksum_b64 = "not base64!";
    ExpectError(bad, Code::kChecksumMismatch);
  }
  // Right value, wrong algorithm.
  Expectations wrong;
  wrong.checksum_algo = ChecksumAlgo::kCrc32c;
  wrong.checksum_b64 = "QU+jOQ==";
  ExpectError(wrong, Code::kChecksumMismatch);
  // An expected value without an algorithm is a caller bug.
  Expectations none;
  none.checksum_b64 = "QU+jOQ==";
  ExpectError(none, Code::kInvalidArgument);
}

void test_error_precedence(void**) {
  Expectations e;
  e.content_md5 = Md5Of("00000000000000000000000000000000");
  e.sha256_hex = std::string(64, '0');
  e.checksum_algo = ChecksumAlgo::kCrc32;
  e.checksum_b64 = "AAAAAA==";
  ExpectError(e, Code::kBadDigest);
  e.content_md5 = Md5Of(kFoxMd5);
  ExpectError(e, Code::kContentSha256Mismatch);
  e.sha256_hex = std::string(kFoxSha256);
  ExpectError(e, Code::kChecksumMismatch);
}

void test_late_checksum(void**) {
  for (auto [value, want] :
       {std::pair{"QU+jOQ==", Code::kOk}, {"QU+jOA==", Code::kChecksumMismatch}, {"", Code::kOk}}) {
    std::string trailer;  // empty until the inner source reaches EOF
    MemSource inner(std::string(kFox), 6);
    inner.trailer_dst = &trailer;
    inner.trailer_value = value;
    Expectations e;
    e.checksum_algo = ChecksumAlgo::kCrc32;
    e.late_checksum_b64 = &trailer;
    HashingSource src(inner, e);
    Status st = Drain(src);
    assert_int_equal(static_cast<int>(st.code()), static_cast<int>(want));
    assert_string_equal(src.checksum_b64().c_str(), "QU+jOQ==");
  }
  // An up-front value wins over the trailer.
  std::string trailer = "AAAAAA==";
  Expectations e;
  e.checksum_algo = ChecksumAlgo::kCrc32;
  e.checksum_b64 = "QU+jOQ==";
  e.late_checksum_b64 = &trailer;
  MemSource inner(std::string(kFox), 6);
  HashingSource src(inner, e);
  assert_true(Drain(src).ok());
}

void test_inner_error_is_sticky(void**) {
  MemSource inner(std::string(kFox), 4);
  inner.fail_at = 10;
  HashingSource src(inner, {});
  std::string seen;
  Status st = Drain(src, &seen);
  assert_true(st == Code::kCancelled);
  assert_int_equal(seen.size(), 10);
  assert_int_equal(src.bytes(), 10);
  const int calls = inner.calls;
  std::array<char, 8> buf{};
  auto r = src.read(buf);
  assert_false(r.has_value());
  assert_true(r.error() == Code::kCancelled);
  assert_int_equal(inner.calls, calls);
  assert_false(src.finished());
  assert_true(src.md5_hex().empty());
}

void test_large_random_body(void**) {
  std::mt19937 rng(11);
  std::string body(300000, '\0');
  for (auto& c : body) c = static_cast<char>(rng());
  std::string reference;
  {
    MemSource inner(body, body.size());
    Expectations e;
    e.checksum_algo = ChecksumAlgo::kCrc64Nvme;
    HashingSource src(inner, e);
    std::vector<char> buf(body.size() + 1);
    auto n = src.read(buf);
    assert_true(n.has_value() && *n == body.size());
    assert_true(src.read(buf).has_value());
    reference = src.checksum_b64();
  }
  MemSource inner(body, 4093);
  Expectations e;
  e.checksum_algo = ChecksumAlgo::kCrc64Nvme;
  e.checksum_b64 = reference;
  HashingSource src(inner, e);
  assert_true(Drain(src).ok());
}

// prefetch: the bytes read ahead come first, hashed once; a short body stops it early and the
// next read reports the end with its verification; an inner error is final.
void test_prefetch(void**) {
  for (size_t ahead : {size_t{0}, size_t{5}, kFox.size(), size_t{100}}) {
    MemSource inner(std::string(kFox), 3);
    Expectations e;
    e.content_md5 = Md5Of(kFoxMd5);
    e.sha256_hex = std::string(kFoxSha256);
    HashingSource src(inner, e);
    assert_true(src.prefetch(ahead).ok());
    // The inner source was read for min(ahead, body) bytes, plus its end when shorter.
    assert_int_equal(inner.calls, ahead == 0
                                      ? 0
                                      : static_cast<int>((std::min(ahead, kFox.size()) + 2) / 3) +
                                            (ahead > kFox.size()));
    assert_int_equal(src.bytes(), 0);  // counted as handed out
    std::string seen;
    assert_true(Drain(src, &seen).ok());
    assert_true(seen == kFox);
    assert_int_equal(src.bytes(), kFox.size());
    assert_string_equal(src.md5_hex().c_str(), std::string(kFoxMd5).c_str());
    assert_false(src.prefetch(1).ok());  // once, before any read
  }
  // At most kMaxPrefetch bytes are read ahead.
  std::string big(HashingSource::kMaxPrefetch * 3, 'a');
  MemSource inner(big, big.size());
  HashingSource src(inner, {});
  assert_true(src.prefetch(big.size()).ok());
  assert_int_equal(inner.calls, 1);
  std::string seen;
  assert_true(Drain(src, &seen).ok());
  assert_true(seen == big);
  // A client gone while reading ahead: the error is sticky, nothing was handed out.
  MemSource failing(std::string(kFox), 4);
  failing.fail_at = 6;
  HashingSource bad(failing, {});
  assert_true(bad.prefetch(20) == Code::kCancelled);
  std::array<char, 8> buf{};
  auto r = bad.read(buf);
  assert_false(r.has_value());
  assert_true(r.error() == Code::kCancelled);
  assert_false(bad.finished());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_md5_only),          cmocka_unit_test(test_all_expectations_hold),
      cmocka_unit_test(test_mismatches),        cmocka_unit_test(test_error_precedence),
      cmocka_unit_test(test_late_checksum),     cmocka_unit_test(test_inner_error_is_sticky),
      cmocka_unit_test(test_large_random_body), cmocka_unit_test(test_prefetch),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
