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

// A step with its inputs in hand gets the operation allowance from its start, never past the
// request's deadline; without an allowance (or a deadline) the request's deadline stands.
void test_step_deadline(void**) {
  const auto now = RequestContext::Clock::now();
  RequestContext ctx;
  ctx.step_allowance = milliseconds(500);
  const auto step = ctx.step_deadline();
  const auto later = RequestContext::Clock::now();
  assert_true(step >= now + milliseconds(500));
  assert_true(step <= later + milliseconds(500));
  assert_true(ctx.after_body().has_deadline());
  ctx.deadline = now + milliseconds(60000);  // a slow client's body allowance
  assert_true(ctx.step_deadline() < now + milliseconds(1000));
  ctx.deadline = now + milliseconds(100);  // sooner than the allowance: the deadline stays
  assert_true(ctx.step_deadline() == ctx.deadline);
  ctx.step_allowance = milliseconds(0);
  ctx.deadline = now + milliseconds(60000);
  assert_true(ctx.step_deadline() == ctx.deadline);
  ctx.trace_id = "T1";
  const RequestContext after = ctx.after_body();
  assert_true(after.trace_id == "T1");
  assert_true(after.deadline == ctx.deadline);
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
      cmocka_unit_test(test_no_deadline),     cmocka_unit_test(test_deadline_ahead),
      cmocka_unit_test(test_deadline_passed), cmocka_unit_test(test_step_deadline),
      cmocka_unit_test(test_background),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
