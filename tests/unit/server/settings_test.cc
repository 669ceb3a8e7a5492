// Tests for ResolveSettings' limit flags: every row of cli.cc's limit-flag table reaches the
// resolved configuration (twice a flag was parsed and never reached the server), changes its
// own field only, and is documented in the server help.
#include "flashstor/server/settings.h"

#include <cstring>
#include <string>

#include "flashstor/server/cli.h"

#include "cmocka_cpp.h"

using flashstor::config::Config;
using flashstor::config::LimitsConfig;
using flashstor::server::LimitFlag;
using flashstor::server::LimitFlags;

namespace {

// The configuration `flashstor server ARGS... /d` resolves to (no config file).
Config Resolve(std::vector<std::string> args) {
  args.insert(args.begin(), "server");
  args.push_back("/d");
  auto parsed = flashstor::server::ParseCommandLine(args);
  if (!parsed) fail_msg("%s", parsed.error().c_str());
  auto cfg = flashstor::server::ResolveSettings(parsed->server);
  if (!cfg) fail_msg("%s", cfg.error().c_str());
  return *cfg;
}

// Whether a and b hold the same limits. The table covers every field of LimitsConfig, once
// (test_every_limit_has_a_documented_flag), so comparing through it compares them all.
bool SameLimits(const LimitsConfig& a, const LimitsConfig& b) {
  for (const LimitFlag& row : LimitFlags()) {
    if (a.*row.field != b.*row.field) return false;
  }
  return true;
}

// A value every limit accepts (drive deadlines 1..3600, min-rate window >= 1, h2 <= 1000)
// and none defaults to.
constexpr int kValue = 7;

void test_every_limit_flag_reaches_the_settings(void**) {
  const LimitsConfig defaults = Resolve({}).limits;
  for (const LimitFlag& row : LimitFlags()) {
    const std::string flag(row.flag);
    const LimitsConfig got = Resolve({flag, std::to_string(kValue)}).limits;
    if (SameLimits(got, defaults))
      fail_msg("%s did not change the resolved settings", flag.c_str());
    LimitsConfig expected = defaults;
    expected.*row.field = kValue;
    if (!SameLimits(got, expected)) fail_msg("%s changed other limits than its own", flag.c_str());
    // The --flag=value spelling takes the same way.
    assert_true(SameLimits(Resolve({flag + "=" + std::to_string(kValue)}).limits, expected));
  }
}

void test_every_limit_has_a_documented_flag(void**) {
  // One row per LimitsConfig field (all std::optional<int>): a limit the config file takes
  // without a flag, or a field two rows share, shows here.
  assert_int_equal(sizeof(LimitsConfig), LimitFlags().size() * sizeof(std::optional<int>));
  for (size_t i = 0; i < LimitFlags().size(); ++i) {
    for (size_t j = 0; j < i; ++j) assert_true(LimitFlags()[i].field != LimitFlags()[j].field);
    const std::string flag(LimitFlags()[i].flag);
    if (std::strstr(flashstor::server::ServerHelp(), (flag + " ").c_str()) == nullptr) {
      fail_msg("%s is not in the server help", flag.c_str());
    }
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_limit_flag_reaches_the_settings),
      cmocka_unit_test(test_every_limit_has_a_documented_flag),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
