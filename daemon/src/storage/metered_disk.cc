// MeteredDisk: forwards every call to the wrapped drive and counts bytes, operations and
// unexpected failures.
#include "flashstor/storage/metered_disk.h"

namespace flashstor::storage {
namespace {

// Answers the engine expects in normal operation are not drive errors.
bool IsDriveError(const Status& s) {
  switch (s.code()) {
    case Code::kOk:
    case Code::kFileNotFound:
    case Code::kVolumeNotFound:
    case Code::kVolumeExists:
    case Code::kVolumeNotEmpty:
    case Code::kAlreadyExists:
    case Code::kNotFound:
      return false;
    default:
      return true;
  }
}

Status Count(DriveCounters& c, Status s) {
  c.operations.fetch_add(1, std::memory_order_relaxed);
  if (IsDriveError(s)) c.errors.fetch_add(1, std::memory_order_relaxed);
  return s;
}

template <typename T>
Result<T> Count(DriveCounters& c, Result<T> r) {
  c.operations.fetch_add(1, std::memory_order_relaxed);
  if (!r && IsDriveError(r.error())) c.errors.fetch_add(1, std::memory_order_relaxed);
  return r;
}

// A non-blocking attempt counts as an operation only when it answered (a would-block did no
// work on the drive; the blocking call made instead counts).
template <typename T>
Result<T> CountCached(DriveCounters& c, Result<T> r) {
  if (!r && r.error() == Code::kWouldBlock) return r;
  return Count(c, std::move(r));
}

class MeteredWriter final : public FileWriter {
 public:
  MeteredWriter(std::unique_ptr<FileWriter> inner, std::shared_ptr<DriveCounters> c)
      : inner_(std::move(inner)), c_(std::move(c)) {}
  Status write(std::span<const uint8_t> data) override {
    Status s = inner_->write(data);
    if (s.ok()) c_->bytes_written.fetch_add(data.size(), std::memory_order_relaxed);
    return Count(*c_, s);
  }
  Status write_in_place(std::span<uint8_t> buf, size_t room) override {
    Status s = inner_->write_in_place(buf, room);
    if (s.ok()) c_->bytes_written.fetch_add(buf.size() - room, std::memory_order_relaxed);
    return Count(*c_, s);
  }
  Status close() override { return Count(*c_, inner_->close()); }

 private:
  std::unique_ptr<FileWriter> inner_;
  std::shared_ptr<DriveCounters> c_;
};

class MeteredReader final : public FileReader {
 public:
  MeteredReader(std::unique_ptr<FileReader> inner, std::shared_ptr<DriveCounters> c)
      : inner_(std::move(inner)), c_(std::move(c)) {}
  uint64_t size() const override { return inner_->size(); }
  Result<size_t> read_at(std::span<uint8_t> out, uint64_t offset) override {
    Result<size_t> n = inner_->read_at(out, offset);
    if (n) c_->bytes_read.fetch_add(*n, std::memory_order_relaxed);
    return Count(*c_, std::move(n));
  }
  Result<size_t> read_at_cached(std::span<uint8_t> out, uint64_t offset) override {
    Result<size_t> n = inner_->read_at_cached(out, offset);
    if (n) c_->bytes_read.fetch_add(*n, std::memory_order_relaxed);
    return CountCached(*c_, std::move(n));
  }

 private:
  std::unique_ptr<FileReader> inner_;
  std::shared_ptr<DriveCounters> c_;
};

}  // namespace

Result<DiskInfo> MeteredDisk::disk_info() {
  return Count(*counters_, inner_->disk_info());
}
Status MeteredDisk::make_volume(std::string_view v) {
  return Count(*counters_, inner_->make_volume(v));
}
Result<std::vector<VolumeInfo>> MeteredDisk::list_volumes() {
  return Count(*counters_, inner_->list_volumes());
}
Result<VolumeInfo> MeteredDisk::stat_volume(std::string_view v) {
  return Count(*counters_, inner_->stat_volume(v));
}
Status MeteredDisk::delete_volume(std::string_view v, bool force) {
  return Count(*counters_, inner_->delete_volume(v, force));
}

Result<std::string> MeteredDisk::read_all(std::string_view v, std::string_view k,
                                          std::string_view f) {
  Result<std::string> r = inner_->read_all(v, k, f);
  if (r) counters_->bytes_read.fetch_add(r->size(), std::memory_order_relaxed);
  return Count(*counters_, std::move(r));
}

Status MeteredDisk::write_all(std::string_view v, std::string_view k, std::string_view f,
                              std::string_view data) {
  Status s = inner_->write_all(v, k, f, data);
  if (s.ok()) counters_->bytes_written.fetch_add(data.size(), std::memory_order_relaxed);
  return Count(*counters_, s);
}

Result<std::unique_ptr<FileWriter>> MeteredDisk::create_file(std::string_view v, std::string_view k,
                                                             std::string_view f) {
  auto w = Count(*counters_, inner_->create_file(v, k, f));
  if (!w) return w;
  return std::unique_ptr<FileWriter>(std::make_unique<MeteredWriter>(std::move(*w), counters_));
}

Result<std::unique_ptr<FileReader>> MeteredDisk::open_file(std::string_view v, std::string_view k,
                                                           std::string_view f) {
  auto r = Count(*counters_, inner_->open_file(v, k, f));
  if (!r) return r;
  return std::unique_ptr<FileReader>(std::make_unique<MeteredReader>(std::move(*r), counters_));
}

Result<SharedBytes> MeteredDisk::read_all_cached(std::string_view v, std::string_view k,
                                                 std::string_view f) {
  Result<SharedBytes> r = inner_->read_all_cached(v, k, f);
  if (r) counters_->bytes_read.fetch_add((*r)->size(), std::memory_order_relaxed);
  return CountCached(*counters_, std::move(r));
}

Result<std::unique_ptr<FileReader>> MeteredDisk::open_file_cached(std::string_view v,
                                                                  std::string_view k,
                                                                  std::string_view f) {
  auto r = CountCached(*counters_, inner_->open_file_cached(v, k, f));
  if (!r) return r;
  return std::unique_ptr<FileReader>(std::make_unique<MeteredReader>(std::move(*r), counters_));
}

Status MeteredDisk::rename(std::string_view sv, std::string_view sk, std::string_view sf,
                           std::string_view dv, std::string_view dk, std::string_view df) {
  return Count(*counters_, inner_->rename(sv, sk, sf, dv, dk, df));
}

Status MeteredDisk::link_files(std::string_view sv, std::string_view sk, std::string_view sd,
                               std::string_view dv, std::string_view dk, std::string_view dd,
                               std::span<const std::string> names) {
  return Count(*counters_, inner_->link_files(sv, sk, sd, dv, dk, dd, names));
}

Status MeteredDisk::delete_path(std::string_view v, std::string_view k, std::string_view f,
                                bool recursive) {
  return Count(*counters_, inner_->delete_path(v, k, f, recursive));
}

Result<FileStat> MeteredDisk::stat(std::string_view v, std::string_view k, std::string_view f) {
  return Count(*counters_, inner_->stat(v, k, f));
}

Result<std::vector<std::string>> MeteredDisk::list_dir(std::string_view v, std::string_view k,
                                                       std::string_view f, size_t limit) {
  return Count(*counters_, inner_->list_dir(v, k, f, limit));
}

Result<std::unique_ptr<Walker>> MeteredDisk::walk(std::string_view v, const WalkOptions& o) {
  return Count(*counters_, inner_->walk(v, o));
}

Status MeteredDisk::trash_data_dir(std::string_view v, std::string_view k, std::string_view dir) {
  return Count(*counters_, inner_->trash_data_dir(v, k, dir));
}

Result<size_t> MeteredDisk::collect_trash(int64_t older_than_ns, size_t max_entries) {
  return Count(*counters_, inner_->collect_trash(older_than_ns, max_entries));
}

// One call each, however many file operations the drive makes for it.
Result<CommitReceipt> MeteredDisk::commit_version(const VersionCommit& c) {
  return Count(*counters_, inner_->commit_version(c));
}
Status MeteredDisk::finish_commit(const VersionCommit& c, const CommitReceipt& r) {
  return Count(*counters_, inner_->finish_commit(c, r));
}
Status MeteredDisk::undo_commit(const VersionCommit& c, const CommitReceipt& r) {
  return Count(*counters_, inner_->undo_commit(c, r));
}
Result<bool> MeteredDisk::delete_key(std::string_view volume, std::string_view key) {
  return Count(*counters_, inner_->delete_key(volume, key));
}

}  // namespace flashstor::storage
