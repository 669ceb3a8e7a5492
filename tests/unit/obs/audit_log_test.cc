// Unit tests for obs::AuditLog and its sinks: JSON lines parsed back with cjson, bounds,
// rotation, dropped counting when a ring is full, journal field building.
#include <cjson/cJSON.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "flashstor/common/utc_time.h"
#include "flashstor/obs/audit_log.h"
#include "flashstor/obs/journal_audit_sink.h"

// cmocka needs these C headers first, has no extern "C" of its own, and comes after the C++
// headers (its macros clash with <ios>).
#include "cmocka_cpp.h"

using namespace flashstor::obs;

namespace {

std::string MakeTempDir() {
  char tmpl[] = "/tmp/flashstor-audit-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  assert_non_null(dir);
  return dir;
}

void RemoveDir(const std::string& dir) {
  const std::string cmd = "rm -rf '" + dir + "'";
  assert_int_equal(std::system(cmd.c_str()), 0);
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

RequestRecord SampleRecord() {
  RequestRecord r;
  r.trace_id = "17C0FFEE00000001";
  r.operation = "PutObject";
  r.bucket = "photos";
  r.key = "dir/caf\xc3\xa9\n\"x\"\xff.jpg";  // UTF-8, newline, quotes, an invalid byte
  r.http_status = 200;
  r.bytes_in = 12345;
  r.bytes_out = 0;
  r.access_key = "AKIAEXAMPLE";
  r.remote_addr = "192.0.2.7:51234";
  r.user_agent = "aws-cli/2.0";
  r.duration_ns = 2'345'678;
  return r;
}

const char* Str(const cJSON* obj, const char* name) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, name);
  assert_true(cJSON_IsString(item));
  return item->valuestring;
}

double Num(const cJSON* obj, const char* name) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, name);
  assert_true(cJSON_IsNumber(item));
  return item->valuedouble;
}

std::unique_ptr<AuditLog> FileLog(const std::string& path, uint64_t max_bytes, unsigned files) {
  AuditOptions opt;
  opt.file.path = path;
  opt.file.max_bytes = max_bytes;
  opt.file.max_files = files;
  auto log = AuditLog::Create(opt);
  assert_true(log.has_value());
  return std::move(*log);
}

}  // namespace

static void test_records_parse_back(void**) {
  const std::string dir = MakeTempDir();
  const std::string path = dir + "/audit.log";
  auto log = FileLog(path, 1 << 20, 3);
  AuditProducer* p1 = log->register_producer();
  AuditProducer* p2 = log->register_producer();
  assert_non_null(p1);
  assert_non_null(p2);
  assert_true(log->Start().ok());
  RequestRecord r = SampleRecord();
  assert_true(p1->record(r));
  r.operation = "GetObject";
  r.http_status = 403;
  r.error_code = "AccessDenied";
  assert_true(p2->record(r));
  log->Stop();
  assert_int_equal(log->written(), 2);
  assert_int_equal(log->dropped(), 0);

  const auto lines = ReadLines(path);
  assert_int_equal(lines.size(), 2);
  int seen_put = 0, seen_get = 0;
  for (const std::string& line : lines) {
    cJSON* obj = cJSON_Parse(line.c_str());
    assert_non_null(obj);  // valid JSON despite the binary key
    const std::string op = Str(obj, "operation");
    if (op == "PutObject") {
      ++seen_put;
      assert_int_equal(Num(obj, "status"), 200);
      assert_string_equal(Str(obj, "error_code"), "");
    } else {
      ++seen_get;
      assert_string_equal(op.c_str(), "GetObject");
      assert_int_equal(Num(obj, "status"), 403);
      assert_string_equal(Str(obj, "error_code"), "AccessDenied");
    }
    assert_string_equal(Str(obj, "key"), "dir/caf\xc3\xa9\n\"x\"\xef\xbf\xbd.jpg");
    assert_string_equal(Str(obj, "trace_id"), "17C0FFEE00000001");
    assert_string_equal(Str(obj, "access_key"), "AKIAEXAMPLE");
    assert_string_equal(Str(obj, "bucket"), "photos");
    assert_string_equal(Str(obj, "remote_addr"), "192.0.2.7:51234");
    assert_string_equal(Str(obj, "user_agent"), "aws-cli/2.0");
    assert_int_equal(Num(obj, "bytes_in"), 12345);
    assert_int_equal(Num(obj, "bytes_out"), 0);
    assert_true(Num(obj, "duration_ms") > 2.34 && Num(obj, "duration_ms") < 2.35);
    const std::string time = Str(obj, "time");  // 2024-05-01T12:00:00.123Z
    assert_int_equal(time.size(), 24);
    assert_int_equal(time[10], 'T');
    assert_int_equal(time[19], '.');
    assert_int_equal(time[23], 'Z');
    assert_null(cJSON_GetObjectItemCaseSensitive(obj, "secret_key"));
    cJSON_Delete(obj);
  }
  assert_int_equal(seen_put, 1);
  assert_int_equal(seen_get, 1);
  RemoveDir(dir);
}

static void test_bounds_truncate(void**) {
  AuditEntry e;
  RequestRecord r = SampleRecord();
  const std::string long_key(5000, 'k');
  const std::string long_ua(1000, 'u');
  r.key = long_key;
  r.user_agent = long_ua;
  FillAuditEntry(e, r, 0);
  assert_int_equal(e.key.view().size(), AuditEntry::kMaxKey);
  assert_true(e.key.truncated);
  assert_int_equal(e.user_agent.view().size(), AuditEntry::kMaxUserAgent);
  // A multibyte character straddling the limit is cut whole, not split.
  std::string utf8_key(1023, 'a');
  utf8_key += "\xe2\x82\xac";  // bytes 1023..1025
  r.key = utf8_key;
  FillAuditEntry(e, r, 0);
  assert_int_equal(e.key.view().size(), 1023);
  std::string line;
  AppendAuditJsonLine(line, e);
  assert_int_equal(line.back(), '\n');
  cJSON* obj = cJSON_Parse(line.c_str());
  assert_non_null(obj);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "key_truncated")));
  cJSON_Delete(obj);
  // Epoch and a known instant.
  line.clear();
  flashstor::AppendIso8601Ms(line, 1714564800123);  // 2024-05-01T12:00:00.123Z
  assert_string_equal(line.c_str(), "2024-05-01T12:00:00.123Z");
}

static void test_rotation(void**) {
  const std::string dir = MakeTempDir();
  const std::string path = dir + "/audit.log";
  auto log = FileLog(path, 4096, 2);
  AuditProducer* p = log->register_producer();
  assert_true(log->Start().ok());
  RequestRecord r = SampleRecord();
  int pushed = 0;
  for (int i = 0; i < 60; ++i) {  // ~350 bytes each: ~21 KB, several rotations
    while (!p->record(r)) usleep(1000);
    ++pushed;
  }
  log->Stop();
  struct stat st {};
  assert_int_equal(stat(path.c_str(), &st), 0);
  assert_true(st.st_size <= 4096);
  assert_int_equal(stat((path + ".1").c_str(), &st), 0);
  assert_true(st.st_size <= 4096 && st.st_size > 0);
  assert_int_equal(stat((path + ".2").c_str(), &st), 0);
  assert_int_not_equal(stat((path + ".3").c_str(), &st), 0);  // max_files = 2
  // Every surviving line is complete JSON.
  size_t lines_total = 0;
  for (const std::string& f : {path, path + ".1", path + ".2"}) {
    for (const std::string& line : ReadLines(f)) {
      cJSON* obj = cJSON_Parse(line.c_str());
      assert_non_null(obj);
      cJSON_Delete(obj);
      ++lines_total;
    }
  }
  assert_true(lines_total > 0 && lines_total < static_cast<size_t>(pushed));  // oldest dropped
  RemoveDir(dir);
}

static void test_full_ring_drops_and_counts(void**) {
  // No writer thread: the ring fills and further records are dropped, never blocking.
  AuditLog log({});
  AuditProducer* p = log.register_producer();
  RequestRecord r = SampleRecord();
  // A record takes its encoding, padded to 8 bytes, and an 8-byte header: a 128 KiB ring
  // holds several hundred typical ones (256 fixed slots did before).
  const size_t fits = kAuditRingBytes / (8 + (EncodedAuditSize(r) + 7) / 8 * 8);
  assert_true(fits >= 256);
  for (size_t i = 0; i < fits; ++i) assert_true(p->record(r));
  assert_false(p->record(r));
  assert_false(p->record(r));
  assert_int_equal(p->dropped(), 2);
  assert_int_equal(log.dropped(), 2);
  log.Stop();  // drains what the ring holds
  assert_int_equal(log.written(), fits);
}

// What goes through a ring comes out as FillAuditEntry would have made it: every field, the
// truncation marks, and the denial's fields only when denied.
static void test_encoding_round_trip(void**) {
  RequestRecord r = SampleRecord();
  const std::string long_key(5000, 'k');
  std::string utf8_ua(255, 'u');
  utf8_ua += "\xe2\x82\xac";  // straddles the 256-byte bound
  const std::string resource = "arn:aws:s3:::bucket/" + long_key;
  for (bool denied : {false, true}) {
    r.key = long_key;
    r.user_agent = utf8_ua;
    r.denied = denied;
    r.principal = "arn:aws:iam::000000000000:user/alice";
    r.action = "s3:GetObject";
    r.resource = resource;
    r.decided_by = "bucket:policy:DenyAll";
    std::vector<uint8_t> bytes(EncodedAuditSize(r));
    EncodeAuditRecord(r, 1714564800123, bytes.data());
    auto decoded = std::make_unique<AuditEntry>();
    auto filled = std::make_unique<AuditEntry>();
    assert_true(DecodeAuditRecord(bytes, *decoded));
    FillAuditEntry(*filled, r, 1714564800123);
    std::string a, b;
    AppendAuditJsonLine(a, *decoded);
    AppendAuditJsonLine(b, *filled);
    assert_string_equal(a.c_str(), b.c_str());
    assert_true(decoded->key.truncated);
    assert_int_equal(decoded->user_agent.view().size(), 255);
    assert_int_equal(decoded->denied, denied);
    if (denied) assert_true(decoded->resource.view() == filled->resource.view());
    // Smaller than a fixed slot even with a 1 KiB key and resource; a typical record is a
    // few hundred bytes.
    assert_true(bytes.size() < sizeof(AuditEntry));
    assert_true(EncodedAuditSize(SampleRecord()) < 512);
    // Bytes that are not an encoding are refused, not read past.
    assert_false(
        DecodeAuditRecord(std::span<const uint8_t>(bytes).first(bytes.size() - 1), *decoded));
    assert_false(DecodeAuditRecord(std::span<const uint8_t>(bytes).first(20), *decoded));
  }
}

static void test_bad_options(void**) {
  AuditOptions opt;
  opt.file.path = "/nonexistent-dir-flashstor/audit.log";
  assert_false(AuditLog::Create(opt).has_value());
  opt.file.path = "/tmp/x.log";
  opt.file.max_files = 0;
  assert_false(AuditLog::Create(opt).has_value());
}

static void test_journal_fields(void**) {
  AuditEntry e;
  FillAuditEntry(e, SampleRecord(), 0);
  AuditJournalFields f;
  BuildAuditJournalFields(e, f);
  assert_string_equal(std::string(f.fields[0].key).c_str(), "FLASHSTOR_AUDIT");
  assert_string_equal(std::string(f.fields[0].value).c_str(), "1");
  bool key_found = false;
  for (const Field& field : f.fields) {
    assert_true(field.key.starts_with("FLASHSTOR_"));
    if (field.key == "FLASHSTOR_KEY") {
      key_found = true;
      assert_true(field.value == e.key.view());  // raw bytes, newline kept
    }
    if (field.key == "FLASHSTOR_STATUS") assert_true(field.value == "200");
    if (field.key == "FLASHSTOR_BYTES_IN") assert_true(field.value == "12345");
    if (field.key == "FLASHSTOR_DURATION_MS") assert_true(field.value == "2");
  }
  assert_true(key_found);
}

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_records_parse_back),
      cmocka_unit_test(test_bounds_truncate),
      cmocka_unit_test(test_rotation),
      cmocka_unit_test(test_full_ring_drops_and_counts),
      cmocka_unit_test(test_encoding_round_trip),
      cmocka_unit_test(test_bad_options),
      cmocka_unit_test(test_journal_fields),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
