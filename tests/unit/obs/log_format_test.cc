// Unit tests for the journald entry builder and the stderr line formatter behind obs/log.h.

#include <string>
#include <vector>

#include "flashstor/obs/log_format.h"

// cmocka needs these C headers first, has no extern "C" of its own, and comes after the C++
// headers (its macros clash with <ios>).
#include "cmocka_cpp.h"

using namespace flashstor::obs;

static std::vector<std::string> Entries(const JournalEntry& e) {
  std::vector<std::string> out;
  for (const iovec& v : e.iov()) out.emplace_back(static_cast<const char*>(v.iov_base), v.iov_len);
  return out;
}

static void test_field_name_validation(void**) {
  assert_true(IsValidJournalFieldName("S3_OPERATION"));
  assert_true(IsValidJournalFieldName("A"));
  assert_true(IsValidJournalFieldName("X9"));
  assert_false(IsValidJournalFieldName(""));
  assert_false(IsValidJournalFieldName("_PID"));  // trusted fields are journald's
  assert_false(IsValidJournalFieldName("9LIVES"));
  assert_false(IsValidJournalFieldName("lower"));
  assert_false(IsValidJournalFieldName("A-B"));
  assert_false(IsValidJournalFieldName("A=B"));
  assert_true(IsValidJournalFieldName(std::string(64, 'A')));
  assert_false(IsValidJournalFieldName(std::string(65, 'A')));

  char buf[64];
  std::span<char, 64> out(buf, 64);
  assert_string_equal(std::string(buf, SanitizeJournalFieldName("s3.op-name", out)).c_str(),
                      "S3_OP_NAME");
  assert_string_equal(std::string(buf, SanitizeJournalFieldName("_PID", out)).c_str(), "F_PID");
  assert_string_equal(std::string(buf, SanitizeJournalFieldName("", out)).c_str(), "FIELD");
  const size_t n = SanitizeJournalFieldName(std::string(100, 'z'), out);
  assert_int_equal(n, 64);
  assert_true(IsValidJournalFieldName(std::string_view(buf, n)));
}

static void test_journal_entry_fields(void**) {
  const Field fields[] = {{"BUCKET", "photos"}, {"bad name", "v"}, {"MULTI", "line1\nline2"}};
  JournalEntry e(Level::kWarning, "disk slow\nsecond line", fields);
  const auto v = Entries(e);
  assert_int_equal(v.size(), 6);
  assert_string_equal(v[0].c_str(), "MESSAGE=disk slow\nsecond line");
  assert_string_equal(v[1].c_str(), "PRIORITY=4");
  assert_string_equal(v[2].c_str(), "SYSLOG_IDENTIFIER=flashstor");
  assert_string_equal(v[3].c_str(), "BUCKET=photos");
  assert_string_equal(v[4].c_str(), "BAD_NAME=v");
  // A value with a newline stays one iovec, i.e. one journal field.
  assert_string_equal(v[5].c_str(), "MULTI=line1\nline2");
  assert_false(e.truncated());
}

static void test_journal_entry_bounds(void**) {
  std::vector<Field> many(40, Field{"K", "v"});
  JournalEntry e(Level::kInfo, "m", many);
  const auto v = Entries(e);
  assert_int_equal(e.dropped_fields(), 40 - JournalEntry::kMaxFields);
  assert_int_equal(v.size(), 3 + JournalEntry::kMaxFields + 1);
  assert_string_equal(v.back().c_str(), "FLASHSTOR_TRUNCATED=1");

  const std::string huge(100000, 'x');
  const Field big[] = {{"BIG", huge}, {"AFTER", "y"}};
  JournalEntry t(Level::kInfo, "m", big);
  size_t total = 0;
  for (const iovec& io : t.iov()) total += io.iov_len;
  assert_true(total <= JournalEntry::kBufferBytes);
  assert_true(t.truncated());
  assert_string_equal(Entries(t).back().c_str(), "FLASHSTOR_TRUNCATED=1");
}

static void test_stderr_line(void**) {
  char buf[256];
  const Field fields[] = {{"op", "PutObject"}, {"key", "a b\nc"}, {"empty", ""}};
  size_t n = FormatStderrLine(Level::kError, "write failed\n", fields, buf);
  const std::string line(buf, n);
  assert_string_equal(line.c_str(),
                      "ERROR write failed\\n op=PutObject key=\"a b\\nc\" empty=\"\"\n");
  // One line, however long: truncated but newline-terminated.
  char small[16];
  n = FormatStderrLine(Level::kInfo, "a long message that does not fit", {}, small);
  assert_int_equal(n, sizeof(small));
  assert_int_equal(small[n - 1], '\n');
  assert_int_equal(FormatStderrLine(Level::kInfo, "x", {}, std::span<char>()), 0);
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_field_name_validation),
      cmocka_unit_test(test_journal_entry_fields),
      cmocka_unit_test(test_journal_entry_bounds),
      cmocka_unit_test(test_stderr_line),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
