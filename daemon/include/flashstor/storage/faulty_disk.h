// FaultyDisk: a fault-injecting StorageApi decorator for tests (MinIO's naughty disk). Per
// kind of call it answers an error, adds latency, hangs until released, or runs a hook, for
// every call or for a window of calls (after the first N, this many times).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "flashstor/storage/drive_call.h"
#include "flashstor/storage/storage_api.h"

namespace flashstor::storage {

// What to do to one kind of call. Built by chaining, so a test reads as a sentence:
// FaultRule::Fail(Code::kDiskFull).on_file("%m.json").skipping(1).
struct FaultRule {
  Code error = Code::kOk;              // the injected answer; kOk: none (latency, hang, hook)
  std::chrono::milliseconds delay{0};  // latency added before the call
  bool hang = false;                   // block until release_hangs() (or destruction)
  bool after_call = false;             // make the real call, then answer error anyway
  std::string file;                    // only calls on this internal file name ("": any)
  int skip = 0;                        // the first `skip` matching calls pass untouched
  int times = -1;                      // then this many are affected (-1: all of them)
  int64_t from_offset = -1;            // kReadAt: reads at or past it; kWrite: writes that
                                       // take the file past this many bytes (-1: any)
  std::function<void()> hook;          // runs after the real call (or instead of it)

  static FaultRule Fail(Code code) { return FaultRule().failing(code); }
  static FaultRule Hang() {
    FaultRule r;
    r.hang = true;
    return r;
  }
  static FaultRule Delay(std::chrono::milliseconds d) { return FaultRule().delayed(d); }
  static FaultRule Hook(std::function<void()> fn) { return FaultRule().with_hook(std::move(fn)); }

  FaultRule failing(Code code) const { return With(&FaultRule::error, code); }
  FaultRule delayed(std::chrono::milliseconds d) const { return With(&FaultRule::delay, d); }
  FaultRule after_real_call() const { return With(&FaultRule::after_call, true); }
  FaultRule on_file(std::string_view name) const {
    return With(&FaultRule::file, std::string(name));
  }
  FaultRule skipping(int n) const { return With(&FaultRule::skip, n); }
  FaultRule limit(int n) const { return With(&FaultRule::times, n); }
  FaultRule from(int64_t offset) const { return With(&FaultRule::from_offset, offset); }
  FaultRule with_hook(std::function<void()> fn) const {
    return With(&FaultRule::hook, std::move(fn));
  }

 private:
  template <typename T, typename V>
  FaultRule With(T FaultRule::*field, V value) const {
    FaultRule r = *this;
    r.*field = std::move(value);
    return r;
  }
};

class FaultyDisk final : public StorageApi {
 public:
  explicit FaultyDisk(std::shared_ptr<StorageApi> inner);
  ~FaultyDisk() override;  // releases hung calls

  // Thread-safe; a rule applies to calls that start after it is set.
  void set(DriveCall call, FaultRule rule);
  void clear(DriveCall call);
  void clear_all();
  // Wakes every hung call; hang rules are ignored from then on (tests call it before joining).
  void release_hangs();
  int hung_now() const;  // calls blocked in a hang right now
  // Waits until at least n calls hang; false after timeout.
  bool wait_hung(int n, std::chrono::milliseconds timeout) const;
  uint64_t calls(DriveCall call) const;     // calls made (injected or not)
  uint64_t injected(DriveCall call) const;  // calls a rule affected
  // Metadata bytes the walkers it handed out returned (WalkEntry::metadata), all walks.
  uint64_t walked_metadata_bytes() const;

  const std::string& endpoint() const override { return inner_->endpoint(); }
  Result<DiskInfo> disk_info() override;
  Status make_volume(std::string_view volume) override;
  Result<std::vector<VolumeInfo>> list_volumes() override;
  Result<VolumeInfo> stat_volume(std::string_view volume) override;
  Status delete_volume(std::string_view volume, bool force) override;
  Result<std::string> read_all(std::string_view volume, std::string_view key,
                               std::string_view file) override;
  Status write_all(std::string_view volume, std::string_view key, std::string_view file,
                   std::string_view data) override;
  Result<std::unique_ptr<FileWriter>> create_file(std::string_view volume, std::string_view key,
                                                  std::string_view file) override;
  Result<std::unique_ptr<FileReader>> open_file(std::string_view volume, std::string_view key,
                                                std::string_view file) override;
  Result<SharedBytes> read_all_cached(std::string_view volume, std::string_view key,
                                      std::string_view file) override;
  Result<std::unique_ptr<FileReader>> open_file_cached(std::string_view volume,
                                                       std::string_view key,
                                                       std::string_view file) override;
  Status rename(std::string_view src_volume, std::string_view src_key, std::string_view src_file,
                std::string_view dst_volume, std::string_view dst_key,
                std::string_view dst_file) override;
  Status link_files(std::string_view src_volume, std::string_view src_key, std::string_view src_dir,
                    std::string_view dst_volume, std::string_view dst_key, std::string_view dst_dir,
                    std::span<const std::string> names) override;
  Status delete_path(std::string_view volume, std::string_view key, std::string_view file,
                     bool recursive) override;
  Result<FileStat> stat(std::string_view volume, std::string_view key,
                        std::string_view file) override;
  Result<std::vector<std::string>> list_dir(std::string_view volume, std::string_view key,
                                            std::string_view file, size_t limit) override;
  Status trash_data_dir(std::string_view volume, std::string_view key,
                        std::string_view data_dir) override;
  Result<size_t> collect_trash(int64_t older_than_ns, size_t max_entries) override;
  Result<CommitReceipt> commit_version(const VersionCommit& commit) override;
  Status finish_commit(const VersionCommit& commit, const CommitReceipt& receipt) override;
  Status undo_commit(const VersionCommit& commit, const CommitReceipt& receipt) override;
  Result<bool> delete_key(std::string_view volume, std::string_view key) override;
  Result<std::unique_ptr<Walker>> walk(std::string_view volume,
                                       const WalkOptions& options) override;

  class Rules;  // the shared rule table (also used by the writer/reader/walker wrappers)

 private:
  std::shared_ptr<StorageApi> inner_;
  std::shared_ptr<Rules> rules_;
};

}  // namespace flashstor::storage
