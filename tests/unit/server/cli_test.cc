// Tests for the command line: subcommands, flags, ellipsis drives, and every error path.

#include "flashstor/server/cli.h"

#include "cmocka_cpp.h"

using flashstor::server::Command;
using flashstor::server::ParseCommandLine;

static void test_server_with_drives(void** state) {
  (void)state;
  auto r = ParseCommandLine({"server", "--address", "127.0.0.1:0", "/d/disk{1...4}", "/e"});
  assert_true(r.has_value());
  assert_int_equal(static_cast<int>(r->command), static_cast<int>(Command::kServer));
  assert_int_equal(r->server.drives.size(), 5);
  assert_string_equal(r->server.drives[0].c_str(), "/d/disk1");
  assert_string_equal(r->server.drives[3].c_str(), "/d/disk4");
  assert_string_equal(r->server.drives[4].c_str(), "/e");
  assert_string_equal(r->server.addresses[0].c_str(), "127.0.0.1:0");
}

static void test_flags_with_equals_and_numbers(void** state) {
  (void)state;
  auto r = ParseCommandLine({"server", "--workers=8", "--parity", "2", "--allow-root",
                             "--certs-dir=/c", "--tls-address", ":443", "/d"});
  assert_true(r.has_value());
  assert_int_equal(r->server.workers, 8);
  assert_int_equal(*r->server.parity, 2);
  assert_true(r->server.allow_root);
  assert_string_equal(r->server.certs_dir.c_str(), "/c");
  assert_string_equal(r->server.tls_addresses[0].c_str(), ":443");
}

static void test_limit_flags(void** state) {
  (void)state;
  auto r = ParseCommandLine({"server", "--request-timeout", "30", "--min-rate=4",
                             "--min-rate-window", "2", "--max-requests-per-client", "3",
                             "--stall-restart", "0", "--request-timeout-rate", "128", "/d"});
  assert_true(r.has_value());
  const flashstor::config::LimitsConfig& l = r->server.limits;
  assert_int_equal(*l.request_timeout_s, 30);
  assert_int_equal(*l.min_rate_kib, 4);
  assert_int_equal(*l.min_rate_window_s, 2);
  assert_int_equal(*l.max_requests_per_client, 3);
  assert_int_equal(*l.stall_restart_s, 0);
  assert_int_equal(*l.request_timeout_kib_per_s, 128);
  auto d = ParseCommandLine({"server", "--drive-timeout", "7", "--drive-meta-timeout", "2",
                             "--drive-probe-interval", "1", "/d"});
  assert_true(d.has_value());
  assert_int_equal(*d->server.limits.drive_timeout_s, 7);
  assert_int_equal(*d->server.limits.drive_meta_timeout_s, 2);
  assert_int_equal(*d->server.limits.drive_probe_interval_s, 1);
  assert_false(ParseCommandLine({"server", "--min-rate", "-1", "/d"}).has_value());
  assert_false(ParseCommandLine({"server", "--request-timeout", "x", "/d"}).has_value());
}

static void test_errors(void** state) {
  (void)state;
  assert_false(ParseCommandLine({"server", "--bogus", "/d"}).has_value());
  assert_false(ParseCommandLine({"server", "-x"}).has_value());
  assert_false(ParseCommandLine({"server", "--workers", "0"}).has_value());
  assert_false(ParseCommandLine({"server", "--workers", "12abc"}).has_value());
  assert_false(ParseCommandLine({"server", "--address"}).has_value());
  assert_false(ParseCommandLine({"server", "/d{4...1}"}).has_value());
  assert_false(ParseCommandLine({"frobnicate"}).has_value());
  assert_false(ParseCommandLine({"config", "check"}).has_value());
  auto e = ParseCommandLine({"server", "--bogus"});
  assert_true(e.error().find("--bogus") != std::string::npos);
}

static void test_help_and_subcommands(void** state) {
  (void)state;
  assert_int_equal(static_cast<int>(ParseCommandLine({})->command),
                   static_cast<int>(Command::kHelp));
  assert_int_equal(static_cast<int>(ParseCommandLine({"server", "--help"})->command),
                   static_cast<int>(Command::kServerHelp));
  auto c = ParseCommandLine({"config", "check", "/f.json"});
  assert_int_equal(static_cast<int>(c->command), static_cast<int>(Command::kConfigCheck));
  assert_string_equal(c->config_path.c_str(), "/f.json");
  assert_int_equal(static_cast<int>(ParseCommandLine({"--version"})->command),
                   static_cast<int>(Command::kVersion));
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_server_with_drives),
      cmocka_unit_test(test_flags_with_equals_and_numbers),
      cmocka_unit_test(test_limit_flags),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_help_and_subcommands),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
