// OpenEngine and RegisterServerMetrics: the glue between configuration, the object engine and
// the metrics registry.
#include "flashstor/server/engine_setup.h"

#include <filesystem>

#include "flashstor/erasure/codec.h"
#include "flashstor/obs/log.h"
#include "flashstor/obs/metrics.h"
#include "flashstor/obs/process_metrics.h"
#include "flashstor/server/notify_setup.h"
#include "flashstor/storage/health_checked_disk.h"
#include "flashstor/storage/metered_disk.h"

namespace flashstor::server {

bool Engine::write_quorum_available() const {
  object::EngineStats st = sets->stats();
  return st.drives_online * 2 > st.drives_total;
}

void Engine::start_background() {
  sets->start_background(sets->reformatted_at_open());
  if (lifecycle) lifecycle->start();
}

void Engine::shutdown() {
  if (lifecycle) lifecycle->stop();
  if (notifier) notifier->stop();
  if (sets) sets->stop_background();
}

namespace {

// A brand-new deployment (no drive carries a format record yet) may name drive folders that do
// not exist: create them, as a first `make run` expects. Once any drive is formatted, a missing
// folder is an offline drive (perhaps an unmounted disk) and must not silently become a folder
// on the root file system.
void CreateDrivesOfNewDeployment(const std::vector<std::string>& drives) {
  std::error_code ec;
  for (const std::string& d : drives) {
    if (std::filesystem::exists(std::filesystem::path(d) / ".flashstor.sys" / "format.json", ec)) {
      return;
    }
  }
  for (const std::string& d : drives) {
    if (!std::filesystem::exists(d, ec)) {
      std::filesystem::create_directories(d, ec);
      if (!ec) obs::Log(obs::Level::kNotice, "created drive folder", {{"DRIVE", d}});
    }
  }
}

// Per drive: online state, offline events, calls past their deadline, and the latency of each
// kind of call that reached the device (moving average and recent maximum).
void RegisterDriveHealthMetrics(obs::MetricsRegistry& r, const object::ErasureSets& sets) {
  for (const auto& d : sets.drives()) {
    const auto* metered = dynamic_cast<const storage::MeteredDisk*>(d.get());
    const auto* h = dynamic_cast<const storage::HealthCheckedDisk*>(
        metered != nullptr ? &metered->inner() : d.get());
    if (h == nullptr) continue;
    const std::string& drive = h->endpoint();
    // The drives live as long as the engine, which outlives the metrics endpoint.
    r.gauge_fn("flashstor_drive_online", "1 while the drive answers, 0 while it is offline.",
               {{"drive", drive}}, [h] { return h->online() ? 1.0 : 0.0; });
    r.gauge_fn("flashstor_drive_offline_events", "Times the drive was taken offline.",
               {{"drive", drive}}, [h] { return static_cast<double>(h->offline_events()); });
    r.gauge_fn("flashstor_drive_timeouts", "Drive calls that ran past their deadline.",
               {{"drive", drive}}, [h] { return static_cast<double>(h->timeouts()); });
    for (size_t i = 0; i < storage::kDriveCallCount; ++i) {
      auto call = static_cast<storage::DriveCall>(i);
      std::string name(storage::DriveCallName(call));
      r.gauge_fn(
          "flashstor_drive_call_seconds_avg", "Moving average latency of one kind of drive call.",
          {{"drive", drive}, {"call", name}}, [h, call] { return h->latency(call).avg_seconds; });
      r.gauge_fn("flashstor_drive_call_seconds_max",
                 "Largest latency of one kind of drive call in the last one to two minutes.",
                 {{"drive", drive}, {"call", name}},
                 [h, call] { return h->latency(call).max_seconds; });
      r.gauge_fn("flashstor_drive_calls",
                 "Drive calls of one kind made so far (answered from the kernel's caches or not).",
                 {{"drive", drive}, {"call", name}},
                 [h, call] { return static_cast<double>(h->latency(call).calls); });
    }
  }
}

}  // namespace

std::expected<std::unique_ptr<Engine>, std::string> OpenEngine(const config::Config& cfg) {
  CreateDrivesOfNewDeployment(cfg.drives);
  object::EngineConfig ec;
  if (cfg.parity) ec.parity = *cfg.parity;
  ec.trash_grace_seconds = cfg.trash_grace_seconds;
  const config::LimitsConfig& l = cfg.limits;
  if (l.drive_timeout_s) ec.drive_health.data_deadline = std::chrono::seconds(*l.drive_timeout_s);
  if (l.drive_meta_timeout_s) {
    ec.drive_health.meta_deadline = std::chrono::seconds(*l.drive_meta_timeout_s);
  }
  if (l.drive_probe_interval_s) {
    ec.drive_health.probe_interval = std::chrono::seconds(*l.drive_probe_interval_s);
  }
  ec.background = false;  // Engine::start_background, once serving
  std::string detail;
  auto opened = object::OpenEngine(cfg.drives, ec, &detail);
  if (!opened) {
    std::string msg(CodeName(opened.error().code()));
    if (!opened.error().message().empty()) msg.append(": ").append(opened.error().message());
    if (!detail.empty()) msg.append(" (").append(detail).append(")");
    return std::unexpected(msg);
  }
  auto engine = std::make_unique<Engine>();
  engine->sets = std::move(*opened);
  engine->layer = engine->sets.get();
  auto notifier = OpenNotifier(cfg, engine->sets->drives());
  if (!notifier) return std::unexpected(notifier.error());
  engine->notifier = std::move(*notifier);
  if (engine->notifier) engine->notifier->start();
  engine->lifecycle = std::make_unique<object::LifecycleWorker>(
      *engine->sets, cfg.lifecycle_day_seconds,
      LifecycleEventPublisher(engine->notifier.get(), *engine->layer));
  return engine;
}

void RegisterServerMetrics(const net::HttpServer& http, const Engine& engine) {
  obs::MetricsRegistry& r = obs::DefaultRegistry();
  obs::RegisterProcessMetrics(r);
  r.gauge_fn("flashstor_http_connections", "Open client connections.", {},
             [&http] { return static_cast<double>(http.stats().active); });
  r.gauge_fn("flashstor_http_connections_accepted", "Connections accepted since start.", {},
             [&http] { return static_cast<double>(http.stats().accepted); });
  r.gauge_fn("flashstor_http_header_timeouts", "Connections cut off by the header deadline.", {},
             [&http] { return static_cast<double>(http.stats().head_timeouts); });
  r.gauge_fn("flashstor_http_early_errors", "Requests rejected before any handler ran.", {},
             [&http] { return static_cast<double>(http.stats().early_errors); });
  r.gauge_fn("flashstor_arena_bytes", "Bytes held by connection arenas.", {},
             [&http] { return static_cast<double>(http.stats().arena_bytes); });
  r.gauge_fn("flashstor_workers_busy", "Request workers busy or queued.", {},
             [&http] { return static_cast<double>(http.stats().busy_workers); });
  r.gauge_fn("flashstor_workers", "Request worker threads.", {},
             [&http] { return static_cast<double>(http.workers()); });
  r.gauge_fn("flashstor_workers_queued", "Requests waiting for a free worker.", {},
             [&http] { return static_cast<double>(http.stats().queued); });
  auto cut = [&http](uint64_t net::ServerStats::*f) {
    return [&http, f] { return static_cast<double>(http.stats().*f); };
  };
  r.gauge_fn("flashstor_http_slow_clients_cut", "Requests cut off for a slow or silent client.",
             {{"reason", "min_rate"}}, cut(&net::ServerStats::cut_too_slow));
  r.gauge_fn("flashstor_http_slow_clients_cut", "Requests cut off for a slow or silent client.",
             {{"reason", "deadline"}}, cut(&net::ServerStats::cut_deadline));
  r.gauge_fn("flashstor_http_slow_clients_cut", "Requests cut off for a slow or silent client.",
             {{"reason", "inactivity"}}, cut(&net::ServerStats::cut_idle));
  r.gauge_fn("flashstor_http_client_share_waits",
             "Requests answered 503 for too many in flight from one address.", {},
             cut(&net::ServerStats::client_share_waits));
  r.gauge_fn("flashstor_http_loop_replies",
             "Health and metrics requests answered by the event loops.", {},
             cut(&net::ServerStats::loop_replies));
  r.gauge_fn("flashstor_http2_connections", "Connections that spoke HTTP/2 since start.", {},
             cut(&net::ServerStats::http2_connections));
  r.gauge_fn("flashstor_http2_streams", "HTTP/2 requests (streams) since start.", {},
             cut(&net::ServerStats::http2_streams));
  r.gauge_fn("flashstor_http2_streams_refused",
             "HTTP/2 streams refused over the per-connection limit.", {},
             cut(&net::ServerStats::http2_refused));
  r.gauge_fn("flashstor_http2_error_goaways",
             "HTTP/2 connections ended by a GOAWAY for a protocol error or flood.", {},
             cut(&net::ServerStats::http2_goaways));
  if (engine.notifier != nullptr) engine.notifier->register_metrics(r);
  if (engine.lifecycle != nullptr) {
    const object::LifecycleWorker& lc = *engine.lifecycle;
    auto lstat = [&lc](uint64_t object::LifecycleStats::*field) {
      return [&lc, field] { return static_cast<double>(lc.stats().*field); };
    };
    r.gauge_fn("flashstor_lifecycle_passes", "Lifecycle passes over the buckets.", {},
               lstat(&object::LifecycleStats::passes));
    r.gauge_fn("flashstor_lifecycle_objects_expired", "Objects removed by lifecycle expiration.",
               {}, lstat(&object::LifecycleStats::objects_expired));
    r.gauge_fn("flashstor_lifecycle_uploads_aborted",
               "Incomplete multipart uploads aborted by lifecycle.", {},
               lstat(&object::LifecycleStats::uploads_aborted));
    r.gauge_fn("flashstor_lifecycle_versions_expired",
               "Noncurrent versions and expired delete markers removed by lifecycle.", {},
               lstat(&object::LifecycleStats::versions_expired));
    r.gauge_fn("flashstor_lifecycle_errors", "Lifecycle actions that failed.", {},
               lstat(&object::LifecycleStats::errors));
  }
  const object::ErasureSets& sets = *engine.sets;
  auto stat = [&sets](uint64_t object::EngineStats::*field) {
    return [&sets, field] { return static_cast<double>(sets.stats().*field); };
  };
  r.gauge_fn("flashstor_drives", "Drives in the deployment.", {},
             stat(&object::EngineStats::drives_total));
  r.gauge_fn("flashstor_drives_online", "Drives online.", {},
             stat(&object::EngineStats::drives_online));
  r.gauge_fn("flashstor_heal_queue_length", "Objects waiting to be healed.", {},
             stat(&object::EngineStats::heal_queue_length));
  r.gauge_fn("flashstor_heal_queue_overflow", "Heal requests dropped (the scanner finds them).", {},
             stat(&object::EngineStats::heal_queue_overflow));
  r.gauge_fn("flashstor_heal_shards_healed", "Shard files and metadata rewritten by healing.", {},
             stat(&object::EngineStats::shards_healed));
  r.gauge_fn("flashstor_scanner_objects_scanned", "Objects verified by the bitrot scanner.", {},
             stat(&object::EngineStats::objects_scanned));
  r.gauge_fn("flashstor_scanner_bytes_verified", "Shard bytes whose bitrot digest was checked.", {},
             stat(&object::EngineStats::bytes_verified));
  r.gauge_fn("flashstor_scanner_cycles", "Completed bitrot scan passes.", {},
             stat(&object::EngineStats::scan_cycles));
  // Per-drive traffic and failures (counters, evaluated at scrape time).
  for (const object::ErasureSets::DriveUsage& u : sets.drive_usage()) {
    auto field = [&sets, endpoint = u.endpoint](uint64_t object::ErasureSets::DriveUsage::*f) {
      return [&sets, endpoint, f] {
        for (const auto& d : sets.drive_usage()) {
          if (d.endpoint == endpoint) return static_cast<double>(d.*f);
        }
        return 0.0;
      };
    };
    r.gauge_fn("flashstor_drive_read_bytes", "Bytes read from a drive.", {{"drive", u.endpoint}},
               field(&object::ErasureSets::DriveUsage::bytes_read));
    r.gauge_fn("flashstor_drive_written_bytes", "Bytes written to a drive.",
               {{"drive", u.endpoint}}, field(&object::ErasureSets::DriveUsage::bytes_written));
    r.gauge_fn("flashstor_drive_errors", "Drive calls that failed (I/O, full, offline).",
               {{"drive", u.endpoint}}, field(&object::ErasureSets::DriveUsage::errors));
  }
  RegisterDriveHealthMetrics(r, sets);
  auto codec = [](uint64_t erasure::CodecTotals::*f, double scale) {
    return [f, scale] { return static_cast<double>(erasure::ReadCodecTotals().*f) * scale; };
  };
  r.gauge_fn("flashstor_erasure_encode_seconds", "Time spent in Reed-Solomon encoding.", {},
             codec(&erasure::CodecTotals::encode_ns, 1e-9));
  r.gauge_fn("flashstor_erasure_encode_bytes", "Data bytes erasure-encoded.", {},
             codec(&erasure::CodecTotals::encode_bytes, 1.0));
  r.gauge_fn("flashstor_erasure_decode_seconds",
             "Time spent reconstructing missing or corrupt shards.", {},
             codec(&erasure::CodecTotals::decode_ns, 1e-9));
  r.gauge_fn("flashstor_erasure_decode_bytes", "Data bytes of stripes reconstructed.", {},
             codec(&erasure::CodecTotals::decode_bytes, 1.0));
  r.gauge_fn("flashstor_bitrot_scan_coverage_ratio",
             "Fraction of the last pass's objects verified in the current pass.", {}, [&sets] {
               object::EngineStats st = sets.stats();
               if (st.last_cycle_objects == 0) return st.scan_cycles > 0 ? 1.0 : 0.0;
               double c = static_cast<double>(st.scan_cycle_objects) /
                          static_cast<double>(st.last_cycle_objects);
               return c > 1.0 ? 1.0 : c;
             });
}

}  // namespace flashstor::server
