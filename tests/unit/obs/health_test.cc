// Unit tests for obs::Health: stalled loops fail liveness, readiness needs live, not draining
// and the check.

#include <atomic>
#include <string>

#include "flashstor/obs/health.h"

// cmocka needs these C headers first, has no extern "C" of its own, and comes after the C++
// headers (its macros clash with <ios>).
#include "cmocka_cpp.h"

using namespace flashstor::obs;
using namespace std::chrono_literals;

static void test_liveness(void**) {
  Health h(5s);
  const auto t0 = Health::Clock::now();
  assert_int_equal(h.live(t0).http_status, 200);  // no loops yet: the process itself is alive
  const int a = h.register_loop();
  const int b = h.register_loop();
  assert_int_equal(a, 0);
  assert_int_equal(b, 1);
  h.tick(a, t0);
  h.tick(b, t0);
  assert_int_equal(h.live(t0 + 4s).http_status, 200);
  h.tick(a, t0 + 6s);
  const HealthResponse r = h.live(t0 + 6s);  // b last ticked 6 s ago
  assert_int_equal(r.http_status, 503);
  assert_true(r.body.find("stalled") != std::string_view::npos);
  h.tick(b, t0 + 6s);
  assert_int_equal(h.live(t0 + 6s).http_status, 200);
  assert_string_equal(std::string(h.live(t0 + 6s).body).c_str(), "{\"status\":\"ok\"}");
  h.tick(-1);   // ignored, no crash
  h.tick(999);  // ignored
}

static void test_readiness(void**) {
  Health h(5s);
  const int loop = h.register_loop();
  const auto t0 = Health::Clock::now();
  h.tick(loop, t0);
  assert_int_equal(h.ready(t0).http_status, 200);  // no check: ready when live
  std::atomic<bool> quorum{false};
  h.set_readiness_check([&quorum] { return quorum.load(); });
  HealthResponse r = h.ready(t0);
  assert_int_equal(r.http_status, 503);
  assert_true(r.body.find("not ready") != std::string_view::npos);
  quorum = true;
  assert_int_equal(h.ready(t0).http_status, 200);
  h.set_draining(true);
  r = h.ready(t0);
  assert_int_equal(r.http_status, 503);
  assert_true(r.body.find("draining") != std::string_view::npos);
  assert_int_equal(h.live(t0).http_status, 200);  // draining is still live
  h.set_draining(false);
  assert_int_equal(h.ready(t0 + 10s).http_status, 503);  // stalled loop: not ready either
}

static void test_loop_limit(void**) {
  Health h;
  for (size_t i = 0; i < Health::kMaxLoops; ++i) assert_true(h.register_loop() >= 0);
  assert_int_equal(h.register_loop(), -1);
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_liveness),
      cmocka_unit_test(test_readiness),
      cmocka_unit_test(test_loop_limit),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
