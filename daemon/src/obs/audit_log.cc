// AuditLog: producer registration, the writer thread's drain loop and shutdown.
#include "flashstor/obs/audit_log.h"

#include "flashstor/common/thread_name.h"
#include "flashstor/obs/journal_audit_sink.h"

namespace flashstor::obs {
namespace {

// Per ring per pass, so one busy worker cannot starve the others' rings.
constexpr size_t kBatchPerRing = 256;

}  // namespace

bool AuditProducer::record(const RequestRecord& rec) {
  const int64_t now = NowUnixMs();
  const bool ok = ring_.try_write(EncodedAuditSize(rec),
                                  [&](uint8_t* out) { EncodeAuditRecord(rec, now, out); });
  if (!ok) dropped_.fetch_add(1, std::memory_order_relaxed);
  return ok;
}

Result<std::unique_ptr<AuditLog>> AuditLog::Create(const AuditOptions& options) {
  std::vector<std::unique_ptr<AuditSink>> sinks;
  if (!options.file.path.empty()) {
    auto file = RotatingFileSink::Open(options.file);
    if (!file) return std::unexpected(file.error());
    sinks.push_back(std::move(*file));
  }
  if (options.journal) sinks.push_back(std::make_unique<JournalAuditSink>());
  return std::make_unique<AuditLog>(std::move(sinks));
}

AuditLog::AuditLog(std::vector<std::unique_ptr<AuditSink>> sinks) : sinks_(std::move(sinks)) {
  line_.reserve(8192);
}

AuditLog::~AuditLog() {
  Stop();
}

AuditProducer* AuditLog::register_producer() {
  std::lock_guard<std::mutex> lock(register_mu_);
  const size_t n = producer_count_.load(std::memory_order_relaxed);
  if (n == kMaxAuditProducers) return nullptr;
  // Default-initialised (not make_unique's value-initialisation, which would zero the 128 KiB
  // ring): the ring's pages are touched only as records fill it.
  producers_[n] = std::unique_ptr<AuditProducer>(new AuditProducer);
  // Release: the writer that sees the new count also sees the constructed producer.
  producer_count_.store(n + 1, std::memory_order_release);
  return producers_[n].get();
}

Status AuditLog::Start() {
  if (writer_.joinable()) return Status(Code::kInvalidArgument, "audit log already started");
  running_.store(true, std::memory_order_release);
  writer_ = std::thread([this] {
    NameThisThread("fs-audit");
    run();
  });
  return Status::Ok();
}

void AuditLog::Stop() {
  running_.store(false, std::memory_order_release);
  if (writer_.joinable()) writer_.join();
  // Whatever was pushed before Stop() (and after the writer's last pass) still goes out.
  while (drain_once() > 0) {
  }
  for (auto& sink : sinks_) {
    if (!sink->close().ok()) sink_errors_.fetch_add(1, std::memory_order_relaxed);
  }
  sinks_.clear();
}

uint64_t AuditLog::dropped() const {
  uint64_t total = 0;
  const size_t n = producer_count_.load(std::memory_order_acquire);
  for (size_t i = 0; i < n; ++i) total += producers_[i]->dropped();
  return total;
}

size_t AuditLog::drain_once() {
  const size_t n = producer_count_.load(std::memory_order_acquire);
  size_t handled = 0;
  for (size_t i = 0; i < n; ++i) {
    auto& ring = producers_[i]->ring_;
    for (size_t k = 0; k < kBatchPerRing; ++k) {
      bool decoded = true;
      const bool got = ring.consume_one([&](std::span<const uint8_t> bytes) {
        decoded = DecodeAuditRecord(bytes, entry_);
        if (!decoded) {  // cannot happen: the producer encoded it
          sink_errors_.fetch_add(1, std::memory_order_relaxed);
          return;
        }
        line_.clear();
        AppendAuditJsonLine(line_, entry_);
        for (auto& sink : sinks_) {
          if (!sink->append(entry_, line_).ok()) {
            sink_errors_.fetch_add(1, std::memory_order_relaxed);
          }
        }
      });
      if (!got) break;
      if (decoded) ++handled;
    }
  }
  if (handled > 0) {
    written_.fetch_add(handled, std::memory_order_relaxed);
    for (auto& sink : sinks_) {
      if (!sink->flush().ok()) sink_errors_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  return handled;
}

void AuditLog::run() {
  // Poll with exponential backoff (1 ms .. kMaxIdleSleep): producers never make a syscall to
  // wake us, so the request path stays a memcpy plus one release store.
  auto sleep = std::chrono::milliseconds(1);
  while (running_.load(std::memory_order_acquire)) {
    if (drain_once() > 0) {
      sleep = std::chrono::milliseconds(1);
      continue;
    }
    std::this_thread::sleep_for(sleep);
    sleep = std::min(sleep * 2, kMaxIdleSleep);
  }
}

}  // namespace flashstor::obs
