// HashingSource: digests a body as it streams (MD5 always, SHA-256 and one S3 checksum on
// request) and verifies the client's expectations when the inner source reaches EOF.
#include "flashstor/hash/hashing_source.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "evp_digest.h"

namespace flashstor::hash {
namespace {

constexpr size_t kMd5Size = 16;
constexpr size_t kSha256Size = 32;

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

struct HashingSource::State {
  explicit State(Expectations e)
      : expect(std::move(e)), md5(EvpDigest::Kind::kMd5), checksum(expect.checksum_algo) {
    if (!expect.sha256_hex.empty()) sha256.emplace(EvpDigest::Kind::kSha256);
  }

  Expectations expect;
  EvpDigest md5;
  std::optional<EvpDigest> sha256;
  Checksum checksum;
  std::optional<Status> error;  // sticky
  bool eof = false;
  std::array<unsigned char, kMd5Size> md5_value{};
  std::string checksum_value_b64;
  // prefetch(): bytes read ahead of the caller, handed out first; ahead_eof when the inner
  // source ended while reading ahead.
  std::unique_ptr<char[]> ahead;
  size_t ahead_len = 0;
  size_t ahead_pos = 0;
  bool ahead_eof = false;
  bool prefetched = false;
};

HashingSource::HashingSource(DataSource& inner, Expectations expect)
    : inner_(inner), state_(std::make_unique<State>(std::move(expect))) {
  State& s = *state_;
  if (s.expect.checksum_algo == ChecksumAlgo::kNone && !s.expect.checksum_b64.empty()) {
    s.error = Status(Code::kInvalidArgument, "hash: expected checksum without an algorithm");
  } else if (!s.md5.ok() || (s.sha256 && !s.sha256->ok()) || !s.checksum.ok()) {
    s.error = Status(Code::kInternal, "hash: digest setup failed");
  }
}

HashingSource::~HashingSource() = default;

Result<size_t> HashingSource::read(std::span<char> out) {
  State& s = *state_;
  if (s.error) return std::unexpected(*s.error);
  if (finished_) return 0;
  Result<size_t> got = size_t{0};
  if (s.ahead_pos < s.ahead_len) {
    got = std::min(out.size(), s.ahead_len - s.ahead_pos);
    std::copy_n(s.ahead.get() + s.ahead_pos, *got, out.data());
    s.ahead_pos += *got;
    if (s.ahead_pos == s.ahead_len) s.ahead.reset();
  } else if (!s.ahead_eof) {
    got = inner_.read(out);
  }
  if (!got) {
    s.error = got.error();
    return std::unexpected(*s.error);
  }
  const size_t n = *got;
  if (n > out.size()) {
    s.error = Status(Code::kInternal, "hash: inner source overran the buffer");
    return std::unexpected(*s.error);
  }
  if (n == 0) {
    Status st = finish();
    if (!st.ok()) {
      s.error = st;
      return std::unexpected(st);
    }
    finished_ = true;
    return 0;
  }
  const std::span<const char> data = out.first(n);
  const std::span<const uint8_t> bytes{reinterpret_cast<const uint8_t*>(data.data()), n};
  s.md5.update(bytes);
  if (s.sha256) s.sha256->update(bytes);
  s.checksum.update(data);
  bytes_ += n;
  return n;
}

Status HashingSource::prefetch(size_t n) {
  State& s = *state_;
  if (s.error) return *s.error;
  if (s.prefetched || finished_) return Status(Code::kInternal, "hash: prefetch once, first");
  s.prefetched = true;
  n = std::min(n, kMaxPrefetch);
  if (n == 0) return Status::Ok();
  s.ahead = std::make_unique_for_overwrite<char[]>(n);
  while (s.ahead_len < n) {
    Result<size_t> got = inner_.read({s.ahead.get() + s.ahead_len, n - s.ahead_len});
    if (!got) {
      s.error = got.error();
      s.ahead.reset();
      return *s.error;
    }
    if (*got > n - s.ahead_len) {
      s.error = Status(Code::kInternal, "hash: inner source overran the buffer");
      s.ahead.reset();
      return *s.error;
    }
    if (*got == 0) {
      s.ahead_eof = true;
      break;
    }
    s.ahead_len += *got;
  }
  return Status::Ok();
}

Status HashingSource::finish() {
  State& s = *state_;
  s.eof = true;
  std::array<uint8_t, EvpDigest::kMaxSize> md{};
  if (s.md5.final(md) != kMd5Size) return Status(Code::kInternal, "hash: MD5 failed");
  std::copy_n(md.begin(), kMd5Size, s.md5_value.begin());
  const std::string raw = s.checksum.final_raw();
  if (!s.checksum.ok()) return Status(Code::kInternal, "hash: checksum failed");
  s.checksum_value_b64 = s.checksum.final_b64();

  if (s.expect.content_md5 && *s.expect.content_md5 != s.md5_value) {
    return Status(Code::kBadDigest, "Content-MD5 mismatch");
  }
  if (s.sha256) {
    if (s.sha256->final(md) != kSha256Size) return Status(Code::kInternal, "hash: SHA-256 failed");
    if (HexEncode({md.data(), kSha256Size}) != ToLower(s.expect.sha256_hex)) {
      return Status(Code::kContentSha256Mismatch, "x-amz-content-sha256 mismatch");
    }
  }
  const std::string* want = &s.expect.checksum_b64;
  if (want->empty() && s.expect.late_checksum_b64 != nullptr) want = s.expect.late_checksum_b64;
  if (s.expect.checksum_algo != ChecksumAlgo::kNone && !want->empty()) {
    const std::optional<std::string> decoded = Base64Decode(*want);
    if (!decoded || *decoded != raw) {
      return Status(Code::kChecksumMismatch, "x-amz-checksum mismatch");
    }
  }
  return Status::Ok();
}

std::string HashingSource::md5_hex() const {
  if (!state_->eof) return {};
  return HexEncode(state_->md5_value);
}

std::array<unsigned char, 16> HashingSource::md5() const {
  return state_->md5_value;
}

ChecksumAlgo HashingSource::checksum_algo() const {
  return state_->expect.checksum_algo;
}

std::string HashingSource::checksum_b64() const {
  return state_->checksum_value_b64;
}

}  // namespace flashstor::hash
