// Unit tests of HexEncode, Base64Encode and the strict Base64Decode: RFC 4648 vectors, every
// class of malformed input, non-canonical trailing bits, and large inputs that span chunks.
#include <random>
#include <string>
#include <string_view>

#include "flashstor/hash/hashing_source.h"

#include "cmocka_cpp.h"

using flashstor::hash::Base64Decode;
using flashstor::hash::Base64Encode;
using flashstor::hash::HexEncode;

namespace {

std::span<const unsigned char> U(std::string_view s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

void test_hex(void**) {
  assert_string_equal(HexEncode({}).c_str(), "");
  assert_string_equal(HexEncode(U(std::string_view("\x00\x01\x7f\x80\xab\xff", 6))).c_str(),
                      "00017f80abff");
}

void test_base64_rfc4648(void**) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (auto [plain, b64] : vectors) {
    assert_string_equal(Base64Encode(U(plain)).c_str(), std::string(b64).c_str());
    auto back = Base64Decode(b64);
    assert_true(back.has_value());
    assert_true(*back == plain);
  }
  auto bin = Base64Decode("AP8A/w==");
  assert_true(bin.has_value());
  assert_true(*bin == std::string_view("\x00\xff\x00\xff", 4));
}

void test_base64_rejects(void**) {
  const std::string_view bad[] = {
      "Zg",     "Zg=",  "Zm9vY",    "Zm9vYg=",     // length not a multiple of 4
      "Z===",   "====", "Zg==Zg==", "Zm=v",        // misplaced or excess padding
      "Zm9v\n", " Zm9", "Zm9 ",     "Zm\r\n",      // whitespace
      "-_8=",   "Zm8.", "Zm8\xff",  "\xc3\xa9==",  // outside the alphabet
      "Zh==",   "Zm9=", "QR==",     "Zm8/Zm9=",    // non-zero unused bits
  };
  for (std::string_view b : bad) assert_false(Base64Decode(b).has_value());
  assert_false(Base64Decode(std::string_view("Zm\0v", 4)).has_value());
  // The canonical neighbours of the non-canonical ones are fine.
  for (std::string_view ok : {"Zg==", "Zm8=", "QQ==", "Zm8/Zm8="}) {
    assert_true(Base64Decode(ok).has_value());
  }
}

void test_base64_large(void**) {
  // Larger than one 4 MiB decode chunk and one 3 MiB encode chunk.
  std::mt19937 rng(5);
  for (size_t n : {size_t{3} << 20, (size_t{3} << 20) + 1, (size_t{5} << 20) + 2}) {
    std::string data(n, '\0');
    for (auto& c : data) c = static_cast<char>(rng());
    const std::string b64 = Base64Encode(U(data));
    assert_int_equal(b64.size(), (n + 2) / 3 * 4);
    auto back = Base64Decode(b64);
    assert_true(back.has_value());
    assert_true(*back == data);
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hex),
      cmocka_unit_test(test_base64_rfc4648),
      cmocka_unit_test(test_base64_rejects),
      cmocka_unit_test(test_base64_large),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
