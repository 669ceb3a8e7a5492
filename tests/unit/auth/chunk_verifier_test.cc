// Unit tests of the aws-chunked ChunkVerifier: AWS's published streaming examples (signed
// chunks; signed chunks with a signed trailer), tampering, missing signatures, chunk replay,
// unsigned-trailer mode and state-machine misuse.

#include <algorithm>
#include <memory>
#include <string>

#include "flashstor/auth/sigv4.h"
#include "flashstor/http/body.h"
#include "sigv4_test_util.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::auth;
using namespace flashstor::auth::testing;

namespace {

constexpr std::string_view kSeed =
    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
constexpr std::string_view kSig1 =
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
constexpr std::string_view kSig2 =
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497";
constexpr std::string_view kSig3 =
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";
constexpr std::string_view kTrailerSeed =
    "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
constexpr std::string_view kTrailerSig1 =
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2";
constexpr std::string_view kTrailerSig2 =
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7";
constexpr std::string_view kTrailerSig3 =
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992";
constexpr std::string_view kTrailerSignature =
    "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";

AuthContext Context(PayloadKind kind, std::string_view seed) {
  AuthContext ctx;
  ctx.anonymous = false;
  ctx.access_key = std::string(kAccessKey);
  ctx.payload = kind;
  ctx.seed_signature = std::string(seed);
  ctx.amz_date = "20130524T000000Z";
  ctx.scope = "20130524/us-east-1/s3/aws4_request";
  ctx.signing_key = DeriveSigningKey(kSecretKey, "20130524", "us-east-1", "s3");
  return ctx;
}

// Feeds one chunk, in pieces of `piece` bytes; returns the on_chunk_end status (or the
// on_chunk_begin error).
Status Chunk(ChunkVerifier& v, std::string_view sig, size_t size, char fill = 'a',
             size_t piece = 4096) {
  Status begin = v.on_chunk_begin(sig, size);
  if (!begin.ok()) return begin;
  std::string data(size, 'a');
  if (size > 0) data[0] = fill;
  for (size_t off = 0; off < size; off += piece) {
    size_t n = std::min(piece, size - off);
    v.on_chunk_data({data.data() + off, n});
  }
  return v.on_chunk_end();
}

int CodeOf(const Status& s) {
  return static_cast<int>(s.code());
}

void test_aws_streaming_example(void**) {
  for (size_t piece : {size_t{1} << 16, size_t{1000}, size_t{1}}) {
    auto v = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSigned, kSeed));
    assert_non_null(v.get());
    assert_true(Chunk(*v, kSig1, 65536, 'a', piece).ok());
    assert_true(Chunk(*v, kSig2, 1024, 'a', piece).ok());
    assert_true(Chunk(*v, kSig3, 0).ok());
    assert_true(v->on_trailers_end("").ok());
  }
}

void test_tampered_chunk_data(void**) {
  auto v = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSigned, kSeed));
  Status s = Chunk(*v, kSig1, 65536, 'b');
  assert_int_equal(CodeOf(s), static_cast<int>(Code::kSignatureMismatch));
  // Errors are final.
  assert_int_equal(CodeOf(Chunk(*v, kSig2, 1024)), static_cast<int>(Code::kSignatureMismatch));
  assert_int_equal(CodeOf(v->on_trailers_end("")), static_cast<int>(Code::kSignatureMismatch));
}

void test_missing_or_wrong_chunk_signature(void**) {
  auto v = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSigned, kSeed));
  assert_int_equal(CodeOf(Chunk(*v, "", 65536)), static_cast<int>(Code::kSignatureMismatch));
  auto w = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSigned, kSeed));
  std::string flipped(kSig1);
  flipped[10] = flipped[10] == '0' ? '1' : '0';
  assert_int_equal(CodeOf(Chunk(*w, flipped, 65536)), static_cast<int>(Code::kSignatureMismatch));
  auto x = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSigned, kSeed));
  assert_int_equal(CodeOf(Chunk(*x, kSig1.substr(1), 65536)),
                   static_cast<int>(Code::kSignatureMismatch));
}

void test_final_chunk_is_signed(void**) {
  auto v = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSigned, kSeed));
  assert_true(Chunk(*v, kSig1, 65536).ok());
  assert_true(Chunk(*v, kSig2, 1024).ok());
  assert_int_equal(CodeOf(Chunk(*v, kSig2, 0)), static_cast<int>(Code::kSignatureMismatch));
  // Dropping the final chunk: the body ends early.
  auto w = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSigned, kSeed));
  assert_true(Chunk(*w, kSig1, 65536).ok());
  assert_int_equal(CodeOf(w->on_trailers_end("")), static_cast<int>(Code::kIncompleteBody));
}

void test_chunk_replay_fails(void**) {
  // Replaying chunk 1 (valid data and signature) at position 2 fails: the chain moved on.
  auto v = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSigned, kSeed));
  assert_true(Chunk(*v, kSig1, 65536).ok());
  assert_int_equal(CodeOf(Chunk(*v, kSig1, 65536)), static_cast<int>(Code::kSignatureMismatch));
  // Skipping chunk 1: chunk 2 first does not verify against the seed.
  auto w = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSigned, kSeed));
  assert_int_equal(CodeOf(Chunk(*w, kSig2, 1024)), static_cast<int>(Code::kSignatureMismatch));
  // A chunk from another upload (other seed) does not verify either.
  auto x = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSigned, kTrailerSeed));
  assert_int_equal(CodeOf(Chunk(*x, kSig1, 65536)), static_cast<int>(Code::kSignatureMismatch));
}

void test_aws_trailer_example(void**) {
  auto v =
      SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSignedTrailer, kTrailerSeed));
  assert_true(Chunk(*v, kTrailerSig1, 65536).ok());
  assert_true(Chunk(*v, kTrailerSig2, 1024).ok());
  assert_true(Chunk(*v, kTrailerSig3, 0).ok());
  assert_true(v->on_trailer("x-amz-checksum-crc32c", "sOO8/Q==").ok());
  assert_true(v->on_trailers_end(kTrailerSignature).ok());
  assert_true(v->trailer("x-amz-checksum-crc32c") == "sOO8/Q==");
  assert_true(v->trailer("x-amz-checksum-crc32").empty());

  // Trailer name case and the signature delivered as a trailer are tolerated.
  auto w =
      SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSignedTrailer, kTrailerSeed));
  assert_true(Chunk(*w, kTrailerSig1, 65536).ok());
  assert_true(Chunk(*w, kTrailerSig2, 1024).ok());
  assert_true(Chunk(*w, kTrailerSig3, 0).ok());
  assert_true(w->on_trailer("X-Amz-Checksum-Crc32c", " sOO8/Q== ").ok());
  assert_true(w->on_trailer("x-amz-trailer-signature", kTrailerSignature).ok());
  assert_true(w->on_trailers_end("").ok());
  assert_true(w->trailer("x-amz-checksum-crc32c") == "sOO8/Q==");
}

void test_bad_trailer_signature(void**) {
  auto run = [](std::string_view value, std::string_view signature) {
    auto v = SigV4Verifier::MakeChunkVerifier(
        Context(PayloadKind::kStreamingSignedTrailer, kTrailerSeed));
    assert_true(Chunk(*v, kTrailerSig1, 65536).ok());
    assert_true(Chunk(*v, kTrailerSig2, 1024).ok());
    assert_true(Chunk(*v, kTrailerSig3, 0).ok());
    assert_true(v->on_trailer("x-amz-checksum-crc32c", value).ok());
    return CodeOf(v->on_trailers_end(signature));
  };
  int mismatch = static_cast<int>(Code::kSignatureMismatch);
  assert_int_equal(run("sOO8/Q=x", kTrailerSignature), mismatch);  // tampered trailer value
  assert_int_equal(run("sOO8/Q==", ""), mismatch);                 // missing signature
  assert_int_equal(run("sOO8/Q==", kSig3), mismatch);              // a chunk signature
}

void test_trailer_rules(void**) {
  // Trailers are refused where none were announced, before the final chunk, and when repeated.
  auto v = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSigned, kSeed));
  assert_true(Chunk(*v, kSig1, 65536).ok());
  assert_true(Chunk(*v, kSig2, 1024).ok());
  assert_true(Chunk(*v, kSig3, 0).ok());
  assert_int_equal(CodeOf(v->on_trailer("x-amz-checksum-crc32", "AAAAAA==")),
                   static_cast<int>(Code::kInvalidRequest));
  auto w = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingUnsignedTrailer, ""));
  assert_int_equal(CodeOf(w->on_trailer("x-amz-checksum-crc32", "AAAAAA==")),
                   static_cast<int>(Code::kInvalidRequest));
  auto x = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingUnsignedTrailer, ""));
  assert_true(Chunk(*x, "", 0).ok());
  assert_true(x->on_trailer("x-amz-checksum-crc32", "AAAAAA==").ok());
  assert_int_equal(CodeOf(x->on_trailer("X-Amz-Checksum-CRC32", "AAAAAA==")),
                   static_cast<int>(Code::kInvalidRequest));
  // At most 16 trailers.
  auto y = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingUnsignedTrailer, ""));
  assert_true(Chunk(*y, "", 0).ok());
  std::string names[17];
  for (int i = 0; i < 17; ++i) {
    names[i] = "x-amz-meta-t" + std::to_string(i);
    Status s = y->on_trailer(names[i], "v");
    assert_int_equal(s.ok(), i < 16);
  }
}

void test_unsigned_trailer_mode(void**) {
  auto v = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingUnsignedTrailer, ""));
  assert_non_null(v.get());
  assert_true(Chunk(*v, "", 65536, 'z').ok());
  assert_true(Chunk(*v, "", 17).ok());
  assert_true(Chunk(*v, "", 0).ok());
  assert_true(v->on_trailer("x-amz-checksum-crc32", "+pzVOg==").ok());
  assert_true(v->on_trailers_end("").ok());
  assert_true(v->trailer("x-amz-checksum-crc32") == "+pzVOg==");
}

void test_framing_misuse(void**) {
  auto v = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSigned, kSeed));
  assert_true(v->on_chunk_begin(kSig1, 65536).ok());
  assert_int_equal(CodeOf(v->on_chunk_begin(kSig1, 65536)),
                   static_cast<int>(Code::kInvalidRequest));
  // Fewer bytes than announced.
  auto w = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSigned, kSeed));
  assert_true(w->on_chunk_begin(kSig1, 65536).ok());
  std::string data(100, 'a');
  w->on_chunk_data(data);
  assert_int_equal(CodeOf(w->on_chunk_end()), static_cast<int>(Code::kIncompleteBody));
  // A chunk after the final one.
  auto x = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSigned, kSeed));
  assert_true(Chunk(*x, kSig1, 65536).ok());
  assert_true(Chunk(*x, kSig2, 1024).ok());
  assert_true(Chunk(*x, kSig3, 0).ok());
  assert_int_equal(CodeOf(x->on_chunk_begin(kSig3, 0)), static_cast<int>(Code::kInvalidRequest));
  // End without begin.
  auto y = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSigned, kSeed));
  assert_int_equal(CodeOf(y->on_chunk_end()), static_cast<int>(Code::kInvalidRequest));
}

// Serves a string in small reads, as a socket would.
class StringSource final : public DataSource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}
  Result<size_t> read(std::span<char> out) override {
    size_t n = std::min({out.size(), data_.size() - pos_, size_t{777}});
    std::copy_n(data_.data() + pos_, n, out.data());
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

std::string Wire(std::string_view s1, std::string_view s2, std::string_view s3,
                 std::string_view trailers) {
  std::string w;
  w.append("10000;chunk-signature=").append(s1).append("\r\n").append(65536, 'a').append("\r\n");
  w.append("400;chunk-signature=").append(s2).append("\r\n").append(1024, 'a').append("\r\n");
  w.append("0;chunk-signature=").append(s3).append("\r\n").append(trailers).append("\r\n");
  return w;
}

// Decodes the whole body; returns the error code or kOk, and the bytes delivered.
int Decode(std::string wire, ChunkVerifier& verifier, size_t& delivered) {
  StringSource source(std::move(wire));
  http::AwsChunkedBody body(source, verifier, 66560);
  std::string buf(10000, '\0');
  delivered = 0;
  while (true) {
    auto n = body.read(buf);
    if (!n) return CodeOf(n.error());
    if (*n == 0) return static_cast<int>(Code::kOk);
    for (size_t i = 0; i < *n; ++i) {
      if (buf[i] != 'a') return -1;
    }
    delivered += *n;
  }
}

void test_with_http_decoder(void**) {
  size_t delivered = 0;
  auto v = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSigned, kSeed));
  assert_int_equal(Decode(Wire(kSig1, kSig2, kSig3, ""), *v, delivered),
                   static_cast<int>(Code::kOk));
  assert_int_equal(delivered, 66560);

  auto t =
      SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSignedTrailer, kTrailerSeed));
  std::string trailers = "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:" +
                         std::string(kTrailerSignature) + "\r\n";
  assert_int_equal(Decode(Wire(kTrailerSig1, kTrailerSig2, kTrailerSig3, trailers), *t, delivered),
                   static_cast<int>(Code::kOk));
  assert_true(t->trailer("x-amz-checksum-crc32c") == "sOO8/Q==");

  // Swapped chunk signatures fail before the data of the first chunk completes.
  auto w = SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kStreamingSigned, kSeed));
  assert_int_equal(Decode(Wire(kSig2, kSig1, kSig3, ""), *w, delivered),
                   static_cast<int>(Code::kSignatureMismatch));
  assert_true(delivered < 65536);
}

void test_non_streaming_has_no_verifier(void**) {
  assert_null(SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kSha256, kSeed)).get());
  assert_null(SigV4Verifier::MakeChunkVerifier(Context(PayloadKind::kUnsigned, kSeed)).get());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_aws_streaming_example),
      cmocka_unit_test(test_tampered_chunk_data),
      cmocka_unit_test(test_missing_or_wrong_chunk_signature),
      cmocka_unit_test(test_final_chunk_is_signed),
      cmocka_unit_test(test_chunk_replay_fails),
      cmocka_unit_test(test_aws_trailer_example),
      cmocka_unit_test(test_bad_trailer_signature),
      cmocka_unit_test(test_trailer_rules),
      cmocka_unit_test(test_unsigned_trailer_mode),
      cmocka_unit_test(test_framing_misuse),
      cmocka_unit_test(test_with_http_decoder),
      cmocka_unit_test(test_non_streaming_has_no_verifier),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
