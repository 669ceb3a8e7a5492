// MetaJournal: one drive's commit log of object metadata changes (docs/design.md, "The
// metadata journal"). A change to a %m.bin is appended here, made durable by an fdatasync of
// the log, and only then applied to the namespace, without any fsync (so a file rewritten in
// place and torn by a crash always has its record to be rewritten from). One fdatasync covers
// every record appended before it started (group commit), so concurrent PUTs share it. A
// checkpoint (syncfs of the drive's file system) makes the applied changes durable and empties
// the log; the drive's next open replays what the log still holds, in order.
//
// The log's blocks are written once and reused: a checkpoint starts a new epoch (stamped in
// the file's header and in every record) instead of truncating, so appends overwrite blocks
// the file already has and an fdatasync writes data blocks only, not the inode (the file's
// size and extents do not change). A replay reads the header's epoch's records and stops at
// the first place that holds none: zeros, an earlier epoch's bytes, or a torn record.
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
#include <vector>

#include "flashstor/common/status.h"

namespace flashstor::storage {

class MetaJournal {
 public:
  // kCancel: the record at the offset in data (8 bytes, little-endian) was not applied; a
  // replay skips both. Only the log's own cancel() writes one; Open() never returns one.
  enum class Op : uint8_t { kWrite = 1, kRemove = 2, kCancel = 3 };
  struct Record {
    Op op = Op::kWrite;
    std::string path;  // drive-relative
    std::string data;  // the file's new contents (kWrite)
  };
  // A checkpoint starts once the log holds this many bytes.
  static constexpr uint64_t kCheckpointBytes = 8u << 20;
  // A record's path and data are bounded by what the drive accepts anyway.
  static constexpr size_t kMaxPathBytes = 4096;
  static constexpr size_t kMaxDataBytes = 32u << 20;
  // The log grows by written zeros (never sparse or fallocated blocks, whose first write
  // changes the file's extents), at least kReserveBytes ahead of its last record; regular
  // appends leave kCancelFloor of those to cancels.
  static constexpr uint64_t kReserveBytes = 256u << 10;
  static constexpr uint64_t kCancelFloor = 16u << 10;
  // The file's header (magic, version, epoch, CRC-32C) fills the first block; records follow.
  static constexpr uint64_t kFileHeaderBytes = 4096;

  // Opens (creating) the log at rel below root_fd and returns the records it holds, up to the
  // first damaged one (a torn tail from a crash mid-append); *damage says what stopped the
  // read, empty when the whole file was read. The caller applies them, then checkpoints.
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
    Entry(MetaJournal* journal, std::unique_lock<std::mutex> order, uint64_t lsn)
        : journal_(journal), order_(std::move(order)), lsn_(lsn) {}
    MetaJournal* journal_;
    std::unique_lock<std::mutex> order_;
    uint64_t lsn_;         // the log's logical length once this record (or its cancel) is in
    uint64_t offset_ = 0;  // where the record starts in the file
  };

  // Appends one record (kFaultyDisk once a write or sync of the log has failed, or a synced
  // record could not be applied: the drive then takes no more changes until it is opened
  // again, which replays the log).
  Result<Entry> append(Op op, std::string_view path, std::string_view data);
  // Returns once the entry's record (and any amendment) is on the device.
  Status sync(Entry& entry);
  // Logs that the entry's change was not applied (its file untouched: a full drive, say), so
  // that a replay skips it; sync() again, then done(entry, true). A cancel record is a few
  // dozen bytes, and regular appends leave kCancelFloor of the reserved blocks to them.
  Status cancel(Entry& entry, std::string_view path);
  // The change is applied (or not: the journal then fails, see append), and the path's next
  // change may come in. Checkpoints when the log is full.
  void done(Entry& entry, bool applied);
  // Whether the log could be opened for writing; when not (a read-only drive), append fails
  // with that error.
  bool writable() const { return read_only_errno_ == 0; }
  // Makes every applied change durable (syncfs) and empties the log. Appends wait meanwhile;
  // records appended but not yet applied are waited for first.
  Status checkpoint();

  // Counters, for tests and metrics.
  uint64_t records() const;
  uint64_t syncs() const;
  uint64_t checkpoints() const;
  uint64_t log_bytes() const;  // bytes of records in the current epoch
  uint64_t epoch() const;
  uint64_t end_offset() const;  // where the next record goes in the file
  // Tests: a smaller checkpoint threshold, and a sync that takes time (fdatasync on tmpfs
  // returns at once, so nothing would ever be shared).
  void set_checkpoint_bytes(uint64_t bytes);
  void set_sync_for_test(std::function<int(int fd)> sync);

  // The record as the log holds it (exposed for the tests' damaged logs).
  static std::string Encode(uint64_t epoch, Op op, std::string_view path, std::string_view data);
  // A record's header (magic, body length, epoch, CRC-32C of the epoch and body) and the
  // body's fixed bytes (op, path length); the record is these, then the path, then the data.
  static constexpr size_t kHeadBytes = 23;
  using Head = std::array<uint8_t, kHeadBytes>;
  static Head HeadOf(uint64_t epoch, Op op, std::string_view path, std::string_view data);

 private:
  MetaJournal(int root_fd, int fd, int read_only_errno);
  // Open with root_fd already the journal's own (closed by the caller on failure).
  static Result<std::unique_ptr<MetaJournal>> OpenWithRoot(int root_fd, const std::string& rel,
                                                           std::vector<Record>* pending,
                                                           std::string* damage);
  // Reads the log at open: the records to replay, where the next append goes.
  Status read_log(std::vector<Record>* pending, std::string* damage);
  // floor: how much of the reserved blocks the record must leave (0 for a cancel).
  Status append_locked(Op op, std::string_view path, std::string_view data, Entry* entry,
                       uint64_t floor);
  // Keeps kReserveBytes of written blocks (or need + kCancelFloor) past the last record, so a
  // full drive can still cancel the changes it logged but could not apply, which would
  // otherwise fail the journal.
  void grow_locked(uint64_t need = 0);
  Status checkpoint_locked(std::unique_lock<std::mutex>& lock);
  // Writes the file's header block for epoch (truncating the file first when shrink); 0 or
  // errno. The caller syncs.
  int write_header(uint64_t epoch, bool shrink);

  static constexpr size_t kOrderStripes = 64;
  int root_fd_;  // the journal's own duplicate of the drive root's fd (for syncfs)
  const int fd_;
  const int read_only_errno_;                    // why the log is open read-only; 0 when writable
  std::array<std::mutex, kOrderStripes> order_;  // by hash of the path

  mutable std::mutex mu_;
  std::condition_variable changed_;
  uint64_t epoch_ = 0;               // random; stamped in the header and in this epoch's records
  uint64_t end_ = kFileHeaderBytes;  // where the next record goes
  uint64_t file_size_ = kFileHeaderBytes;  // bytes the file holds (records, then zeros)
  bool needs_reset_ = false;   // the file is not (yet) this format: the next checkpoint rewrites it
  uint64_t appended_lsn_ = 0;  // logical bytes ever appended (never reset)
  uint64_t synced_lsn_ = 0;    // logical bytes known durable
  uint64_t in_flight_ = 0;     // appended, not yet done()
  bool syncing_ = false;       // a leader is in fdatasync
  bool checkpointing_ = false;
  bool failed_ = false;
  uint64_t checkpoint_bytes_ = kCheckpointBytes;
  uint64_t records_ = 0, syncs_ = 0, checkpoints_ = 0;
  std::function<int(int)> sync_;
};

}  // namespace flashstor::storage
