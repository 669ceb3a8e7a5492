// RunServer: start-up in the order the appliance needs (privileged steps first, then drop to
// the run user, seccomp, and only then storage and serving), and the signal loop.
#include "flashstor/server/server.h"

#include <openssl/crypto.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>

#include "flashstor/auth/sigv4.h"
#include "flashstor/iam/iam_store.h"
#include "flashstor/iam/static_credentials.h"
#include "flashstor/mem/byte_vector_pool.h"
#include "flashstor/mem/idle_trim.h"
#include "flashstor/net/http_server.h"
#include "flashstor/object/budgeted_layer.h"
#include "flashstor/object/offloading_layer.h"
#include "flashstor/obs/audit_log.h"
#include "flashstor/obs/health.h"
#include "flashstor/obs/log.h"
#include "flashstor/obs/metrics.h"
#include "flashstor/obs/request_metrics.h"
#include "flashstor/s3/error_table.h"
#include "flashstor/s3/kms_keys.h"
#include "flashstor/s3/s3_handler.h"
#include "flashstor/s3/sse_keys.h"
#include "flashstor/server/admin_handler.h"
#include "flashstor/server/auth_settings.h"
#include "flashstor/server/early_errors.h"
#include "flashstor/server/engine_setup.h"
#include "flashstor/server/listeners.h"
#include "flashstor/server/loop_endpoints.h"
#include "flashstor/server/request_observer.h"
#include "flashstor/server/settings.h"
#include "flashstor/server/task_metrics.h"
#include "flashstor/storage/local_disk.h"
#include "flashstor/storage/meta_cache.h"
#include "flashstor/sys/audit_events.h"
#include "flashstor/sys/privileges.h"
#include "flashstor/sys/seccomp.h"
#include "flashstor/sys/systemd.h"
#include "flashstor/sys/watchdog_monitor.h"
#include "flashstor/task/memory_budget.h"
#include "flashstor/tls/tls_context.h"

namespace flashstor::server {
namespace {

int Fail(std::string_view what, std::string_view why) {
  obs::Log(obs::Level::kCritical, "start-up failed", {{"STEP", what}, {"REASON", why}});
  std::fprintf(stderr, "flashstor: %.*s: %.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(why.size()), why.data());
  return 1;
}

std::string Describe(const Status& s) {
  std::string out(CodeName(s.code()));
  if (!s.message().empty()) out.append(": ").append(s.message());
  if (s.sys_errno() != 0) out.append(" (").append(std::strerror(s.sys_errno())).append(")");
  return out;
}

// Signals are handled synchronously by the main thread; workers inherit the blocked mask.
sigset_t BlockSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return set;
}

// Requests waiting for a worker with none progressing for this long: stop the watchdog pings.
// Every wait on a client is bounded well below it (inactivity 60 s, rate window 10 s).
constexpr int kDefaultStallRestartS = 60;
// The server's own time for a request, on top of its transfer (--operation-timeout).
constexpr int kDefaultOperationTimeoutS = 60;
// Threads that run listings, bucket operations and heal for the request tasks.
constexpr int kOffloadThreads = 4;

net::ServerOptions ServerOptionsFrom(const config::LimitsConfig& l) {
  net::ServerOptions o;
  if (l.request_timeout_s) o.request_timeout_ms = *l.request_timeout_s * 1000;
  if (l.request_timeout_kib_per_s) {
    o.request_timeout_bytes_per_s = static_cast<uint64_t>(*l.request_timeout_kib_per_s) * 1024;
  }
  if (l.min_rate_kib) o.min_rate_bytes = static_cast<uint64_t>(*l.min_rate_kib) * 1024;
  if (l.min_rate_window_s) o.min_rate_window_ms = *l.min_rate_window_s * 1000;
  if (l.max_requests_per_client) o.max_requests_per_client = *l.max_requests_per_client;
  if (l.request_memory_mib) {
    o.request_memory_bytes = static_cast<uint64_t>(*l.request_memory_mib) << 20;
  }
  if (l.admission_timeout_s) o.admission_timeout_ms = *l.admission_timeout_s * 1000;
  if (l.http2_max_streams) o.http2_max_streams = *l.http2_max_streams;
  return o;
}

// Start-up timing, logged at debug level (--log-level debug): one "start-up phase" line per
// phase with its duration, so that exec-to-first-request can be read by phase (make bench).
// The clock starts during static initialisation; "process" is static init to RunServer, and
// START_REALTIME_NS lets a caller that noted the time before exec add the exec itself.
using StartClock = std::chrono::steady_clock;
const StartClock::time_point g_process_start = StartClock::now();
const int64_t g_process_start_realtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count();

// Process CPU time (all threads), microseconds: a phase's CPU_US beside its DURATION_US tells
// work from waiting (a loaded machine stretches the wall clock, not the CPU time).
int64_t ProcessCpuMicros() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

// Page faults of the process so far (minor and major): on a virtual machine a fault costs
// microseconds, so a phase's FAULTS explain much of its system time.
int64_t ProcessFaults() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt + ru.ru_majflt;
}

class StartupPhases {
 public:
  // The clock and CPU time at RunServer's entry; the phase before it ("process") is logged by
  // the first end(), once the log level is known.
  StartupPhases()
      : last_(StartClock::now()), last_cpu_(ProcessCpuMicros()), last_faults_(ProcessFaults()) {}
  // Ends the current phase: logs its duration and CPU time at debug level.
  void end(std::string_view phase) {
    const StartClock::time_point now = StartClock::now();
    const int64_t cpu = ProcessCpuMicros();
    const int64_t faults = ProcessFaults();
    if (!logged_process_) {
      logged_process_ = true;
      Log("process", g_process_start, last_, 0, last_cpu_, 0, last_faults_);
    }
    Log(phase, last_, now, last_cpu_, cpu, last_faults_, faults);
    last_ = now;
    last_cpu_ = cpu;
    last_faults_ = faults;
  }
  StartClock::time_point last() const { return last_; }
  static int64_t Micros(StartClock::duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  }

 private:
  static void Log(std::string_view phase, StartClock::time_point from, StartClock::time_point to,
                  int64_t cpu_from, int64_t cpu_to, int64_t faults_from, int64_t faults_to) {
    if (!obs::LogEnabled(obs::Level::kDebug)) return;
    std::string us = std::to_string(Micros(to - from));
    std::string cpu = std::to_string(cpu_to - cpu_from);
    std::string faults = std::to_string(faults_to - faults_from);
    std::string total = std::to_string(Micros(to - g_process_start));
    obs::Log(obs::Level::kDebug, "start-up phase",
             {{"PHASE", phase},
              {"DURATION_US", us},
              {"CPU_US", cpu},
              {"FAULTS", faults},
              {"SINCE_START_US", total}});
  }

  StartClock::time_point last_;
  int64_t last_cpu_;
  int64_t last_faults_;
  bool logged_process_ = false;
};

// Wraps the request observer to log, once, how long after "serving" the first request finished
// (0 when it finished before the main thread got there: the listeners are open early).
class FirstRequestTimer final : public s3::RequestObserver {
 public:
  explicit FirstRequestTimer(s3::RequestObserver& next) : next_(next) {}
  void serving(StartClock::time_point t) {
    serving_us_.store(StartupPhases::Micros(t - g_process_start), std::memory_order_release);
  }
  void on_request(const s3::RequestSummary& summary) override {
    next_.on_request(summary);
    if (done_.load(std::memory_order_relaxed) || done_.exchange(true)) return;
    if (!obs::LogEnabled(obs::Level::kDebug)) return;
    const int64_t now_us = StartupPhases::Micros(StartClock::now() - g_process_start);
    const int64_t serving_us = serving_us_.load(std::memory_order_acquire);
    std::string us = std::to_string(serving_us > 0 ? now_us - serving_us : 0);
    std::string total = std::to_string(now_us);
    obs::Log(obs::Level::kDebug, "start-up phase",
             {{"PHASE", "first-request"}, {"DURATION_US", us}, {"SINCE_START_US", total}});
  }

 private:
  s3::RequestObserver& next_;
  std::atomic<int64_t> serving_us_{0};
  std::atomic<bool> done_{false};
};

}  // namespace

int RunServer(const ServerArgs& args) {
  StartupPhases phases;  // "process": static initialisation to here (CPU_US: since exec)
  auto settings = ResolveSettings(args);
  obs::LogInit(settings ? static_cast<obs::Level>(settings->log_level) : obs::Level::kInfo);
  if (!settings) return Fail("configuration", settings.error());
  if (obs::LogEnabled(obs::Level::kDebug)) {
    std::string t0 = std::to_string(g_process_start_realtime_ns);
    obs::Log(obs::Level::kDebug, "start-up clock", {{"START_REALTIME_NS", t0}});
  }
  phases.end("config");
  config::Config& cfg = *settings;
  sigset_t signals = BlockSignals();

  Result<auth::Credential> root = iam::LoadRootCredential(cfg.root_user, cfg.root_password);
  if (!root) return Fail("root credentials", Describe(root.error()));
  // Read while the files' owner may still be the only reader (before the privilege drop).
  auto web_identity = LoadWebIdentity(cfg.sts);
  if (!web_identity) return Fail("web identity", web_identity.error());
  std::string metrics_token;
  if (cfg.metrics_access == config::MetricsAccess::kToken) {
    auto token = LoadMetricsToken(cfg);
    if (!token) return Fail("metrics token", token.error());
    metrics_token = std::move(*token);
  }

  // Privileged steps: sockets (or socket activation), TLS material, the SSE master key.
  auto sse_keys = s3::sse::LoadMasterKeyStore(args.sse_master_key_file);
  if (!sse_keys) return Fail("SSE master key", Describe(sse_keys.error()));
  std::unique_ptr<tls::TlsContext> tls;
  if (!cfg.certs_dir.empty()) {
    // ALPN offers h2 unless HTTP/2 is off.
    const bool h2 = cfg.limits.http2_max_streams.value_or(1) > 0;
    auto loaded = tls::TlsContext::Load(cfg.certs_dir, h2);
    if (!loaded) return Fail("TLS certificates in " + cfg.certs_dir, Describe(loaded.error()));
    tls = std::move(*loaded);
  }
  Result<std::vector<BoundListener>> listeners = OpenListeners(cfg.listen, tls != nullptr);
  if (!listeners) return Fail("listeners", Describe(listeners.error()));
  for (std::string& d : cfg.drives) d = std::filesystem::absolute(d).lexically_normal().string();
  phases.end("listeners");  // root credential, TLS material, sockets

  sys::AuditInit();  // needs AF_NETLINK and CAP_AUDIT_WRITE: before the drop and seccomp
  sys::PrivilegeOptions priv{cfg.run_user, cfg.run_group, args.allow_root};
  if (Status s = sys::DropPrivileges(priv); !s.ok()) return Fail("privilege drop", Describe(s));
  sys::SeccompMode seccomp_mode =
      args.seccomp_log_only ? sys::SeccompMode::kLogOnly : sys::SeccompMode::kEnforce;
  if (Status s = sys::InstallSeccompFilter(seccomp_mode); !s.ok()) {
    return Fail("seccomp", Describe(s));
  }
  if (auto st = sys::ReadPrivilegeState()) {
    std::string state = sys::FormatPrivilegeState(*st);
    obs::Log(obs::Level::kNotice, "confined", {{"PRIVILEGES", state}});
    sys::LogSecurityEvent(sys::SecurityEvent::kPrivilegeDrop, state, true);
  }
  phases.end("privileges");  // audit socket, privilege drop, seccomp filter

  (void)sys::NotifyStatus("loading drives");
  auto opened = OpenEngine(cfg);
  if (!opened) return Fail("storage", opened.error());
  std::unique_ptr<Engine> engine = std::move(*opened);
  phases.end("drives");  // drive formats loaded or written, erasure sets, object layer
  // Request tasks run on the event loops: large transfers take a grant of the request memory
  // budget; listings, bucket operations and heal go to a pool.
  net::ServerOptions options = ServerOptionsFrom(cfg.limits);
  task::MemoryBudget request_memory(options.request_memory_bytes);
  // The shard buffer pool keeps what the budget lets be in flight, and an eighth more: a
  // stripe's buffers are a page and a digest above its bytes (four 1 MiB PUTs' 16 buffers are
  // 8.1 MiB of an 8 MiB budget), and a drive task still writing when its PUT returned at
  // quorum gives its buffer back after the grant is gone. Kept any smaller, a steady load
  // frees and maps buffers: 46 of 520 KiB in 400 1 MiB PUTs at 8 clients at 8 MiB.
  mem::ShardBuffers().set_max_bytes(options.request_memory_bytes +
                                    options.request_memory_bytes / 8);
  // After 2 s without a request, the heap's free memory goes back to the OS (mem/idle_trim.h).
  mem::IdleTrim idle_trim(2000);
  idle_trim.on_trim([] {
    mem::ShardBuffers().clear();
    storage::MetaCache::ClearAll();
    storage::LocalDisk::ReleaseStageBuffers();
    s3::S3Handler::ReleaseCopyBuffers();
  });
  object::BudgetedLayer budgeted(*engine->layer, request_memory,
                                 std::chrono::milliseconds(options.admission_timeout_ms));
  object::OffloadingLayer offloading(budgeted, kOffloadThreads);
  object::ObjectLayer& layer = offloading;

  // Root plus the IAM users stored on the drives (iam_store.h).
  auto credentials = iam::IamStore::Open(*root, engine->sets->drives());
  if (!credentials) return Fail("credentials", Describe(credentials.error()));
  auth::VerifyOptions verify_opts;
  verify_opts.region = cfg.region;
  verify_opts.allow_sigv2 = cfg.sigv2;
  verify_opts.domain = cfg.domain;
  auth::SigV4Verifier verifier(**credentials, verify_opts);
  // SSE-KMS keys, sealed by the master key (none without one: SSE-KMS refused).
  std::shared_ptr<s3::kms::KeyManager> kms;
  if (*sse_keys) {
    Result<s3::sse::Key> master = (*sse_keys)->key((*sse_keys)->default_key_id());
    if (!master) return Fail("KMS key store", Describe(master.error()));
    auto store = s3::kms::KmsKeyStore::Open(*master, engine->sets->drives());
    OPENSSL_cleanse(master->data(), master->size());
    if (!store) return Fail("KMS key store", Describe(store.error()));
    kms = std::move(*store);
  }

  std::unique_ptr<obs::AuditLog> audit;
  // journald only when started by systemd (JOURNAL_STREAM). With no sink there is no audit
  // log at all: its per-loop rings (128 KiB each once used) would only be drained and counted.
  const bool audit_journal = cfg.audit.journald && std::getenv("JOURNAL_STREAM") != nullptr;
  if (!cfg.audit.file.empty() || audit_journal) {
    obs::AuditOptions ao;
    ao.file.path = cfg.audit.file;
    ao.journal = audit_journal;
    auto created = obs::AuditLog::Create(ao);
    if (!created) return Fail("audit log", Describe(created.error()));
    audit = std::move(*created);
    (void)audit->Start();
  }
  obs::RequestMetrics request_metrics(obs::DefaultRegistry());
  RequestObserver observer(audit.get(), request_metrics);
  FirstRequestTimer first_request(observer);
  obs::Health health;
  health.set_readiness_check([&engine] { return engine->write_quorum_available(); });
  AdminHandler admin(verifier, layer, health, cfg.metrics_access == config::MetricsAccess::kPublic);
  admin.set_kms(kms, cfg.region);
  admin.set_metrics_token(metrics_token);

  s3::S3Config s3cfg;
  s3cfg.region = cfg.region;
  s3cfg.domain = cfg.domain;
  // 409 BucketAlreadyOwnedByYou in every region, as MinIO and Ceph answer and s3-tests
  // expect; AWS's 200 in us-east-1 is a documented legacy exception.
  s3cfg.us_east_1_recreate_ok = false;
  s3cfg.lifecycle_day_ns = static_cast<int64_t>(cfg.lifecycle_day_seconds) * 1'000'000'000;
  s3cfg.sse_keys = std::shared_ptr<const s3::sse::KeyStore>(std::move(*sse_keys));
  s3cfg.sse_c_allow_http = args.sse_c_allow_http;
  s3cfg.kms = kms;
  s3cfg.notifier = engine->notifier.get();
  s3cfg.operation_timeout_ms =
      static_cast<int64_t>(cfg.limits.operation_timeout_s.value_or(kDefaultOperationTimeoutS)) *
      1000;
  s3cfg.min_bytes_per_s = options.request_timeout_bytes_per_s;
  s3::S3Handler handler(layer, verifier, s3cfg);
  handler.set_admin_handler(&admin);
  handler.set_observer(&first_request);
  handler.set_iam(credentials->get(), cfg.sts.min_duration_seconds, *web_identity);

  options.workers = args.workers;
  options.event_loops = args.event_loops;
  net::HttpServer http(options, handler);
  http.set_tls(tls.get());
  http.set_loop_responder(MakeLoopEndpoints(
      health, verifier, cfg.metrics_access == config::MetricsAccess::kPublic, metrics_token));
  http.set_error_body([](int status) { return EarlyErrorBody(status); });
  std::vector<int> health_ids;
  std::vector<size_t> watchdog_ids;
  sys::WatchdogMonitor watchdog;
  for (int i = 0; i < http.event_loops(); ++i) {
    health_ids.push_back(health.register_loop());
    auto id = watchdog.register_loop("event-loop-" + std::to_string(i));
    if (!id) return Fail("watchdog", Describe(id.error()));
    watchdog_ids.push_back(*id);
  }
  // At an idle trim the loops' cached arena blocks go back to the heap before it is trimmed,
  // and each loop then unmaps its cached fiber stacks on its own thread (the trims it has
  // seen: loop_trims).
  idle_trim.on_trim([&http] { http.release_cached_blocks(); });
  std::vector<uint64_t> loop_trims(static_cast<size_t>(http.event_loops()), 0);
  http.set_tick_hook([&](int loop) {
    health.tick(health_ids[static_cast<size_t>(loop)]);
    watchdog.tick(watchdog_ids[static_cast<size_t>(loop)]);
    const net::ServerStats st = http.stats();
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
    // Every request is activity: HTTP/1.1 ones, HTTP/2 streams and those the loops answer.
    idle_trim.tick(st.requests + st.http2_streams + st.loop_replies, st.busy_workers > 0, now_ms);
    if (const uint64_t trims = idle_trim.trims(); trims != loop_trims[static_cast<size_t>(loop)]) {
      loop_trims[static_cast<size_t>(loop)] = trims;
      http.release_cached_stacks(loop);
    }
  });
  for (const BoundListener& l : *listeners) {
    if (Status s = http.adopt_listener(l.fd, l.tls); !s.ok()) return Fail("listen", Describe(s));
  }
  RegisterServerMetrics(http, *engine);
  RegisterTaskMetrics(http, request_memory);
  RegisterHeapMetrics(idle_trim);
  RegisterMetaCacheMetrics();
  phases.end("engine");  // credentials, audit log, handlers, HTTP server, metrics
  if (Status s = http.start(); !s.ok()) return Fail("event loops", Describe(s));
  watchdog.set_progress_probe(
      [&http] {
        net::RequestProgress p = http.progress();
        return sys::WatchdogMonitor::RequestProgress{p.pending, p.progress};
      },
      std::chrono::seconds(cfg.limits.stall_restart_s.value_or(kDefaultStallRestartS)));
  auto interval = sys::WatchdogInterval();
  if (interval && interval->count() > 0) (void)watchdog.start(*interval);

  for (const BoundListener& l : *listeners) {
    std::printf("API: %s://%s\n", l.tls ? "https" : "http", l.display.c_str());
    obs::Log(obs::Level::kNotice, "serving S3",
             {{"ENDPOINT", l.display}, {"TLS", l.tls ? "yes" : "no"}});
  }
  std::fflush(stdout);
  (void)sys::NotifyReady("serving S3");
  sys::LogSecurityEvent(sys::SecurityEvent::kServiceStart, "serving S3", true);
  phases.end("serving");  // event loops and workers started, watchdog, readiness
  first_request.serving(phases.last());
  engine->start_background();  // heal drainer, scanner, lifecycle: not on the start-up path
  offloading.start();          // the listing and bucket-operation pool, likewise

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      if (tls) {
        Status s = tls->Reload();
        obs::Log(s.ok() ? obs::Level::kNotice : obs::Level::kError, "TLS reload",
                 {{"RESULT", s.ok() ? "ok" : Describe(s)}});
      }
      continue;
    }
    break;
  }
  obs::Log(obs::Level::kNotice, "shutting down");
  (void)sys::NotifyStopping();
  sys::LogSecurityEvent(sys::SecurityEvent::kServiceStop, "orderly shutdown", true);
  health.set_draining(true);
  watchdog.stop();
  http.stop(10'000);
  engine->shutdown();
  if (audit) audit->Stop();
  return 0;
}

}  // namespace flashstor::server
