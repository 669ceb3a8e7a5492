// HealthCheckedDisk: forwards each call through the drive's Health (registered in flight,
// timed, failing fast with kDiskNotFound while the drive is offline). Writers, readers and
// walkers it hands out are checked the same way for their own calls.
#include "flashstor/storage/health_checked_disk.h"

#include <type_traits>

#include "drive_health.h"

namespace flashstor::storage {
namespace {

using Health = HealthCheckedDisk::Health;
using Drive = std::shared_ptr<StorageApi>;

template <typename R>
R Offline() {
  Status s(Code::kDiskNotFound, "drive offline");
  if constexpr (std::is_same_v<R, Status>) {
    return s;
  } else {
    return std::unexpected(s);
  }
}

inline const Status& StatusOf(const Status& s) {
  return s;
}
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r ? Status::Ok() : r.error();
}

// Runs fn(drive) as one registered call of kind.
template <typename F>
auto Checked(Health& h, DriveCall kind, F&& fn) -> decltype(fn(std::declval<const Drive&>())) {
  using R = decltype(fn(std::declval<const Drive&>()));
  Health::InFlight call;
  std::shared_ptr<StorageApi> drive = h.enter(call, kind);
  if (drive == nullptr) return Offline<R>();
  R r = fn(drive);
  h.leave(call, StatusOf(r));
  return r;
}

class CheckedWriter final : public FileWriter {
 public:
  CheckedWriter(std::unique_ptr<FileWriter> inner, std::shared_ptr<Health> h, Drive drive)
      : drive_(std::move(drive)), inner_(std::move(inner)), h_(std::move(h)) {}
  Status write(std::span<const uint8_t> data) override {
    return Checked(*h_, DriveCall::kWrite, [&](const Drive&) { return inner_->write(data); });
  }
  Status write_in_place(std::span<uint8_t> buf, size_t room) override {
    return Checked(*h_, DriveCall::kWrite,
                   [&](const Drive&) { return inner_->write_in_place(buf, room); });
  }
  Status close() override {
    return Checked(*h_, DriveCall::kClose, [&](const Drive&) { return inner_->close(); });
  }

 private:
  Drive drive_;  // the connection inner_ came from: outlives it across a reconnect
  std::unique_ptr<FileWriter> inner_;
  std::shared_ptr<Health> h_;
};

class CheckedReader final : public FileReader {
 public:
  CheckedReader(std::unique_ptr<FileReader> inner, std::shared_ptr<Health> h, Drive drive)
      : drive_(std::move(drive)), inner_(std::move(inner)), h_(std::move(h)) {}
  uint64_t size() const override { return inner_->size(); }
  Result<size_t> read_at(std::span<uint8_t> out, uint64_t offset) override {
    return Checked(*h_, DriveCall::kReadAt,
                   [&](const Drive&) { return inner_->read_at(out, offset); });
  }
  Result<size_t> read_at_cached(std::span<uint8_t> out, uint64_t offset) override {
    return Checked(*h_, DriveCall::kReadAt,
                   [&](const Drive&) { return inner_->read_at_cached(out, offset); });
  }

 private:
  Drive drive_;  // the connection inner_ came from: outlives it across a reconnect
  std::unique_ptr<FileReader> inner_;
  std::shared_ptr<Health> h_;
};

class CheckedWalker final : public Walker {
 public:
  CheckedWalker(std::unique_ptr<Walker> inner, std::shared_ptr<Health> h, Drive drive)
      : drive_(std::move(drive)), inner_(std::move(inner)), h_(std::move(h)) {}
  Result<bool> next(WalkEntry& entry) override {
    return Checked(*h_, DriveCall::kWalkNext, [&](const Drive&) { return inner_->next(entry); });
  }

 private:
  Drive drive_;  // the connection inner_ came from: outlives it across a reconnect
  std::unique_ptr<Walker> inner_;
  std::shared_ptr<Health> h_;
};

}  // namespace

HealthCheckedDisk::HealthCheckedDisk(std::string endpoint, std::shared_ptr<StorageApi> inner,
                                     const HealthOptions& options, Reconnector reconnect)
    : health_(std::make_shared<Health>(std::move(endpoint), std::move(inner), options,
                                       std::move(reconnect))) {
  health_->start_monitor();
}

HealthCheckedDisk::~HealthCheckedDisk() {
  health_->stop_monitor();
}

bool HealthCheckedDisk::online() const {
  return health_->online();
}
uint64_t HealthCheckedDisk::offline_events() const {
  return health_->offline_events();
}
uint64_t HealthCheckedDisk::timeouts() const {
  return health_->timeouts();
}
CallLatency HealthCheckedDisk::latency(DriveCall call) const {
  return health_->latency(call);
}
void HealthCheckedDisk::set_on_online(std::function<void(bool)> fn) {
  health_->set_on_online(std::move(fn));
}
const std::string& HealthCheckedDisk::endpoint() const {
  return health_->endpoint();
}

Result<DiskInfo> HealthCheckedDisk::disk_info() {
  return Checked(*health_, DriveCall::kDiskInfo, [](const Drive& d) { return d->disk_info(); });
}
Status HealthCheckedDisk::make_volume(std::string_view v) {
  return Checked(*health_, DriveCall::kMakeVolume,
                 [&](const Drive& d) { return d->make_volume(v); });
}
Result<std::vector<VolumeInfo>> HealthCheckedDisk::list_volumes() {
  return Checked(*health_, DriveCall::kListVolumes,
                 [](const Drive& d) { return d->list_volumes(); });
}
Result<VolumeInfo> HealthCheckedDisk::stat_volume(std::string_view v) {
  return Checked(*health_, DriveCall::kStatVolume,
                 [&](const Drive& d) { return d->stat_volume(v); });
}
Status HealthCheckedDisk::delete_volume(std::string_view v, bool force) {
  return Checked(*health_, DriveCall::kDeleteVolume,
                 [&](const Drive& d) { return d->delete_volume(v, force); });
}
Result<std::string> HealthCheckedDisk::read_all(std::string_view v, std::string_view k,
                                                std::string_view f) {
  return Checked(*health_, DriveCall::kReadAll,
                 [&](const Drive& d) { return d->read_all(v, k, f); });
}
Status HealthCheckedDisk::write_all(std::string_view v, std::string_view k, std::string_view f,
                                    std::string_view data) {
  return Checked(*health_, DriveCall::kWriteAll,
                 [&](const Drive& d) { return d->write_all(v, k, f, data); });
}

Result<std::unique_ptr<FileWriter>> HealthCheckedDisk::create_file(std::string_view v,
                                                                   std::string_view k,
                                                                   std::string_view f) {
  Drive from;
  auto w = Checked(*health_, DriveCall::kCreateFile, [&](const Drive& d) {
    from = d;
    return d->create_file(v, k, f);
  });
  if (!w) return w;
  return std::unique_ptr<FileWriter>(
      std::make_unique<CheckedWriter>(std::move(*w), health_, std::move(from)));
}

Result<std::unique_ptr<FileReader>> HealthCheckedDisk::open_file(std::string_view v,
                                                                 std::string_view k,
                                                                 std::string_view f) {
  Drive from;
  auto r = Checked(*health_, DriveCall::kOpenFile, [&](const Drive& d) {
    from = d;
    return d->open_file(v, k, f);
  });
  if (!r) return r;
  return std::unique_ptr<FileReader>(
      std::make_unique<CheckedReader>(std::move(*r), health_, std::move(from)));
}

Result<SharedBytes> HealthCheckedDisk::read_all_cached(std::string_view v, std::string_view k,
                                                       std::string_view f) {
  return Checked(*health_, DriveCall::kReadAll,
                 [&](const Drive& d) { return d->read_all_cached(v, k, f); });
}

Result<std::unique_ptr<FileReader>> HealthCheckedDisk::open_file_cached(std::string_view v,
                                                                        std::string_view k,
                                                                        std::string_view f) {
  Drive from;
  auto r = Checked(*health_, DriveCall::kOpenFile, [&](const Drive& d) {
    from = d;
    return d->open_file_cached(v, k, f);
  });
  if (!r) return r;
  return std::unique_ptr<FileReader>(
      std::make_unique<CheckedReader>(std::move(*r), health_, std::move(from)));
}

Status HealthCheckedDisk::rename(std::string_view sv, std::string_view sk, std::string_view sf,
                                 std::string_view dv, std::string_view dk, std::string_view df) {
  return Checked(*health_, DriveCall::kRename,
                 [&](const Drive& d) { return d->rename(sv, sk, sf, dv, dk, df); });
}

Status HealthCheckedDisk::link_files(std::string_view sv, std::string_view sk, std::string_view sd,
                                     std::string_view dv, std::string_view dk, std::string_view dd,
                                     std::span<const std::string> names) {
  return Checked(*health_, DriveCall::kLinkFiles,
                 [&](const Drive& d) { return d->link_files(sv, sk, sd, dv, dk, dd, names); });
}

Status HealthCheckedDisk::delete_path(std::string_view v, std::string_view k, std::string_view f,
                                      bool recursive) {
  return Checked(*health_, DriveCall::kDeletePath,
                 [&](const Drive& d) { return d->delete_path(v, k, f, recursive); });
}

Result<FileStat> HealthCheckedDisk::stat(std::string_view v, std::string_view k,
                                         std::string_view f) {
  return Checked(*health_, DriveCall::kStat, [&](const Drive& d) { return d->stat(v, k, f); });
}

Result<std::vector<std::string>> HealthCheckedDisk::list_dir(std::string_view v, std::string_view k,
                                                             std::string_view f, size_t limit) {
  return Checked(*health_, DriveCall::kListDir,
                 [&](const Drive& d) { return d->list_dir(v, k, f, limit); });
}

Result<std::unique_ptr<Walker>> HealthCheckedDisk::walk(std::string_view v, const WalkOptions& o) {
  Drive from;
  auto w = Checked(*health_, DriveCall::kWalk, [&](const Drive& d) {
    from = d;
    return d->walk(v, o);
  });
  if (!w) return w;
  return std::unique_ptr<Walker>(
      std::make_unique<CheckedWalker>(std::move(*w), health_, std::move(from)));
}

Status HealthCheckedDisk::trash_data_dir(std::string_view v, std::string_view k,
                                         std::string_view dir) {
  return Checked(*health_, DriveCall::kTrashDataDir,
                 [&](const Drive& d) { return d->trash_data_dir(v, k, dir); });
}

Result<size_t> HealthCheckedDisk::collect_trash(int64_t older_than_ns, size_t max_entries) {
  return Checked(*health_, DriveCall::kCollectTrash,
                 [&](const Drive& d) { return d->collect_trash(older_than_ns, max_entries); });
}

Result<CommitReceipt> HealthCheckedDisk::commit_version(const VersionCommit& c) {
  return Checked(*health_, DriveCall::kCommitVersion,
                 [&](const Drive& d) { return d->commit_version(c); });
}
Status HealthCheckedDisk::finish_commit(const VersionCommit& c, const CommitReceipt& r) {
  return Checked(*health_, DriveCall::kFinishCommit,
                 [&](const Drive& d) { return d->finish_commit(c, r); });
}
Status HealthCheckedDisk::undo_commit(const VersionCommit& c, const CommitReceipt& r) {
  return Checked(*health_, DriveCall::kUndoCommit,
                 [&](const Drive& d) { return d->undo_commit(c, r); });
}
Result<bool> HealthCheckedDisk::delete_key(std::string_view volume, std::string_view key) {
  return Checked(*health_, DriveCall::kDeleteKey,
                 [&](const Drive& d) { return d->delete_key(volume, key); });
}

}  // namespace flashstor::storage
