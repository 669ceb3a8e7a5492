// ChunkVerifier for aws-chunked bodies: checks each chunk signature chained from the seed
// signature (so chunks cannot be reordered, dropped or replayed), the trailer signature, and
// collects trailers. For STREAMING-UNSIGNED-PAYLOAD-TRAILER it only collects trailers.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <openssl/crypto.h>

#include "flashstor/auth/sigv4.h"
#include "signing.h"

namespace flashstor::auth {
namespace {

constexpr size_t kMaxTrailers = 16;
constexpr std::string_view kTrailerSignatureName = "x-amz-trailer-signature";

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

class ChunkVerifierImpl final : public ChunkVerifier {
 public:
  explicit ChunkVerifierImpl(const AuthContext& ctx)
      : signed_chunks_(ctx.payload != PayloadKind::kStreamingUnsignedTrailer),
        trailers_allowed_(ctx.payload != PayloadKind::kStreamingSigned),
        trailer_signed_(ctx.payload == PayloadKind::kStreamingSignedTrailer),
        key_(ctx.signing_key),
        amz_date_(ctx.amz_date),
        scope_(ctx.scope),
        previous_(ctx.seed_signature) {}

  ~ChunkVerifierImpl() override { OPENSSL_cleanse(key_.data(), key_.size()); }

  Status on_chunk_begin(std::string_view signature, uint64_t size) override {
    if (failed_) return Fail();
    if (in_chunk_ || final_seen_) return Fail(Code::kInvalidRequest, "unexpected aws-chunk");
    if (!hash_.valid()) return Fail(Code::kInternal, "sha256 unavailable");
    if (signed_chunks_ && signature.size() != pending_.size()) {
      return Fail(Code::kSignatureMismatch, "chunk signature missing or malformed");
    }
    if (signed_chunks_) std::copy(signature.begin(), signature.end(), pending_.begin());
    in_chunk_ = true;
    announced_ = size;
    received_ = 0;
    hash_.reset();
    return Status::Ok();
  }

  void on_chunk_data(std::span<const char> data) override {
    if (!in_chunk_ || failed_) return;
    received_ += data.size();
    if (signed_chunks_) hash_.update({data.data(), data.size()});
  }

  Status on_chunk_end() override {
    if (failed_) return Fail();
    if (!in_chunk_) return Fail(Code::kInvalidRequest, "aws-chunk end without a chunk");
    in_chunk_ = false;
    if (received_ != announced_) return Fail(Code::kIncompleteBody, "aws-chunk size mismatch");
    if (announced_ == 0) final_seen_ = true;
    if (!signed_chunks_) return Status::Ok();
    HexDigest data_hash = ToHex(hash_.finish());
    sts_.clear();
    sts_.append("AWS4-HMAC-SHA256-PAYLOAD\n").append(amz_date_).append("\n");
    sts_.append(scope_).append("\n").append(previous_).append("\n");
    sts_.append(kEmptySha256Hex).append("\n").append(View(data_hash));
    HexDigest expected = ToHex(HmacSha256(key_, sts_));
    if (!SignatureEquals(expected, {pending_.data(), pending_.size()})) {
      return Fail(Code::kSignatureMismatch, "chunk signature does not match");
    }
    previous_.assign(View(expected));
    return Status::Ok();
  }

  Status on_trailer(std::string_view name, std::string_view value) override {
    if (failed_) return Fail();
    if (!trailers_allowed_ || !final_seen_) {
      return Fail(Code::kInvalidRequest, "trailer not announced by x-amz-content-sha256");
    }
    std::string lower(TrimSpaces(name));
    for (char& c : lower) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    value = TrimSpaces(value);
    if (lower == kTrailerSignatureName) {  // tolerate decoders that pass it as a trailer
      trailer_signature_.assign(value);
      return Status::Ok();
    }
    if (lower.empty() || trailers_.size() == kMaxTrailers || Find(lower) != nullptr) {
      return Fail(Code::kInvalidRequest, "too many, empty or repeated trailers");
    }
    trailer_hash_.update(lower);
    trailer_hash_.update(":");
    trailer_hash_.update(value);
    trailer_hash_.update("\n");
    trailers_.emplace_back(std::move(lower), std::string(value));
    return Status::Ok();
  }

  Status on_trailers_end(std::string_view trailer_signature) override {
    if (failed_) return Fail();
    if (in_chunk_ || !final_seen_)
      return Fail(Code::kIncompleteBody, "aws-chunked body ended early");
    if (!trailer_signed_) return Status::Ok();
    if (trailer_signature.empty()) trailer_signature = trailer_signature_;
    HexDigest trailer_hash = ToHex(trailer_hash_.finish());
    sts_.clear();
    sts_.append("AWS4-HMAC-SHA256-TRAILER\n").append(amz_date_).append("\n");
    sts_.append(scope_).append("\n").append(previous_).append("\n").append(View(trailer_hash));
    HexDigest expected = ToHex(HmacSha256(key_, sts_));
    if (!SignatureEquals(expected, trailer_signature)) {
      return Fail(Code::kSignatureMismatch, "trailer signature does not match");
    }
    return Status::Ok();
  }

  std::string_view trailer(std::string_view name) const override {
    const std::string* v = Find(name);
    return v == nullptr ? std::string_view{} : std::string_view(*v);
  }

 private:
  // Every error is final: later calls keep failing with the first error's code.
  Status Fail(Code code, std::string_view message) {
    failed_ = true;
    failure_ = Status(code, message);
    return failure_;
  }
  Status Fail() const { return failure_; }

  const std::string* Find(std::string_view name) const {
    for (const auto& [n, v] : trailers_) {
      if (n == name) return &v;
    }
    return nullptr;
  }

  const bool signed_chunks_;
  const bool trailers_allowed_;
  const bool trailer_signed_;
  std::array<unsigned char, 32> key_;
  std::string amz_date_;
  std::string scope_;
  std::string previous_;
  std::array<char, 64> pending_{};
  bool in_chunk_ = false;
  bool final_seen_ = false;
  bool failed_ = false;
  Status failure_;
  uint64_t announced_ = 0;
  uint64_t received_ = 0;
  Sha256 hash_;
  Sha256 trailer_hash_;
  std::string sts_;
  std::string trailer_signature_;
  std::vector<std::pair<std::string, std::string>> trailers_;
};

}  // namespace

std::unique_ptr<ChunkVerifier> SigV4Verifier::MakeChunkVerifier(const AuthContext& ctx) {
  switch (ctx.payload) {
    case PayloadKind::kStreamingSigned:
    case PayloadKind::kStreamingSignedTrailer:
    case PayloadKind::kStreamingUnsignedTrailer:
      return std::make_unique<ChunkVerifierImpl>(ctx);
    case PayloadKind::kUnsigned:
    case PayloadKind::kSha256:
      break;
  }
  return nullptr;
}

}  // namespace flashstor::auth
