// Continuation tokens (list_token.h): round trips, and strict refusal of anything else.
#include "list_token.h"

#include <string>

#include "cmocka_cpp.h"

using namespace flashstor::s3;

namespace {

void test_round_trip(void** state) {
  (void)state;
  for (std::string marker : {std::string("a"), std::string("dir/key with space"),
                             std::string("\xc3\xa9t\xc3\xa9"), std::string(1024, 'k')}) {
    std::string token = EncodeListToken(marker);
    assert_true(token != marker);
    std::optional<std::string> back = DecodeListToken(token, 1024);
    assert_true(back.has_value());
    assert_true(*back == marker);
  }
}

void test_refuses_what_we_never_issue(void** state) {
  (void)state;
  assert_false(DecodeListToken("", 1024).has_value());    // empty: the caller's "no token"
  assert_false(DecodeListToken("!!", 1024).has_value());  // not base64
  assert_false(DecodeListToken("YQ", 1024).has_value());  // unpadded
  assert_false(DecodeListToken("YWI=", 1).has_value());   // marker longer than allowed
  assert_true(DecodeListToken("YWI=", 2).has_value());
  // A huge token is refused before it is decoded.
  assert_false(DecodeListToken(std::string(1 << 20, 'A'), 1024).has_value());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_refuses_what_we_never_issue),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
