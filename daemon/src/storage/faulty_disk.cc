// FaultyDisk: looks up the rule of each call under one mutex, then injects latency, a hang,
// an error or a hook around the forwarded call. Writers, readers and walkers it hands out
// share the rule table, so rules set later apply to files opened earlier.
#include "flashstor/storage/faulty_disk.h"

#include <array>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

namespace flashstor::storage {

namespace {

struct Effect {
  bool active = false;
  Code error = Code::kOk;
  std::chrono::milliseconds delay{0};
  bool hang = false;
  bool after_call = false;
  std::function<void()> hook;
};

template <typename R>
R Injected(Code code) {
  Status s(code, "injected fault");
  if constexpr (std::is_same_v<R, Status>) {
    return s;
  } else {
    return std::unexpected(s);
  }
}

}  // namespace

class FaultyDisk::Rules {
 public:
  void set(DriveCall c, FaultRule rule) {
    std::lock_guard<std::mutex> lock(mu_);
    rules_[Index(c)] = std::move(rule);
  }
  void clear(DriveCall c) {
    std::lock_guard<std::mutex> lock(mu_);
    rules_[Index(c)].reset();
  }
  void clear_all() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& r : rules_) r.reset();
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  int hung() const {
    std::lock_guard<std::mutex> lock(mu_);
    return hung_;
  }
  bool wait_hung(int n, std::chrono::milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return hung_ >= n; });
  }
  uint64_t calls(DriveCall c) const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_[Index(c)];
  }
  uint64_t injected(DriveCall c) const {
    std::lock_guard<std::mutex> lock(mu_);
    return injected_[Index(c)];
  }
  std::atomic<uint64_t> walked_metadata_bytes{0};

  // offset: the read offset (kReadAt) or the file's size after the write (kWrite).
  Effect decide(DriveCall c, std::string_view file, int64_t offset) {
    std::lock_guard<std::mutex> lock(mu_);
    ++calls_[Index(c)];
    std::optional<FaultRule>& slot = rules_[Index(c)];
    if (!slot) return {};
    FaultRule& r = *slot;
    if (!r.file.empty() && r.file != file) return {};
    if (r.from_offset >= 0) {
      bool hit = c == DriveCall::kWrite ? offset > r.from_offset : offset >= r.from_offset;
      if (!hit) return {};
    }
    if (r.skip > 0) {
      --r.skip;
      return {};
    }
    if (r.times == 0) return {};
    if (r.times > 0) --r.times;
    ++injected_[Index(c)];
    return {true, r.error, r.delay, r.hang && !released_, r.after_call, r.hook};
  }

  void wait(const Effect& e) {
    if (e.delay.count() > 0) std::this_thread::sleep_for(e.delay);
    if (!e.hang) return;
    std::unique_lock<std::mutex> lock(mu_);
    ++hung_;
    cv_.notify_all();  // wait_hung
    cv_.wait(lock, [this] { return released_; });
    --hung_;
  }

  // A non-blocking attempt (StorageApi::read_all_cached): a call of kind c that a rule may
  // still affect says kWouldBlock, so the rule meets the blocking call made instead (which
  // counts it, consumes it and may hang); an answered attempt counts as a call.
  template <typename F>
  auto run_cached(DriveCall c, std::string_view file, F&& call) -> decltype(call()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      const std::optional<FaultRule>& slot = rules_[Index(c)];
      if (slot && slot->times != 0 && (slot->file.empty() || slot->file == file)) {
        return std::unexpected(Status(Code::kWouldBlock, "a fault rule applies"));
      }
    }
    auto out = call();
    if (out || out.error() != Code::kWouldBlock) {
      std::lock_guard<std::mutex> lock(mu_);
      ++calls_[Index(c)];
    }
    return out;
  }

  // Runs call() with the effect of the rule for (c, file, offset).
  template <typename F>
  auto run(DriveCall c, std::string_view file, F&& call, int64_t offset = -1) -> decltype(call()) {
    using R = decltype(call());
    Effect e = decide(c, file, offset);
    if (!e.active) return call();
    wait(e);
    if (e.error != Code::kOk && !e.after_call) {
      if (e.hook) e.hook();
      return Injected<R>(e.error);
    }
    R out = call();
    if (e.hook) e.hook();
    if (e.error != Code::kOk) return Injected<R>(e.error);
    return out;
  }

 private:
  static size_t Index(DriveCall c) { return static_cast<size_t>(c); }

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::array<std::optional<FaultRule>, kDriveCallCount> rules_;
  std::array<uint64_t, kDriveCallCount> calls_{};
  std::array<uint64_t, kDriveCallCount> injected_{};
  int hung_ = 0;
  bool released_ = false;
};

namespace {

class FaultyWriter final : public FileWriter {
 public:
  FaultyWriter(std::unique_ptr<FileWriter> inner, std::shared_ptr<FaultyDisk::Rules> rules,
               std::string file)
      : inner_(std::move(inner)), rules_(std::move(rules)), file_(std::move(file)) {}
  Status write(std::span<const uint8_t> data) override {
    written_ += static_cast<int64_t>(data.size());
    return rules_->run(
        DriveCall::kWrite, file_, [&] { return inner_->write(data); }, written_);
  }
  Status write_in_place(std::span<uint8_t> buf, size_t room) override {
    written_ += static_cast<int64_t>(buf.size() - room);
    return rules_->run(
        DriveCall::kWrite, file_, [&] { return inner_->write_in_place(buf, room); }, written_);
  }
  Status close() override {
    return rules_->run(DriveCall::kClose, file_, [&] { return inner_->close(); });
  }

 private:
  std::unique_ptr<FileWriter> inner_;
  std::shared_ptr<FaultyDisk::Rules> rules_;
  std::string file_;
  int64_t written_ = 0;
};

class FaultyReader final : public FileReader {
 public:
  FaultyReader(std::unique_ptr<FileReader> inner, std::shared_ptr<FaultyDisk::Rules> rules,
               std::string file)
      : inner_(std::move(inner)), rules_(std::move(rules)), file_(std::move(file)) {}
  uint64_t size() const override { return inner_->size(); }
  Result<size_t> read_at(std::span<uint8_t> out, uint64_t offset) override {
    return rules_->run(
        DriveCall::kReadAt, file_, [&] { return inner_->read_at(out, offset); },
        static_cast<int64_t>(offset));
  }
  Result<size_t> read_at_cached(std::span<uint8_t> out, uint64_t offset) override {
    return rules_->run_cached(DriveCall::kReadAt, file_,
                              [&] { return inner_->read_at_cached(out, offset); });
  }

 private:
  std::unique_ptr<FileReader> inner_;
  std::shared_ptr<FaultyDisk::Rules> rules_;
  std::string file_;
};

class FaultyWalker final : public Walker {
 public:
  FaultyWalker(std::unique_ptr<Walker> inner, std::shared_ptr<FaultyDisk::Rules> rules)
      : inner_(std::move(inner)), rules_(std::move(rules)) {}
  Result<bool> next(WalkEntry& entry) override {
    Result<bool> more = rules_->run(DriveCall::kWalkNext, "", [&] { return inner_->next(entry); });
    if (more && *more) {
      rules_->walked_metadata_bytes.fetch_add(entry.metadata.size(), std::memory_order_relaxed);
    }
    return more;
  }

 private:
  std::unique_ptr<Walker> inner_;
  std::shared_ptr<FaultyDisk::Rules> rules_;
};

}  // namespace

FaultyDisk::FaultyDisk(std::shared_ptr<StorageApi> inner)
    : inner_(std::move(inner)), rules_(std::make_shared<Rules>()) {}

FaultyDisk::~FaultyDisk() {
  rules_->release();
}

void FaultyDisk::set(DriveCall call, FaultRule rule) {
  rules_->set(call, std::move(rule));
}
void FaultyDisk::clear(DriveCall call) {
  rules_->clear(call);
}
void FaultyDisk::clear_all() {
  rules_->clear_all();
}
void FaultyDisk::release_hangs() {
  rules_->release();
}
int FaultyDisk::hung_now() const {
  return rules_->hung();
}
bool FaultyDisk::wait_hung(int n, std::chrono::milliseconds timeout) const {
  return rules_->wait_hung(n, timeout);
}
uint64_t FaultyDisk::calls(DriveCall call) const {
  return rules_->calls(call);
}
uint64_t FaultyDisk::walked_metadata_bytes() const {
  return rules_->walked_metadata_bytes.load(std::memory_order_relaxed);
}
uint64_t FaultyDisk::injected(DriveCall call) const {
  return rules_->injected(call);
}

Result<DiskInfo> FaultyDisk::disk_info() {
  return rules_->run(DriveCall::kDiskInfo, "", [&] { return inner_->disk_info(); });
}
Status FaultyDisk::make_volume(std::string_view v) {
  return rules_->run(DriveCall::kMakeVolume, "", [&] { return inner_->make_volume(v); });
}
Result<std::vector<VolumeInfo>> FaultyDisk::list_volumes() {
  return rules_->run(DriveCall::kListVolumes, "", [&] { return inner_->list_volumes(); });
}
Result<VolumeInfo> FaultyDisk::stat_volume(std::string_view v) {
  return rules_->run(DriveCall::kStatVolume, "", [&] { return inner_->stat_volume(v); });
}
Status FaultyDisk::delete_volume(std::string_view v, bool force) {
  return rules_->run(DriveCall::kDeleteVolume, "", [&] { return inner_->delete_volume(v, force); });
}
Result<std::string> FaultyDisk::read_all(std::string_view v, std::string_view k,
                                         std::string_view f) {
  return rules_->run(DriveCall::kReadAll, f, [&] { return inner_->read_all(v, k, f); });
}
Status FaultyDisk::write_all(std::string_view v, std::string_view k, std::string_view f,
                             std::string_view data) {
  return rules_->run(DriveCall::kWriteAll, f, [&] { return inner_->write_all(v, k, f, data); });
}

Result<std::unique_ptr<FileWriter>> FaultyDisk::create_file(std::string_view v, std::string_view k,
                                                            std::string_view f) {
  auto w = rules_->run(DriveCall::kCreateFile, f, [&] { return inner_->create_file(v, k, f); });
  if (!w) return w;
  return std::unique_ptr<FileWriter>(
      std::make_unique<FaultyWriter>(std::move(*w), rules_, std::string(f)));
}

Result<std::unique_ptr<FileReader>> FaultyDisk::open_file(std::string_view v, std::string_view k,
                                                          std::string_view f) {
  auto r = rules_->run(DriveCall::kOpenFile, f, [&] { return inner_->open_file(v, k, f); });
  if (!r) return r;
  return std::unique_ptr<FileReader>(
      std::make_unique<FaultyReader>(std::move(*r), rules_, std::string(f)));
}

Result<SharedBytes> FaultyDisk::read_all_cached(std::string_view v, std::string_view k,
                                                std::string_view f) {
  return rules_->run_cached(DriveCall::kReadAll, f,
                            [&] { return inner_->read_all_cached(v, k, f); });
}

Result<std::unique_ptr<FileReader>> FaultyDisk::open_file_cached(std::string_view v,
                                                                 std::string_view k,
                                                                 std::string_view f) {
  auto r = rules_->run_cached(DriveCall::kOpenFile, f,
                              [&] { return inner_->open_file_cached(v, k, f); });
  if (!r) return r;
  return std::unique_ptr<FileReader>(
      std::make_unique<FaultyReader>(std::move(*r), rules_, std::string(f)));
}

Status FaultyDisk::rename(std::string_view sv, std::string_view sk, std::string_view sf,
                          std::string_view dv, std::string_view dk, std::string_view df) {
  return rules_->run(DriveCall::kRename, sf,
                     [&] { return inner_->rename(sv, sk, sf, dv, dk, df); });
}

Status FaultyDisk::link_files(std::string_view sv, std::string_view sk, std::string_view sd,
                              std::string_view dv, std::string_view dk, std::string_view dd,
                              std::span<const std::string> names) {
  return rules_->run(DriveCall::kLinkFiles, sd,
                     [&] { return inner_->link_files(sv, sk, sd, dv, dk, dd, names); });
}

Status FaultyDisk::delete_path(std::string_view v, std::string_view k, std::string_view f,
                               bool recursive) {
  return rules_->run(DriveCall::kDeletePath, f,
                     [&] { return inner_->delete_path(v, k, f, recursive); });
}

Result<FileStat> FaultyDisk::stat(std::string_view v, std::string_view k, std::string_view f) {
  return rules_->run(DriveCall::kStat, f, [&] { return inner_->stat(v, k, f); });
}

Result<std::vector<std::string>> FaultyDisk::list_dir(std::string_view v, std::string_view k,
                                                      std::string_view f, size_t limit) {
  return rules_->run(DriveCall::kListDir, f, [&] { return inner_->list_dir(v, k, f, limit); });
}

Result<std::unique_ptr<Walker>> FaultyDisk::walk(std::string_view v, const WalkOptions& o) {
  auto w = rules_->run(DriveCall::kWalk, "", [&] { return inner_->walk(v, o); });
  if (!w) return w;
  return std::unique_ptr<Walker>(std::make_unique<FaultyWalker>(std::move(*w), rules_));
}

Status FaultyDisk::trash_data_dir(std::string_view v, std::string_view k, std::string_view dir) {
  return rules_->run(DriveCall::kTrashDataDir, dir,
                     [&] { return inner_->trash_data_dir(v, k, dir); });
}

Result<size_t> FaultyDisk::collect_trash(int64_t older_than_ns, size_t max_entries) {
  return rules_->run(DriveCall::kCollectTrash, "",
                     [&] { return inner_->collect_trash(older_than_ns, max_entries); });
}

// A rule can hit the version-level call as a whole; inside it, the drive's own calls go
// through this decorator one by one (StorageApi's default), so rules on rename or write_all
// still fail a commit half-way, as a drive failing mid-commit would.
Result<CommitReceipt> FaultyDisk::commit_version(const VersionCommit& c) {
  return rules_->run(DriveCall::kCommitVersion, kMetaFile,
                     [&] { return StorageApi::commit_version(c); });
}
Status FaultyDisk::finish_commit(const VersionCommit& c, const CommitReceipt& r) {
  return rules_->run(DriveCall::kFinishCommit, kMetaFile,
                     [&] { return StorageApi::finish_commit(c, r); });
}
Status FaultyDisk::undo_commit(const VersionCommit& c, const CommitReceipt& r) {
  return rules_->run(DriveCall::kUndoCommit, kMetaFile,
                     [&] { return StorageApi::undo_commit(c, r); });
}
Result<bool> FaultyDisk::delete_key(std::string_view volume, std::string_view key) {
  return rules_->run(DriveCall::kDeleteKey, kMetaFile,
                     [&] { return StorageApi::delete_key(volume, key); });
}

}  // namespace flashstor::storage
