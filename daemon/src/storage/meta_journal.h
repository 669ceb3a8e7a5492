// MetaJournal: one drive's commit log of object metadata changes (docs/design.md, "The
// metadata journal"). A change to a %m.bin is appended here, made durable by an fdatasync of
// the log, and only then applied to the namespace, without any fsync (so a file rewritten in
// place and torn by a crash always has its record to be rewritten from). One fdatasync covers
// every record appended before it started (group commit), so concurrent PUTs share it. A
// checkpoint (syncfs of the drive's file system) makes the applied changes durable and empties
// the log; the drive's next open replays what the log still holds, in order.
//
// The log is two files used in turn. Once the active one holds kCheckpointBytes of records,
// appends move to the other (emptied earlier), and the full one is checkpointed in the
// background: the drive's changes never wait for a syncfs. A file's blocks are written once
// and reused: emptying a file starts a new epoch in its header instead of truncating it, so
// appends overwrite blocks the file already has and an fdatasync writes data blocks only, not
// the inode. Format: meta_journal_format.h.
//
// Order: records of one path are appended and applied in the same order (append() takes the
// path's order lock, done() releases it), so replaying the log never rolls a file back. A
// change the log does not carry that could undo or supersede a logged one (deleting a bucket)
// takes a checkpoint first.
#pragma once

#include <sys/types.h>

#include <array>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "flashstor/common/status.h"
#include "meta_journal_format.h"

namespace flashstor::storage {

class MetaJournal {
 public:
  using Op = journal::Op;
  using Record = journal::Record;
  // Appends move to the other file once the active one holds this many bytes of records.
  static constexpr uint64_t kCheckpointBytes = 4u << 20;
  // A record's path and data are bounded by what the drive accepts anyway.
  static constexpr size_t kMaxPathBytes = journal::kMaxPathBytes;
  static constexpr size_t kMaxDataBytes = journal::kMaxDataBytes;
  // A file grows by written zeros (never sparse or fallocated blocks, whose first write
  // changes the file's extents), at least kReserveBytes ahead of its last record; regular
  // appends leave kCancelFloor of those to cancels.
  static constexpr uint64_t kReserveBytes = 256u << 10;
  static constexpr uint64_t kCancelFloor = 16u << 10;
  static constexpr uint64_t kFileHeaderBytes = journal::kFileHeaderBytes;

  // Opens (creating) the log's two files, rel and rel + ".1" below root_fd, and returns the
  // records they hold in order, up to the first damaged one (a torn tail from a crash
  // mid-append); *damage says what stopped the read, empty when the whole log was read. The
  // caller applies them, then checkpoints.
  static Result<std::unique_ptr<MetaJournal>> Open(int root_fd, const std::string& rel,
                                                   std::vector<Record>* pending,
                                                   std::string* damage);
  // The journal of the drive whose root is (dev, ino), shared by every LocalDisk open on it in
  // this process (a drive reconnected while its old LocalDisk still has calls running must not
  // get a second writer of the same log): an open one is returned as it is (*shared true,
  // nothing pending), else Open().
  static Result<std::shared_ptr<MetaJournal>> ForDrive(int root_fd, dev_t dev, ino_t ino,
                                                       const std::string& rel,
                                                       std::vector<Record>* pending,
                                                       std::string* damage, bool* shared);
  ~MetaJournal();
  MetaJournal(const MetaJournal&) = delete;
  MetaJournal& operator=(const MetaJournal&) = delete;

  // A record in the log with its path's order lock held: sync() it, apply the change, then
  // done(). An Entry destroyed before done() counts as a change not applied.
  class Entry {
   public:
    Entry(Entry&& other) noexcept;
    Entry& operator=(Entry&&) = delete;
    ~Entry();

   private:
    friend class MetaJournal;
    Entry(MetaJournal* journal, std::unique_lock<std::mutex> order)
        : journal_(journal), order_(std::move(order)) {}
    MetaJournal* journal_;
    std::unique_lock<std::mutex> order_;
    uint64_t lsn_ = 0;     // the log's logical length once this record (or its cancel) is in
    int file_ = 0;         // which of the two files holds it
    uint64_t offset_ = 0;  // where the record starts in that file
  };

  // Appends one record (kFaultyDisk once a write or sync of the log has failed, or a synced
  // record could not be applied: the drive then takes no more changes until it is opened
  // again, which replays the log).
  Result<Entry> append(Op op, std::string_view path, std::string_view data);
  // Returns once the entry's record (and any amendment) is on the device.
  Status sync(Entry& entry);
  // Logs that the entry's change was not applied (its file untouched: a full drive, say), so
  // that a replay skips it; sync() again, then done(entry, true). A cancel record is a few
  // dozen bytes, and regular appends leave kCancelFloor of the written blocks to them.
  Status cancel(Entry& entry, std::string_view path);
  // The change is applied (or not: the journal then fails, see append), and the path's next
  // change may come in. Checkpoints a full file once its last change is applied.
  void done(Entry& entry, bool applied);
  // Whether the log could be opened for writing; when not (a read-only drive), append fails
  // with that error.
  bool writable() const { return read_only_errno_ == 0; }
  // Makes every applied change durable (syncfs) and empties both files. Appends wait
  // meanwhile; records appended but not yet applied are waited for first.
  Status checkpoint();

  // Counters, for tests and metrics.
  uint64_t records() const;
  uint64_t syncs() const;
  uint64_t checkpoints() const;
  uint64_t log_bytes() const;  // bytes of records in both files
  // The active file: its index (0: rel, 1: rel + ".1"), epoch and where its next record goes.
  int active_file() const;
  uint64_t epoch() const;
  uint64_t end_offset() const;
  // Tests: a smaller checkpoint threshold, and a sync that takes time (fdatasync on tmpfs
  // returns at once, so nothing would ever be shared).
  void set_checkpoint_bytes(uint64_t bytes);
  void set_sync_for_test(std::function<int(int fd)> sync);
  // Tests: a checkpoint's syncfs that takes time.
  void set_syncfs_for_test(std::function<int(int fd)> syncfs);

 private:
  // One of the two files.
  struct File {
    std::string name;  // drive-relative
    int fd = -1;
    uint64_t epoch = 0, seq = 0;
    uint64_t end = kFileHeaderBytes;   // where the next record goes
    uint64_t size = kFileHeaderBytes;  // bytes the file holds (records, then zeros)
    uint64_t in_flight = 0;            // entries appended here, not yet done()
    bool dirty = false;                // appended to since the last sync started
    bool needs_reset = false;          // not (yet) this format: the next checkpoint rewrites it
    uint64_t records() const { return end - kFileHeaderBytes; }
  };

  MetaJournal(int root_fd, int read_only_errno);
  // Open with root_fd already the journal's own (closed by the caller on failure).
  static Result<std::unique_ptr<MetaJournal>> OpenWithRoot(int root_fd, const std::string& rel,
                                                           std::vector<Record>* pending,
                                                           std::string* damage);
  // Opens file i at rel (fd_out: -1 for a read-only drive without one).
  Status open_file(const std::string& rel, int i);
  // Reads both files at open: the records to replay in order, where the next append goes.
  Status read_log(std::vector<Record>* pending, std::string* damage);
  // floor: how much of the written blocks past the end the record must leave (0 for a cancel).
  Status append_locked(File& file, Op op, std::string_view path, std::string_view data,
                       Entry* entry, uint64_t floor);
  // Moves appends to the other file when the active one is full and the other empty.
  void switch_if_full_locked();
  // Keeps kReserveBytes of written blocks (or need + kCancelFloor) past a file's last record,
  // so a full drive can still cancel the changes it logged but could not apply, which would
  // otherwise fail the journal.
  void grow_locked(File& file, uint64_t need = 0);
  // Whether the inactive file holds records whose changes are all applied, and may be
  // checkpointed now.
  bool can_retire_locked() const;
  // Hands that checkpoint to the retirer thread (started on first use; inline if it cannot
  // be), so that no request waits for it.
  void request_retire_locked(std::unique_lock<std::mutex>& lock);
  void retire_loop();
  // Checkpoints the inactive file.
  void retire_locked(std::unique_lock<std::mutex>& lock);
  Status checkpoint_locked(std::unique_lock<std::mutex>& lock);
  // Makes every applied change durable (syncfs), then empties the files which[] names (a new
  // epoch in each header, synced); the lock is released meanwhile. 0 or errno (the journal
  // then fails).
  int empty_files_locked(std::unique_lock<std::mutex>& lock, std::array<bool, 2> which);
  // Writes file's header block for epoch and seq (truncating first when shrink); 0 or errno.
  static int WriteHeader(const File& file, uint64_t epoch, uint64_t seq, bool shrink);
  // After a header written by a checkpoint: the file is empty in its new epoch.
  void emptied_locked(File& file, uint64_t epoch, bool shrink);
  void fail_locked(const char* what, int err);

  static constexpr size_t kOrderStripes = 64;
  int root_fd_;          // the journal's own duplicate of the drive root's fd (for syncfs)
  int read_only_errno_;  // why the log is open read-only; 0 when writable
  std::array<std::mutex, kOrderStripes> order_;  // by hash of the path

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::array<File, 2> files_;
  int active_ = 0;
  bool retiring_ = false;       // a checkpoint of the inactive file is running
  uint64_t appended_lsn_ = 0;   // logical bytes ever appended (never reset)
  uint64_t synced_lsn_ = 0;     // logical bytes known durable
  uint64_t in_flight_ = 0;      // appended, not yet done()
  bool syncing_ = false;        // a leader is in fdatasync
  bool checkpointing_ = false;  // a checkpoint of both files is running
  bool failed_ = false;
  uint64_t checkpoint_bytes_ = kCheckpointBytes;
  uint64_t records_ = 0, syncs_ = 0, checkpoints_ = 0;
  std::function<int(int)> sync_;
  std::function<int(int)> syncfs_;
  std::condition_variable retire_wanted_;  // the retirer's own: done() wakes it only when needed
  bool stopping_ = false;
  std::thread retirer_;
};

}  // namespace flashstor::storage
