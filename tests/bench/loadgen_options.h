// Options of flashstor_loadgen: the command line, validated and bounded (sizes, counts, time).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "flashstor/common/status.h"

namespace flashstor::bench {

enum class Op : uint8_t {
  kPut,    // timed: PUT objects round-robin over the keys
  kGet,    // timed: GET random keys (they must exist: see --prefill)
  kHead,   // timed: HEAD random keys (they must exist: see --prefill)
  kMixed,  // timed: each request a PUT or a GET with probability 1/2
  kFill,   // PUT each key once (untimed set-up, e.g. before a heal run)
  kHeal,   // POST /flashstor/admin/heal for each key once (signed, root)
  kIdle,   // open --concurrency connections, one GET each, hold them idle for --duration
  kWait,   // poll GET of key 0 until it answers 200 or --duration passes (start-up time)
  kList,   // timed: ListObjectsV2 of the first page (max-keys min(--keys, 1000)) under --prefix
};

struct Options {
  std::string endpoint;
  std::string access_key;
  std::string secret_key;  // never printed
  std::string bucket;
  std::string prefix = "obj";  // object keys are "<prefix>-<n>"
  std::string region = "us-east-1";
  Op op = Op::kPut;
  uint64_t size = 4096;
  int concurrency = 1;
  double duration = 10;
  uint64_t keys = 64;
  uint64_t max_ops = 0;  // 0: only the duration bounds a timed run
  int timeout_ms = 60'000;
  bool sign = true;
  bool sha256_payload = false;  // false: x-amz-content-sha256: UNSIGNED-PAYLOAD
  bool json = false;
  bool create_bucket = false;  // PUT /bucket first (200 or 409 accepted)
  bool prefill = false;        // PUT every key once before the timed run (not measured)
  bool verify = false;         // compare GET bodies with the payload
};

inline constexpr uint64_t kMaxSize = uint64_t{1} << 30;
inline constexpr int kMaxThreads = 1024;
inline constexpr int kMaxIdleConnections = 10'000;
inline constexpr double kMaxDuration = 3600;
inline constexpr uint64_t kMaxKeys = 1'000'000;

// Parses argv (argv[0] skipped). Credentials default to AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
// or FLASHSTOR_ROOT_USER/FLASHSTOR_ROOT_PASSWORD from the environment so that a secret need not
// appear on a command line. kInvalidArgument with a static message on a bad or missing value.
Result<Options> ParseOptions(int argc, const char* const* argv);

std::string_view OpName(Op op);
extern const char kUsage[];

}  // namespace flashstor::bench
