// ParseOptions: flashstor_loadgen's command line; every numeric value is range-checked.
#include "loadgen_options.h"

#include <cerrno>
#include <cstdlib>

namespace flashstor::bench {
namespace {

bool ParseU64(const char* s, uint64_t lo, uint64_t hi, uint64_t& out) {
  if (*s < '0' || *s > '9') return false;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(s, &end, 10);
  if (*end != '\0' || errno != 0 || v < lo || v > hi) return false;
  out = v;
  return true;
}

bool ParseSeconds(const char* s, double& out) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s, &end);
  if (end == s || *end != '\0' || errno != 0 || !(v > 0) || v > kMaxDuration) return false;
  out = v;
  return true;
}

bool ParseOp(std::string_view v, Op& op) {
  static constexpr struct {
    std::string_view name;
    Op op;
  } kOps[] = {{"put", Op::kPut},   {"get", Op::kGet},   {"head", Op::kHead}, {"mixed", Op::kMixed},
              {"fill", Op::kFill}, {"heal", Op::kHeal}, {"idle", Op::kIdle}, {"wait", Op::kWait},
              {"list", Op::kList}};
  for (const auto& o : kOps) {
    if (o.name == v) {
      op = o.op;
      return true;
    }
  }
  return false;
}

bool ParseFlag(std::string_view a, Options& o) {
  if (a == "--no-sign") {
    o.sign = false;
  } else if (a == "--unsigned-payload") {
    o.sha256_payload = false;
  } else if (a == "--sha256-payload") {
    o.sha256_payload = true;
  } else if (a == "--json") {
    o.json = true;
  } else if (a == "--create-bucket") {
    o.create_bucket = true;
  } else if (a == "--prefill") {
    o.prefill = true;
  } else if (a == "--verify") {
    o.verify = true;
  } else {
    return false;
  }
  return true;
}

// One "--name VALUE" option; false on an unknown name or a bad value.
bool ParseValue(std::string_view a, const char* v, Options& o) {
  uint64_t n = 0;
  if (a == "--endpoint") {
    o.endpoint = v;
  } else if (a == "--access-key") {
    o.access_key = v;
  } else if (a == "--secret-key") {
    o.secret_key = v;
  } else if (a == "--bucket") {
    o.bucket = v;
  } else if (a == "--prefix") {
    o.prefix = v;
  } else if (a == "--region") {
    o.region = v;
  } else if (a == "--op") {
    return ParseOp(v, o.op);
  } else if (a == "--size") {
    if (!ParseU64(v, 0, kMaxSize, o.size)) return false;
  } else if (a == "--concurrency") {
    if (!ParseU64(v, 1, kMaxIdleConnections, n)) return false;
    o.concurrency = static_cast<int>(n);
  } else if (a == "--duration") {
    return ParseSeconds(v, o.duration);
  } else if (a == "--keys") {
    return ParseU64(v, 1, kMaxKeys, o.keys);
  } else if (a == "--max-ops") {
    return ParseU64(v, 1, UINT64_MAX / 2, o.max_ops);
  } else if (a == "--timeout") {
    if (!ParseU64(v, 1, 600, n)) return false;
    o.timeout_ms = static_cast<int>(n * 1000);
  } else {
    return false;
  }
  return true;
}

void FromEnv(std::string& out, const char* a, const char* b) {
  if (!out.empty()) return;
  for (const char* name : {a, b}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') {
      out = v;
      return;
    }
  }
}

bool IsSafeName(std::string_view s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kPut:
      return "put";
    case Op::kGet:
      return "get";
    case Op::kHead:
      return "head";
    case Op::kMixed:
      return "mixed";
    case Op::kFill:
      return "fill";
    case Op::kHeal:
      return "heal";
    case Op::kIdle:
      return "idle";
    case Op::kWait:
      return "wait";
    case Op::kList:
      return "list";
  }
  return "?";
}

Result<Options> ParseOptions(int argc, const char* const* argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (ParseFlag(a, o)) continue;
    if (i + 1 >= argc) return Err(Code::kInvalidArgument, "missing value or unknown flag");
    if (!ParseValue(a, argv[++i], o)) return Err(Code::kInvalidArgument, "bad option or value");
  }
  FromEnv(o.access_key, "AWS_ACCESS_KEY_ID", "FLASHSTOR_ROOT_USER");
  FromEnv(o.secret_key, "AWS_SECRET_ACCESS_KEY", "FLASHSTOR_ROOT_PASSWORD");
  if (o.endpoint.empty()) return Err(Code::kInvalidArgument, "--endpoint is required");
  if (!IsSafeName(o.bucket, 63)) return Err(Code::kInvalidArgument, "--bucket is required");
  if (!IsSafeName(o.prefix, 512)) return Err(Code::kInvalidArgument, "bad --prefix");
  if (o.sign && (o.access_key.empty() || o.secret_key.empty())) {
    return Err(Code::kInvalidArgument, "credentials required (or --no-sign)");
  }
  if (o.op == Op::kHeal && !o.sign) return Err(Code::kInvalidArgument, "heal must be signed");
  if (o.op != Op::kIdle && o.concurrency > kMaxThreads) {
    return Err(Code::kInvalidArgument, "--concurrency above 1024 is only for --op idle");
  }
  return o;
}

const char kUsage[] =
    "usage: flashstor_loadgen --endpoint http://127.0.0.1:PORT --bucket B\n"
    "         [--access-key K --secret-key S | env AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY]\n"
    "         [--op put|get|head|mixed|fill|heal|idle|wait|list] [--size BYTES] [--concurrency N]\n"
    "         [--duration SECONDS] [--keys N] [--prefix P] [--max-ops N] [--timeout SECONDS]\n"
    "         [--unsigned-payload | --sha256-payload] [--no-sign] [--create-bucket]\n"
    "         [--prefill] [--verify] [--region R] [--json]\n"
    "  size <= 1 GiB; concurrency 1..1024 threads (idle: up to 10000 connections);\n"
    "  0 < duration <= 3600; 1 <= keys <= 1000000; loopback endpoints only.\n"
    "  exit: 0 all requests 2xx, 3 some failed (report still printed), 2 usage, 1 setup error\n";

}  // namespace flashstor::bench
