// Unit tests of RequestContext: remaining time, expiry, bounding a wait by the deadline, and
// the background services' contexts.
#include "flashstor/object/request_context.h"

#include "cmocka_cpp.h"

using flashstor::object::RequestContext;
using std::chrono::milliseconds;

namespace {

void test_no_deadline(void**) {
  RequestContext ctx;
  assert_false(ctx.has_deadline());
  assert_false(ctx.expired());
  assert_true(ctx.remaining() >= std::chrono::hours(1));
  assert_int_equal(ctx.bound(milliseconds(30000)).count(), 30000);
  assert_int_equal(ctx.bound(milliseconds(-5)).count(), 0);
}

void test_deadline_ahead(void**) {
  RequestContext ctx;
  ctx.deadline = RequestContext::Clock::now() + milliseconds(2000);
  assert_true(ctx.has_deadline());
  assert_false(ctx.expired());
  assert_true(ctx.remaining() > milliseconds(1500));
  assert_true(ctx.remaining() <= milliseconds(2000));
  // A longer wait is cut to the deadline, a shorter one stays.
  assert_true(ctx.bound(milliseconds(30000)) <= milliseconds(2000));
  assert_true(ctx.bound(milliseconds(30000)) > milliseconds(1500));
  assert_int_equal(ctx.bound(milliseconds(100)).count(), 100);
}

void test_deadline_passed(void**) {
  RequestContext ctx;
  ctx.deadline = RequestContext::Clock::now() - milliseconds(10);
  assert_true(ctx.expired());
  assert_true(ctx.remaining() <= milliseconds(-9));
  assert_int_equal(ctx.bound(milliseconds(30000)).count(), 0);
}

void test_background(void**) {
  RequestContext none = RequestContext::Background("scanner");
  assert_string_equal(none.trace_id.c_str(), "scanner");
  assert_string_equal(none.principal.c_str(), "flashstor:scanner");
  assert_false(none.has_deadline());
  RequestContext heal = RequestContext::Background("heal", milliseconds(5000));
  assert_true(heal.has_deadline());
  assert_true(heal.remaining() > milliseconds(4000));
  // A plain value: a copy is independent of the original.
  RequestContext copy = heal;
  heal.trace_id = "other";
  assert_string_equal(copy.trace_id.c_str(), "heal");
  assert_true(copy.deadline == heal.deadline);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_deadline),
      cmocka_unit_test(test_deadline_ahead),
      cmocka_unit_test(test_deadline_passed),
      cmocka_unit_test(test_background),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
