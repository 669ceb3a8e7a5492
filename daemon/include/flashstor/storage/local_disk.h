// LocalDisk: StorageApi on a local directory (one drive). Every path is resolved relative to
// the drive root's directory fd, whose identity (st_dev, st_ino) is checked on errors so a
// vanished or replaced drive reports kDiskNotFound instead of writing to the wrong place.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <optional>
#include <semaphore>
#include <string>

#include "flashstor/storage/meta_cache.h"
#include "flashstor/storage/storage_api.h"

namespace flashstor::storage {

class MetaJournal;

// The drive's metadata journal, in kSysVolume: this file and this name with ".1" (meta_journal.h).
inline constexpr std::string_view kMetaJournalFile = "%meta-journal";

class LocalDisk final : public StorageApi {
 public:
  // Bytes of metadata files the drive keeps in memory (MetaCache, shared by its LocalDisks).
  static constexpr size_t kMetaCacheBytes = 1u << 20;

  // Opens the drive directory (kDiskNotFound when missing or not a directory), creates
  // kSysVolume and its tmp directory, and empties tmp (leftovers of a crash) and the trash
  // (no reader of this process predates the open).
  static Result<std::unique_ptr<LocalDisk>> Open(const std::string& path);
  // Frees the shard writers' staging buffers kept between requests (the server going idle).
  static void ReleaseStageBuffers();
  ~LocalDisk() override;
  LocalDisk(const LocalDisk&) = delete;
  LocalDisk& operator=(const LocalDisk&) = delete;

  const std::string& endpoint() const override { return path_; }
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
  Result<std::unique_ptr<Walker>> walk(std::string_view volume,
                                       const WalkOptions& options) override;

  // For the walker: maps errno of an operation on volume to a Status (kDiskNotFound when the
  // root is gone, kVolumeNotFound when the volume is).
  Status error(int err, std::string_view message, std::string_view volume) const;
  int root_fd() const { return root_fd_; }
  MetaCache& meta_cache() { return *meta_cache_; }
  MetaJournal& meta_journal() { return *journal_; }

 protected:
  Status install_version(const VersionCommit& commit, std::string_view meta) override;

 private:
  LocalDisk(std::string path, int root_fd, dev_t dev, ino_t ino);
  // renameat of src to dst (drive-relative), creating dst's parents; no fsync.
  Status move_entry(const std::string& src, const std::string& dst, std::string_view src_volume,
                    std::string_view dst_volume);
  // Replaces file rel by data through a temp file in tmp/; no fsync of rel's directory.
  // durable: the temp file is fsynced and new parents are fsynced into theirs; false for
  // what the metadata journal carries.
  Status replace_file(const std::string& rel, std::string_view data, std::string_view volume,
                      bool durable = true);
  // An object's metadata file written or removed through the metadata journal: logged,
  // applied without fsyncs, and acknowledged once the log's group sync covers it.
  static bool Journaled(std::string_view volume, std::string_view file);
  Status write_meta(const std::string& rel, std::string_view data, std::string_view volume);
  // The journaled write's change to the namespace: in place when the file exists and its
  // blocks hold the new contents (no inode made or freed), else through a temp file.
  // *touched: the file may have been changed (a failed write in place), so that a failure
  // cannot be cancelled in the log.
  Status apply_meta(const std::string& rel, std::string_view data, std::string_view volume,
                    bool* touched);
  Status remove_meta(const std::string& rel, std::string_view volume);
  // Opens the journal and applies what a crash left in it (Open).
  Status open_journal();
  bool root_gone() const;
  // volume/KeyToPath(key)/file, validated.
  Result<std::string> path_of(std::string_view volume, std::string_view key,
                              std::string_view file) const;
  // cached: from the kernel's caches only, else kWouldBlock (StorageApi::read_all_cached).
  // A metadata file is read again when a write of it in place overlapped the read
  // (MetaWriteSeq); a cached read hands that case back as kWouldBlock.
  Result<std::string> read_file(const std::string& rel, std::string_view volume, bool cached);
  Result<std::string> read_file_once(const std::string& rel, std::string_view volume, bool cached);
  Result<std::string> read_whole(int fd, std::string_view volume, bool cached);
  // A shard file by its path, or, when its data dir has moved to the trash, there.
  Result<std::unique_ptr<FileReader>> open_reader(const std::string& rel, std::string_view volume,
                                                  std::string_view file, bool cached);

  // Tells the metadata cache that rel changed once the call changing it returns, whatever
  // it returned (a failed rename or write may still have changed the drive).
  class ChangeNotice {
   public:
    ChangeNotice(MetaCache& cache, std::string_view rel) : cache_(cache), rel_(rel) {}
    ~ChangeNotice() { cache_.changed(rel_); }
    ChangeNotice(const ChangeNotice&) = delete;
    ChangeNotice& operator=(const ChangeNotice&) = delete;

   private:
    MetaCache& cache_;
    std::string_view rel_;
  };

  std::string path_;
  int root_fd_;
  dev_t dev_;
  ino_t ino_;
  // When this process opened the drive (CLOCK_REALTIME, as the trash's stamps): everything
  // the trash held by then is collected at the next pass, whatever its age.
  int64_t opened_ns_;
  std::shared_ptr<MetaCache> meta_cache_;
  // Shard files are written with O_DIRECT until the file system refuses it once, by at most
  // kStageSlotsPerDrive writes at a time (shard_file_writer.h).
  std::atomic<bool> direct_io_{true};
  std::shared_ptr<std::counting_semaphore<>> stage_slots_;
  std::shared_ptr<MetaJournal> journal_;  // shared by the drive's LocalDisks (ForDrive)
};

// Checks a volume name: 1..255 bytes, no '/', NUL, not "." or "..".
bool IsValidVolumeName(std::string_view volume);

// Where a bucket's data dir file ("%d.<uuid>/<name>") lives once its dir was trashed
// ("<kSysVolume>/trash/<uuid>/<name>", relative to the drive root); nullopt for other files.
std::optional<std::string> TrashPathOf(std::string_view volume, std::string_view file);

}  // namespace flashstor::storage
