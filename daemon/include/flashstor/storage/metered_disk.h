// MeteredDisk: a StorageApi decorator that counts one drive's bytes read and written, its
// operations and its failures (the engine wraps every drive in one; obs exports the counts).
#pragma once

#include <atomic>
#include <memory>

#include "flashstor/storage/storage_api.h"

namespace flashstor::storage {

struct DriveCounters {
  std::atomic<uint64_t> bytes_read{0};
  std::atomic<uint64_t> bytes_written{0};
  std::atomic<uint64_t> operations{0};
  // Calls that failed for a reason other than an expected answer (not found, exists, not
  // empty): I/O errors, a full or read-only drive, a vanished drive.
  std::atomic<uint64_t> errors{0};
};

class MeteredDisk final : public StorageApi {
 public:
  explicit MeteredDisk(std::shared_ptr<StorageApi> inner) : inner_(std::move(inner)) {}

  const DriveCounters& counters() const { return *counters_; }
  const StorageApi& inner() const { return *inner_; }

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

 private:
  std::shared_ptr<StorageApi> inner_;
  // Shared with the reader/writer wrappers, which may outlive a call.
  std::shared_ptr<DriveCounters> counters_ = std::make_shared<DriveCounters>();
};

}  // namespace flashstor::storage
