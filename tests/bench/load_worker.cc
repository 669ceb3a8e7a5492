// LoadWorker: requests, response checks (status, body length and content) and statistics.
// A non-2xx answer or a short body is an error, never throughput.
#include "load_worker.h"

#include <cjson/cJSON.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <thread>

namespace flashstor::bench {
namespace {

std::string TransportErrorName(const Status& s) {
  switch (s.code()) {
    case Code::kTimeout:
      return "timeout";
    case Code::kUnavailable:
      return "connect";
    case Code::kCancelled:
      return "closed";
    case Code::kInvalidArgument:
      return "bad-response";
    case Code::kTooLarge:
      return "bad-response";
    default:
      return "io";
  }
}

// shards_healed from the admin heal endpoint's JSON answer; 0 when absent.
uint64_t ShardsHealed(const std::string& body) {
  cJSON* root = cJSON_ParseWithLength(body.data(), body.size());
  if (root == nullptr) return 0;
  const cJSON* n = cJSON_GetObjectItemCaseSensitive(root, "shards_healed");
  const uint64_t v =
      cJSON_IsNumber(n) && n->valuedouble > 0 ? static_cast<uint64_t>(n->valuedouble) : 0;
  cJSON_Delete(root);
  return v;
}

// A ListObjectsV2 <Contents> entry (Key, LastModified, ETag, Size, StorageClass) takes well over
// this many bytes: a page shorter than keys x this lacks keys.
constexpr uint64_t kMinListEntryBytes = 100;

uint64_t ListPageKeys(const Options& o) {
  return std::min<uint64_t>(o.keys, 1000);
}

// A full page: <KeyCount> equal to the page size when it comes within the body's first bytes
// (Flashstor puts it before the entries), and never fewer bytes than the entries need.
bool FullListPage(const Response& r, uint64_t page_keys) {
  if (r.body_bytes < kMinListEntryBytes * page_keys) return false;
  constexpr std::string_view kTag = "<KeyCount>";
  const size_t at = r.body_prefix.find(kTag);
  if (at == std::string::npos) return true;
  return std::strtoull(r.body_prefix.c_str() + at + kTag.size(), nullptr, 10) == page_keys;
}

}  // namespace

uint64_t RunStats::error_count() const {
  uint64_t n = 0;
  for (const auto& [name, count] : errors) n += count;
  return n;
}

void RunStats::merge(const RunStats& other) {
  latency.merge(other.latency);
  ok_ops += other.ok_ops;
  ok_bytes += other.ok_bytes;
  connections += other.connections;
  retries += other.retries;
  shards_healed += other.shards_healed;
  for (const auto& [name, count] : other.errors) errors[name] += count;
}

LoadWorker::LoadWorker(const Options& o, const Endpoint& endpoint, std::span<const char> payload,
                       std::string_view payload_sha256, unsigned index)
    : o_(o),
      payload_(payload),
      factory_(o, endpoint, payload_sha256),
      conn_(endpoint, o.timeout_ms),
      rng_(0x9e3779b97f4a7c15ULL ^ index),
      next_put_(index % o.keys),
      index_(index) {}

void LoadWorker::record_transport_error(const Status& s) {
  ++stats_.errors[TransportErrorName(s)];
  // A dead server must not turn the loop into a busy spin until the deadline.
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

Result<Response> LoadWorker::send(const std::string& head, std::span<const char> body, bool is_head,
                                  std::span<const char> expect) {
  for (int attempt = 0;; ++attempt) {
    const bool fresh = !conn_.is_open();
    const bool reused = !fresh && conn_.reused();
    if (fresh) {
      Status s = conn_.open();
      if (!s.ok()) return std::unexpected(s);
      ++stats_.connections;
    }
    auto r = conn_.round_trip(head, body, is_head, expect);
    // A kept-alive connection the server closed meanwhile is not the request's failure.
    if (!r && reused && attempt == 0 && r.error().code() == Code::kCancelled) {
      ++stats_.retries;
      continue;
    }
    return r;
  }
}

bool LoadWorker::execute(Op op, uint64_t key) {
  Result<std::string> head = op == Op::kPut    ? factory_.put(key)
                             : op == Op::kHeal ? factory_.heal(key)
                             : op == Op::kList ? factory_.list(ListPageKeys(o_))
                             : op == Op::kHead ? factory_.head(key)
                                               : factory_.get(key);
  if (!head) {
    ++stats_.errors["sign"];
    return false;
  }
  const bool is_put = op == Op::kPut;
  const std::span<const char> body = is_put ? payload_ : std::span<const char>();
  const std::span<const char> expect =
      op == Op::kGet && o_.verify ? payload_ : std::span<const char>();
  const auto t0 = Clock::now();
  auto r = send(*head, body, op == Op::kHead, expect);
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0);
  if (!r) {
    record_transport_error(r.error());
    return false;
  }
  if (r->status < 200 || r->status > 299) {
    ++stats_.errors[std::to_string(r->status)];
    return false;
  }
  if (op == Op::kGet && r->body_bytes != o_.size) {
    ++stats_.errors["wrong-length"];
    return false;
  }
  if (op == Op::kList && !FullListPage(*r, ListPageKeys(o_))) {
    ++stats_.errors["short-list"];  // fewer keys than the page should hold
    return false;
  }
  if (r->body_mismatch) {
    ++stats_.errors["mismatch"];
    return false;
  }
  if (op == Op::kHeal) stats_.shards_healed += ShardsHealed(r->body_prefix);
  stats_.latency.record(static_cast<uint64_t>(ns.count()));
  ++stats_.ok_ops;
  stats_.ok_bytes += op == Op::kHeal ? o_.size : is_put ? payload_.size() : r->body_bytes;
  return true;
}

std::string LoadWorker::create_bucket() {
  auto head = factory_.create_bucket();
  if (!head) return "cannot sign";
  auto r = send(*head, {}, false, {});
  if (!r) return TransportErrorName(r.error());
  if (r->status == 200 || r->status == 409) return {};
  return "HTTP " + std::to_string(r->status);
}

void LoadWorker::run_timed(Clock::time_point deadline, std::atomic<uint64_t>& issued) {
  std::uniform_int_distribution<uint64_t> pick(0, o_.keys - 1);
  while (Clock::now() < deadline) {
    if (o_.max_ops != 0 && issued.fetch_add(1, std::memory_order_relaxed) >= o_.max_ops) break;
    Op op = o_.op;
    if (op == Op::kMixed) op = (rng_() & 1) != 0 ? Op::kPut : Op::kGet;
    if (op == Op::kPut) {
      // Round-robin per thread: thread i writes keys i, i+N, ... so threads rarely collide.
      execute(op, next_put_);
      next_put_ += static_cast<uint64_t>(o_.concurrency);
      if (next_put_ >= o_.keys) next_put_ = index_ % o_.keys;
    } else {
      execute(op, pick(rng_));
    }
  }
}

void LoadWorker::run_keys(Op op, uint64_t first, uint64_t stride, Clock::time_point deadline) {
  for (uint64_t k = first; k < o_.keys && Clock::now() < deadline; k += stride) execute(op, k);
}

}  // namespace flashstor::bench
