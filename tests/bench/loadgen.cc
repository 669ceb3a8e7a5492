// flashstor_loadgen: an S3 load generator for the benchmark (one blocking thread per
// connection, HTTP/1.1 keep-alive, SigV4 header signing). Usage: see kUsage / --help.
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "flashstor/auth/sigv4.h"
#include "http_connection.h"
#include "load_report.h"
#include "load_worker.h"
#include "loadgen_options.h"

namespace {

using namespace flashstor::bench;
using flashstor::Status;

constexpr auto kPrefillLimit = std::chrono::seconds(600);

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

Clock::time_point Deadline(double seconds) {
  return Clock::now() +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

std::vector<char> MakePayload(uint64_t size) {
  std::vector<char> data(size);
  std::mt19937_64 rng(42);
  for (size_t i = 0; i < data.size(); i += 8) {
    const uint64_t v = rng();
    for (size_t j = 0; j < 8 && i + j < data.size(); ++j) {
      data[i + j] = static_cast<char>(v >> (8 * j));
    }
  }
  return data;
}

struct Shared {
  const Options& o;
  const Endpoint& endpoint;
  std::span<const char> payload;
  std::string sha256;
};

using Workers = std::vector<std::unique_ptr<LoadWorker>>;

Workers MakeWorkers(const Shared& sh) {
  Workers w;
  for (int i = 0; i < sh.o.concurrency; ++i) {
    w.push_back(std::make_unique<LoadWorker>(sh.o, sh.endpoint, sh.payload, sh.sha256,
                                             static_cast<unsigned>(i)));
  }
  return w;
}

// Runs fn(worker, index) on one thread per worker and merges their statistics.
template <typename Fn>
RunStats OnAllThreads(Workers& workers, Fn fn) {
  std::vector<std::thread> threads;
  RunStats before;
  for (auto& w : workers) before.merge(w->stats());
  for (size_t i = 0; i < workers.size(); ++i) {
    threads.emplace_back([&, i] { fn(*workers[i], i); });
  }
  for (auto& t : threads) t.join();
  RunStats after;
  for (auto& w : workers) after.merge(w->stats());
  // Report only this phase: subtract what was there before (prefill).
  after.ok_ops -= before.ok_ops;
  after.ok_bytes -= before.ok_bytes;
  for (const auto& [name, count] : before.errors) after.errors[name] -= count;
  std::erase_if(after.errors, [](const auto& e) { return e.second == 0; });
  return after;
}

void Print(const Options& o, const RunStats& s, double secs, const std::string& extra = {}) {
  if (o.json) {
    std::fprintf(stderr, "%s\n", FormatHuman(o, s, secs).c_str());
    std::printf("%s\n", FormatJson(o, s, secs, extra).c_str());
  } else {
    std::printf("%s\n", FormatHuman(o, s, secs).c_str());
  }
}

int RunWait(const Shared& sh) {
  const auto start = Clock::now();
  const auto deadline = Deadline(sh.o.duration);
  RequestFactory factory(sh.o, sh.endpoint, sh.sha256);
  HttpConnection conn(sh.endpoint, sh.o.timeout_ms, 0);
  uint64_t attempts = 0;
  while (Clock::now() < deadline) {
    ++attempts;
    auto head = factory.get(0);
    if (!head) return 1;
    auto r = conn.round_trip(*head, {}, false);
    if (r && r->status == 200 && r->body_bytes == sh.o.size) {
      const double ms = Seconds(Clock::now() - start) * 1e3;
      // Wall clock of the answer, so that a caller can measure from its own clock (exec).
      const long long realtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count();
      if (sh.o.json) {
        std::printf(
            "{\"op\":\"wait\",\"ready_ms\":%.3f,\"attempts\":%llu,\"ready_realtime_ns\":%lld}\n",
            ms, static_cast<unsigned long long>(attempts), realtime_ns);
      } else {
        std::printf("wait: first 200 after %.3f ms, %llu attempts\n", ms,
                    static_cast<unsigned long long>(attempts));
      }
      return 0;
    }
    conn.close();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::fprintf(stderr, "flashstor_loadgen: no 200 within %.1f s\n", sh.o.duration);
  return 1;
}

// Opens o.concurrency connections (one GET of key 0 on each), holds them idle until the
// duration ends. "idle-ready N" on stderr tells a watcher when to sample the server's memory.
int RunIdle(const Shared& sh) {
  RequestFactory factory(sh.o, sh.endpoint, sh.sha256);
  std::vector<std::unique_ptr<HttpConnection>> conns;
  RunStats s;
  const auto start = Clock::now();
  const auto deadline = Deadline(sh.o.duration);
  for (int i = 0; i < sh.o.concurrency && Clock::now() < deadline; ++i) {
    auto c = std::make_unique<HttpConnection>(sh.endpoint, sh.o.timeout_ms, 0);
    auto head = factory.get(0);
    auto r = head ? c->round_trip(*head, {}, false) : std::unexpected(head.error());
    if (!r) {
      ++s.errors[r.error().code() == flashstor::Code::kUnavailable ? "connect" : "io"];
    } else if (r->status != 200 || r->body_bytes != sh.o.size || !c->is_open()) {
      ++s.errors[r->status != 200 ? std::to_string(r->status) : "not-kept-alive"];
    } else {
      ++s.ok_ops;
      s.ok_bytes += r->body_bytes;
      conns.push_back(std::move(c));
    }
  }
  s.connections = conns.size();
  const double open_s = Seconds(Clock::now() - start);
  std::fprintf(stderr, "idle-ready %zu\n", conns.size());
  std::this_thread::sleep_until(deadline);
  // Count the connections the server kept open for the whole hold.
  size_t still_open = 0;
  for (auto& c : conns) still_open += c->alive() ? 1 : 0;
  Print(sh.o, s, open_s,
        ",\"idle_connections\":" + std::to_string(conns.size()) +
            ",\"still_open\":" + std::to_string(still_open));
  return s.error_count() == 0 ? 0 : 3;
}

int RunLoad(const Shared& sh) {
  const Options& o = sh.o;
  Workers workers = MakeWorkers(sh);
  const std::string why = o.create_bucket ? workers[0]->create_bucket() : std::string();
  if (!why.empty()) {
    std::fprintf(stderr, "flashstor_loadgen: could not create bucket %s: %s\n", o.bucket.c_str(),
                 why.c_str());
    return 1;
  }
  const size_t n = workers.size();
  if (o.op == Op::kHeal || o.op == Op::kFill) {
    // One request per key; --duration only bounds the run.
    const Op op = o.op == Op::kHeal ? Op::kHeal : Op::kPut;
    const auto start = Clock::now();
    const auto deadline = Deadline(o.duration);
    RunStats s =
        OnAllThreads(workers, [&](LoadWorker& w, size_t i) { w.run_keys(op, i, n, deadline); });
    Print(o, s, Seconds(Clock::now() - start));
    return s.error_count() == 0 && s.ok_ops == o.keys ? 0 : 3;
  }
  if (o.prefill) {
    const auto deadline = Clock::now() + kPrefillLimit;
    RunStats s = OnAllThreads(
        workers, [&](LoadWorker& w, size_t i) { w.run_keys(Op::kPut, i, n, deadline); });
    if (s.error_count() != 0 || s.ok_ops != o.keys) {
      std::fprintf(stderr, "flashstor_loadgen: prefill failed: %s\n", FormatHuman(o, s, 1).c_str());
      return 1;
    }
  }
  std::atomic<uint64_t> issued{0};
  const auto start = Clock::now();
  const auto deadline = Deadline(o.duration);
  RunStats s = OnAllThreads(workers, [&](LoadWorker& w, size_t) { w.run_timed(deadline, issued); });
  Print(o, s, Seconds(Clock::now() - start));
  return s.error_count() == 0 ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string_view(argv[1]) == "--help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  auto o = ParseOptions(argc, argv);
  if (!o) {
    std::fprintf(stderr, "flashstor_loadgen: %.*s\n%s",
                 static_cast<int>(o.error().message().size()), o.error().message().data(), kUsage);
    return 2;
  }
  auto endpoint = ParseEndpoint(o->endpoint);
  if (!endpoint) {
    std::fprintf(stderr, "flashstor_loadgen: %.*s\n",
                 static_cast<int>(endpoint.error().message().size()),
                 endpoint.error().message().data());
    return 2;
  }
  const bool needs_payload = o->op == Op::kPut || o->op == Op::kMixed || o->op == Op::kFill ||
                             o->prefill || (o->op == Op::kGet && o->verify);
  const std::vector<char> payload = needs_payload ? MakePayload(o->size) : std::vector<char>();
  Shared sh{*o, *endpoint, payload, {}};
  if (o->sha256_payload && needs_payload) sh.sha256 = flashstor::auth::HexSha256(payload);
  switch (o->op) {
    case Op::kWait:
      return RunWait(sh);
    case Op::kIdle:
      return RunIdle(sh);
    default:
      return RunLoad(sh);
  }
}
