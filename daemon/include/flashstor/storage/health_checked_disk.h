// HealthCheckedDisk: the drive-health decorator. Tracks latency per kind of call, takes the
// drive offline when a call runs past its deadline or the drive vanishes (later calls fail
// fast with kDiskNotFound), and probes it back online or reconnects it in the background.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "flashstor/storage/drive_call.h"
#include "flashstor/storage/storage_api.h"

namespace flashstor::storage {

struct HealthOptions {
  // A call older than its deadline takes the drive offline. A blocked syscall cannot be
  // interrupted: the call itself returns when the device answers; new calls fail fast.
  std::chrono::milliseconds data_deadline{30'000};  // IsDataCall kinds
  std::chrono::milliseconds meta_deadline{5'000};   // the others
  std::chrono::milliseconds probe_interval{5'000};  // offline drive: probe / reconnect
};

// A fresh connection to the drive: reopened and its format record checked (the engine
// supplies this; format.h's AdoptDrive). reformatted: an empty replacement drive was
// formatted into the slot and must be healed.
struct Reconnected {
  std::shared_ptr<StorageApi> drive;
  bool reformatted = false;
};
using Reconnector = std::function<Result<Reconnected>()>;

struct CallLatency {
  double avg_seconds = 0;  // moving average (1/8 weight per sample)
  double max_seconds = 0;  // largest in the last one to two minutes
  uint64_t calls = 0;
};

class HealthCheckedDisk final : public StorageApi {
 public:
  // inner null: the drive is offline (at start-up) until reconnect succeeds. Starts the
  // drive's monitor thread (watchdog ticks and probes).
  HealthCheckedDisk(std::string endpoint, std::shared_ptr<StorageApi> inner,
                    const HealthOptions& options, Reconnector reconnect = {});
  // Stops and joins the monitor thread; waits for a probe in progress (a hung device
  // delays this until it answers).
  ~HealthCheckedDisk() override;
  HealthCheckedDisk(const HealthCheckedDisk&) = delete;
  HealthCheckedDisk& operator=(const HealthCheckedDisk&) = delete;

  bool online() const;
  uint64_t offline_events() const;  // times the drive went offline
  uint64_t timeouts() const;        // calls that ran past their deadline
  CallLatency latency(DriveCall call) const;
  // Runs on the monitor thread whenever the drive comes back (reformatted: see Reconnected),
  // just before it takes calls again.
  void set_on_online(std::function<void(bool reformatted)> fn);

  const std::string& endpoint() const override;
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

  class Health;  // state shared with the file wrappers and the monitor thread

 private:
  std::shared_ptr<Health> health_;
};

}  // namespace flashstor::storage
