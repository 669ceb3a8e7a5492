// Unit tests of the body decoders over a FakeTransport that can deliver 1 byte per recv():
// ConnectionInput, Content-Length (short body), chunked (extensions, trailers, bad hex,
// overflow, early EOF, leftover) and aws-chunked (valid, trailers, malformed, observer calls).
#include "cmocka_cpp.h"

#include <string>

#include "fake_transport.h"
#include "flashstor/http/body.h"

using namespace flashstor;
using namespace flashstor::http;
using flashstor::http::testing::FakeTransport;

namespace {

const std::string kSig(64, 'a');
const std::string kSig2(64, 'b');

// A connection whose head was already parsed: `buffered` sits in the read buffer, the rest
// arrives from the transport `piece` bytes at a time.
struct Conn {
  Conn(std::string buffered, std::string wire, size_t piece = SIZE_MAX)
      : transport(std::move(wire), piece),
        buffer(buffer_storage, sizeof(buffer_storage)),
        input(buffer, Prefill(std::move(buffered)), transport) {}

  std::string_view Prefill(std::string s) {
    std::memcpy(buffer_storage + 7, s.data(), s.size());  // not at offset 0 on purpose
    return std::string_view(buffer_storage + 7, s.size());
  }

  FakeTransport transport;
  char buffer_storage[256];
  std::span<char> buffer;
  ConnectionInput input;
};

// Reads the whole source with reads of at most `step` bytes.
Result<std::string> Drain(DataSource& src, size_t step = 4096) {
  std::string out;
  char buf[4096];
  for (;;) {
    Result<size_t> n = src.read(std::span<char>(buf, step));
    if (!n) return std::unexpected(n.error());
    if (*n == 0) return out;
    out.append(buf, *n);
  }
}

void test_connection_input(void**) {
  Conn c("abc", "defgh", 2);
  Result<std::string_view> p = c.input.peek();
  assert_true(*p == "abc");
  c.input.consume(1);
  assert_true(c.input.leftover() == "bc");
  char out[8];
  assert_int_equal(*c.input.read(std::span<char>(out, 8)), 2);  // buffered first, no recv
  assert_int_equal(c.transport.recv_calls, 0);
  assert_int_equal(*c.input.read(std::span<char>(out, 8)), 2);  // straight from the transport
  assert_int_equal(c.input.bytes_from_transport(), 2);
  p = c.input.peek();
  assert_true(*p == "fg");
  c.input.consume(100);  // clamped
  assert_true(c.input.leftover().empty());
  assert_true(*c.input.peek() == "h");
  c.input.consume(1);
  assert_true(c.input.peek()->empty());  // peer closed
  c.transport.fail_recv = true;
  assert_false(c.input.peek().has_value());
}

void test_content_length(void**) {
  Conn c("hel", "lo world|NEXT", 1);
  ContentLengthBody body(c.input, 11);
  Result<std::string> all = Drain(body, 3);
  assert_true(all.has_value());
  assert_true(*all == "hello world");
  assert_int_equal(body.remaining(), 0);
  // Never read past the body: the next request's bytes stay on the wire.
  assert_true(c.transport.remaining() == "|NEXT");
  // Pipelined bytes already buffered stay as leftover.
  Conn d("12345GET /", "");
  ContentLengthBody body2(d.input, 5);
  assert_true(*Drain(body2) == "12345");
  assert_true(d.input.leftover() == "GET /");
}

void test_content_length_short(void**) {
  Conn c("ab", "cd", 1);
  ContentLengthBody body(c.input, 10);
  Result<std::string> all = Drain(body);
  assert_false(all.has_value());
  assert_int_equal(all.error().code(), Code::kIncompleteBody);
  Conn e("", "");
  ContentLengthBody empty(e.input, 0);
  assert_true(Drain(empty)->empty());
  assert_int_equal(e.transport.recv_calls, 0);
}

Result<std::string> Chunked(const std::string& wire, size_t piece, size_t step,
                            std::string* leftover = nullptr, uint64_t max = UINT64_MAX) {
  Conn c("", wire, piece);
  ChunkedBody body(c.input, max);
  Result<std::string> r = Drain(body, step);
  if (leftover) *leftover = std::string(c.input.leftover()) + std::string(c.transport.remaining());
  return r;
}

void test_chunked_valid(void**) {
  std::string wire =
      "5\r\nhello\r\n"
      "6;name=value;flag\r\n world\r\n"
      "A \t;ext=\"q d\"\r\n0123456789\r\n"
      "0\r\n"
      "X-Checksum: abc\r\n"
      "X-Other:\r\n"
      "\r\n"
      "GET /next";
  for (size_t piece : {size_t{1}, size_t{2}, size_t{7}, SIZE_MAX}) {
    for (size_t step : {size_t{1}, size_t{3}, size_t{4096}}) {
      std::string leftover;
      Result<std::string> r = Chunked(wire, piece, step, &leftover);
      assert_true(r.has_value());
      assert_true(*r == "hello world0123456789");
      assert_true(leftover == "GET /next");  // consumed exactly through the final CRLF
    }
  }
  assert_true(*Chunked("0\r\n\r\n", 1, 10) == "");
  assert_true(*Chunked("00000003\r\nabc\r\n0000\r\n\r\n", 1, 10) == "abc");
  assert_true(*Chunked("a\r\n0123456789\r\nF\r\n0123456789abcde\r\n0\r\n\r\n", 3, 10) ==
              "01234567890123456789abcde");
}

void ExpectChunkedError(const std::string& wire, Code code) {
  for (size_t piece : {size_t{1}, SIZE_MAX}) {
    Result<std::string> r = Chunked(wire, piece, 4096);
    if (r.has_value()) fail_msg("accepted: %s", wire.c_str());
    if (r.error().code() != code) {
      fail_msg("%s: got %s", wire.c_str(), std::string(CodeName(r.error().code())).c_str());
    }
  }
}

void test_chunked_malformed(void**) {
  ExpectChunkedError("g\r\nx\r\n0\r\n\r\n", Code::kInvalidRequest);  // bad hex
  ExpectChunkedError("\r\n", Code::kInvalidRequest);                 // no size
  ExpectChunkedError(";x\r\n", Code::kInvalidRequest);               // no size
  ExpectChunkedError("-1\r\n", Code::kInvalidRequest);
  ExpectChunkedError("0x5\r\nhello\r\n0\r\n\r\n", Code::kInvalidRequest);
  ExpectChunkedError("5 5\r\nhello\r\n0\r\n\r\n", Code::kInvalidRequest);      // BWS then junk
  ExpectChunkedError("10000000000000000\r\n", Code::kInvalidRequest);          // 2^64: overflow
  ExpectChunkedError("5\r\nhelloX\r\n0\r\n\r\n", Code::kInvalidRequest);       // data too long
  ExpectChunkedError("5\r\nhello\n0\r\n\r\n", Code::kInvalidRequest);          // LF only
  ExpectChunkedError("5\nhello\r\n0\r\n\r\n", Code::kInvalidRequest);          // bare LF size
  ExpectChunkedError("5;a\x01\r\nhello\r\n0\r\n\r\n", Code::kInvalidRequest);  // CTL in ext
  ExpectChunkedError("0\r\n folded\r\n\r\n", Code::kInvalidRequest);           // trailer fold
  ExpectChunkedError("0\r\nX: a\x01\r\n\r\n", Code::kInvalidRequest);
  ExpectChunkedError("0\r\n\rX", Code::kInvalidRequest);  // final CR not CRLF
  ExpectChunkedError("0\r\nX: a\n\r\n", Code::kInvalidRequest);
  // Bounded chunk-size line and trailer section.
  ExpectChunkedError("5;" + std::string(5000, 'e') + "\r\nhello\r\n0\r\n\r\n",
                     Code::kInvalidRequest);
  ExpectChunkedError("0\r\nX: " + std::string(17000, 't') + "\r\n\r\n", Code::kInvalidRequest);
  // Largest size accepted by the grammar is fine until the data runs out.
  ExpectChunkedError("ffffffffffffffff\r\nabc", Code::kIncompleteBody);
}

void test_chunked_early_eof(void**) {
  ExpectChunkedError("", Code::kIncompleteBody);
  ExpectChunkedError("5", Code::kIncompleteBody);
  ExpectChunkedError("5\r\nhel", Code::kIncompleteBody);
  ExpectChunkedError("5\r\nhello", Code::kIncompleteBody);
  ExpectChunkedError("5\r\nhello\r\n", Code::kIncompleteBody);
  ExpectChunkedError("5\r\nhello\r\n0\r\n", Code::kIncompleteBody);
  ExpectChunkedError("5\r\nhello\r\n0\r\nX: 1\r\n", Code::kIncompleteBody);
  ExpectChunkedError("5\r\nhello\r\n0\r\n\r", Code::kIncompleteBody);
}

void test_chunked_limits_and_errors(void**) {
  Result<std::string> r = Chunked("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", 1, 100, nullptr, 9);
  assert_false(r.has_value());
  assert_int_equal(r.error().code(), Code::kTooLarge);
  assert_true(Chunked("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", 1, 100, nullptr, 10).has_value());
  // Errors are final; transport errors pass through.
  Conn c("", "5\r\nhe", 1);
  ChunkedBody body(c.input);
  char out[16];
  assert_int_equal(*body.read(std::span<char>(out, 16)), 1);
  c.transport.fail_recv = true;
  Result<std::string> rest = Drain(body);
  assert_false(rest.has_value());
  assert_int_equal(rest.error().code(), Code::kTimeout);
  c.transport.fail_recv = false;
  assert_false(body.read(std::span<char>(out, 16)).has_value());
  assert_false(body.done());
}

// Records every observer call as text; can fail one chosen call.
class Recorder final : public AwsChunkObserver {
 public:
  Status on_chunk_begin(std::string_view sig, uint64_t size) override {
    log += "begin(" + std::string(sig.substr(0, 2)) + "," + std::to_string(size) + ")";
    return Maybe("begin");
  }
  void on_chunk_data(std::span<const char> data) override {
    data_seen.append(data.data(), data.size());
  }
  Status on_chunk_end() override {
    log += "end;";
    return Maybe("end");
  }
  Status on_trailer(std::string_view name, std::string_view value) override {
    log += "trailer(" + std::string(name) + "=" + std::string(value) + ")";
    return Maybe("trailer");
  }
  Status on_trailers_end(std::string_view sig) override {
    log += "trailers_end(" + std::string(sig.substr(0, 2)) + "," + std::to_string(sig.size()) + ")";
    return Maybe("trailers_end");
  }
  Status Maybe(std::string_view what) {
    return what == fail_on ? Status(Code::kSignatureMismatch) : Status::Ok();
  }

  std::string log;
  std::string data_seen;
  std::string fail_on;
};

Result<std::string> Aws(const std::string& wire, uint64_t decoded, Recorder& rec, size_t piece = 1,
                        size_t step = 4096) {
  Conn c("", wire, piece);
  ContentLengthBody entity(c.input, wire.size());
  AwsChunkedBody body(entity, rec, decoded);
  return Drain(body, step);
}

void test_aws_signed(void**) {
  std::string wire = "5;chunk-signature=" + kSig + "\r\nhello\r\n" + "6;chunk-signature=" + kSig2 +
                     "\r\n world\r\n" + "0;chunk-signature=" + kSig + "\r\n\r\n";
  for (size_t piece : {size_t{1}, size_t{5}, SIZE_MAX}) {
    for (size_t step : {size_t{1}, size_t{4}, size_t{4096}}) {
      Recorder rec;
      Result<std::string> r = Aws(wire, 11, rec, piece, step);
      assert_true(r.has_value());
      assert_true(*r == "hello world");
      assert_true(rec.data_seen == "hello world");
      assert_string_equal(rec.log.c_str(),
                          "begin(aa,5)end;begin(bb,6)end;begin(aa,0)end;trailers_end(,0)");
    }
  }
  // Lenient: no CRLF after the final chunk's header when there are no trailers.
  std::string lenient =
      "5;chunk-signature=" + kSig + "\r\nhello\r\n0;chunk-signature=" + kSig + "\r\n";
  Recorder rec;
  assert_true(*Aws(lenient, 5, rec) == "hello");
  assert_string_equal(rec.log.c_str(), "begin(aa,5)end;begin(aa,0)end;trailers_end(,0)");
  // Empty object.
  Recorder empty;
  assert_true(Aws("0;chunk-signature=" + kSig + "\r\n\r\n", 0, empty)->empty());
}

void test_aws_trailers(void**) {
  std::string unsigned_wire = "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:  NhCmhg== \r\n\r\n";
  Recorder rec;
  Result<std::string> r = Aws(unsigned_wire, 5, rec);
  assert_true(r.has_value() && *r == "hello");
  assert_string_equal(rec.log.c_str(),
                      "begin(,5)end;begin(,0)end;trailer(x-amz-checksum-crc32=NhCmhg==)"
                      "trailers_end(,0)");
  std::string signed_wire = "3;chunk-signature=" + kSig + "\r\nabc\r\n0;chunk-signature=" + kSig +
                            "\r\nx-amz-checksum-crc32c:sOO8/Q==\r\n" +
                            "x-amz-trailer-signature:" + kSig2 + "\r\n\r\n";
  Recorder rec2;
  r = Aws(signed_wire, 3, rec2, 2, 2);
  assert_true(r.has_value() && *r == "abc");
  assert_string_equal(rec2.log.c_str(),
                      "begin(aa,3)end;begin(aa,0)end;trailer(x-amz-checksum-crc32c=sOO8/Q==)"
                      "trailers_end(bb,64)");
}

void ExpectAwsError(const std::string& wire, uint64_t decoded, Code code) {
  for (size_t piece : {size_t{1}, SIZE_MAX}) {
    Recorder rec;
    Result<std::string> r = Aws(wire, decoded, rec, piece);
    if (r.has_value()) fail_msg("accepted: %s", wire.c_str());
    if (r.error().code() != code) {
      fail_msg("%s: got %s", wire.c_str(), std::string(CodeName(r.error().code())).c_str());
    }
  }
}

void test_aws_malformed(void**) {
  const std::string s = ";chunk-signature=" + kSig;
  const std::string end = "0" + s + "\r\n\r\n";
  ExpectAwsError("x" + s + "\r\nhello\r\n" + end, 5, Code::kInvalidRequest);  // bad hex
  ExpectAwsError(s + "\r\nhello\r\n" + end, 5, Code::kInvalidRequest);        // no size
  ExpectAwsError("5;chunk-signature=abc\r\nhello\r\n" + end, 5, Code::kInvalidRequest);
  ExpectAwsError("5;chunk-signature=" + std::string(64, 'z') + "\r\nhello\r\n" + end, 5,
                 Code::kInvalidRequest);
  ExpectAwsError("5;other=1\r\nhello\r\n" + end, 5, Code::kInvalidRequest);
  ExpectAwsError("5" + s + "\r\nhelloXX\r\n" + end, 5, Code::kInvalidRequest);  // no CRLF
  ExpectAwsError("5" + s + "\nhello\r\n" + end, 5, Code::kInvalidRequest);      // bare LF
  ExpectAwsError("11111111111111111" + s + "\r\n", 5, Code::kInvalidRequest);   // 17 digits
  ExpectAwsError("5" + s + "\r\nhello\r\n" + end, 4, Code::kInvalidRequest);    // > decoded
  ExpectAwsError("5" + s + "\r\nhello\r\n" + end, 6, Code::kIncompleteBody);    // < decoded
  ExpectAwsError("5" + s + "\r\nhel", 5, Code::kIncompleteBody);                // early EOF
  ExpectAwsError("5" + s + "\r\nhello", 5, Code::kIncompleteBody);
  ExpectAwsError("5" + s, 5, Code::kIncompleteBody);
  ExpectAwsError("", 0, Code::kIncompleteBody);
  ExpectAwsError(end + "junk", 0, Code::kInvalidRequest);  // data after the final frame
  ExpectAwsError("0\r\nno-colon\r\n\r\n", 0, Code::kInvalidRequest);
  ExpectAwsError("0\r\nbad name:v\r\n\r\n", 0, Code::kInvalidRequest);
  ExpectAwsError("0\r\nx-amz-trailer-signature:" + kSig + "\r\nx-late:1\r\n\r\n", 0,
                 Code::kInvalidRequest);
  ExpectAwsError("0\r\nx-amz-trailer-signature:short\r\n\r\n", 0, Code::kInvalidRequest);
  ExpectAwsError("0\r\nx-amz-checksum-crc32:AAAA==\r\n", 0, Code::kIncompleteBody);
  ExpectAwsError(std::string(5000, '1') + "\r\n", 0, Code::kInvalidRequest);  // line bound
  std::string many = "0\r\n";
  for (int i = 0; i < 200; ++i)
    many += "x-t" + std::to_string(i) + ":" + std::string(100, 'v') + "\r\n";
  ExpectAwsError(many + "\r\n", 0, Code::kInvalidRequest);  // trailers > 16 KiB
}

void test_aws_observer_errors(void**) {
  std::string wire =
      "5;chunk-signature=" + kSig + "\r\nhello\r\n0;chunk-signature=" + kSig + "\r\n\r\n";
  for (const char* what : {"begin", "end", "trailers_end"}) {
    Recorder rec;
    rec.fail_on = what;
    Conn c("", wire, 1);
    ContentLengthBody entity(c.input, wire.size());
    AwsChunkedBody body(entity, rec, 5);
    std::string got;
    char buf[2];
    Result<size_t> n;
    while ((n = body.read(std::span<char>(buf, 2))) && *n > 0) got.append(buf, *n);
    assert_false(n.has_value());
    assert_int_equal(n.error().code(), Code::kSignatureMismatch);
    // A chunk whose verification fails never hands out its last bytes.
    if (std::string_view(what) != "trailers_end") assert_true(got.size() < 5);
    assert_false(body.read(std::span<char>(buf, 2)).has_value());  // sticky
  }
}

void test_aws_over_chunked(void**) {
  // aws-chunked inside HTTP chunked framing, split at awkward places.
  std::string aws =
      "5;chunk-signature=" + kSig + "\r\nhello\r\n0;chunk-signature=" + kSig + "\r\n\r\n";
  std::string wire;
  for (size_t i = 0; i < aws.size(); i += 7) {
    std::string part = aws.substr(i, 7);
    char hex[8];
    snprintf(hex, sizeof hex, "%zx", part.size());
    wire += std::string(hex) + "\r\n" + part + "\r\n";
  }
  wire += "0\r\n\r\nNEXT";
  Conn c("", wire, 3);
  ChunkedBody entity(c.input);
  Recorder rec;
  AwsChunkedBody body(entity, rec, 5);
  assert_true(*Drain(body, 2) == "hello");
  assert_true(std::string(c.input.leftover()) + std::string(c.transport.remaining()) == "NEXT");
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_connection_input),
      cmocka_unit_test(test_content_length),
      cmocka_unit_test(test_content_length_short),
      cmocka_unit_test(test_chunked_valid),
      cmocka_unit_test(test_chunked_malformed),
      cmocka_unit_test(test_chunked_early_eof),
      cmocka_unit_test(test_chunked_limits_and_errors),
      cmocka_unit_test(test_aws_signed),
      cmocka_unit_test(test_aws_trailers),
      cmocka_unit_test(test_aws_malformed),
      cmocka_unit_test(test_aws_observer_errors),
      cmocka_unit_test(test_aws_over_chunked),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
