// MetaJournal: the group commit, the two log files in turn, the checkpoints (meta_journal.h).
// The bytes on disk are meta_journal_format.h's.
#include "meta_journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <map>
#include <system_error>

#include "flashstor/common/thread_name.h"
#include "flashstor/obs/log.h"
#include "flashstor/storage/meta_journal_totals.h"
#include "fs_util.h"

namespace flashstor::storage {
namespace {

constexpr mode_t kLogMode = 0640;

// Process-wide sums of every drive's counters (MetaJournalTotalsAllDrives).
std::atomic<uint64_t> g_records{0}, g_syncs{0}, g_checkpoints{0};

}  // namespace

MetaJournal::MetaJournal(int root_fd, int read_only_errno)
    : root_fd_(root_fd),
      read_only_errno_(read_only_errno),
      sync_([](int f) { return fdatasync(f); }),
      syncfs_([](int f) { return syncfs(f); }) {}

MetaJournal::~MetaJournal() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  retire_wanted_.notify_all();
  if (retirer_.joinable()) retirer_.join();
  for (File& f : files_) {
    if (f.fd >= 0) close(f.fd);
  }
  if (root_fd_ >= 0) close(root_fd_);
}

Result<std::shared_ptr<MetaJournal>> MetaJournal::ForDrive(int root_fd, dev_t dev, ino_t ino,
                                                           const std::string& rel,
                                                           std::vector<Record>* pending,
                                                           std::string* damage, bool* shared) {
  static std::mutex mu;
  static std::map<std::pair<dev_t, ino_t>, std::weak_ptr<MetaJournal>> drives;
  std::lock_guard lock(mu);
  std::weak_ptr<MetaJournal>& slot = drives[{dev, ino}];
  if (std::shared_ptr<MetaJournal> open = slot.lock()) {
    *shared = true;
    return open;
  }
  *shared = false;
  auto opened = Open(root_fd, rel, pending, damage);
  if (!opened) return std::unexpected(opened.error());
  std::shared_ptr<MetaJournal> journal = std::move(*opened);
  slot = journal;
  for (auto it = drives.begin(); it != drives.end();) {  // drives nobody has open any more
    it = it->second.expired() ? drives.erase(it) : std::next(it);
  }
  return journal;
}

Result<std::unique_ptr<MetaJournal>> MetaJournal::Open(int root_fd, const std::string& rel,
                                                       std::vector<Record>* pending,
                                                       std::string* damage) {
  // Its own root fd: the journal may outlive the LocalDisk that opened it (ForDrive).
  const int own_root = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
  if (own_root < 0) return std::unexpected(StatusFromErrno(errno, "cannot open the journal"));
  auto opened = OpenWithRoot(own_root, rel, pending, damage);
  if (!opened) close(own_root);
  return opened;
}

Result<std::unique_ptr<MetaJournal>> MetaJournal::OpenWithRoot(int root_fd, const std::string& rel,
                                                               std::vector<Record>* pending,
                                                               std::string* damage) {
  std::unique_ptr<MetaJournal> journal(new MetaJournal(root_fd, 0));
  Status st = journal->open_file(rel, 0);
  if (st.ok()) st = journal->open_file(rel + ".1", 1);
  if (st.ok()) st = journal->read_log(pending, damage);
  if (!st.ok()) {
    journal->root_fd_ = -1;  // the caller's to close
    return std::unexpected(st);
  }
  return journal;
}

Status MetaJournal::open_file(const std::string& rel, int i) {
  constexpr int kFlags = O_RDWR | O_CLOEXEC | O_NOFOLLOW;
  int fd = -1;
  if (read_only_errno_ == 0) {
    fd = openat(root_fd_, rel.c_str(), kFlags);
    if (fd < 0 && errno == ENOENT) {
      // First open: the file's name must be durable before any commit relies on it.
      fd = openat(root_fd_, rel.c_str(), kFlags | O_CREAT | O_EXCL, kLogMode);
      if (fd >= 0) {
        if (int err = fs::FsyncDir(root_fd_, fs::Dirname(rel)); err != 0) {
          close(fd);
          return StatusFromErrno(err, "cannot make the metadata journal durable");
        }
      }
    }
    // A read-only drive: readable, and its log too, but it takes no changes.
    if (fd < 0 && (errno == EROFS || errno == EACCES)) read_only_errno_ = errno;
    if (fd < 0 && read_only_errno_ == 0) {
      return StatusFromErrno(errno, "cannot open the metadata journal");
    }
  }
  if (fd < 0) {
    fd = openat(root_fd_, rel.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    // None yet (a drive of an older release): empty.
    if (fd < 0 && errno != ENOENT) {
      return StatusFromErrno(errno, "cannot open the metadata journal");
    }
  }
  files_[i].fd = fd;
  files_[i].name = rel;
  return Status::Ok();
}

Status MetaJournal::read_log(std::vector<Record>* pending, std::string* damage) {
  std::array<journal::FileContents, 2> read;
  for (int i = 0; i < 2; ++i) {
    if (files_[i].fd < 0) {
      read[i].empty = true;
    } else {
      FS_RETURN_IF_ERROR(journal::ReadFile(files_[i].fd, &read[i]));
    }
  }
  std::unique_lock lock(mu_);
  for (int i = 0; i < 2; ++i) {
    File& f = files_[i];
    const journal::FileContents& c = read[i];
    if (c.empty) {  // new (or emptied by a checkpoint that shrank it, then a crash)
      if (read_only_errno_ != 0) continue;
      const uint64_t epoch = journal::NewEpoch(0);
      int err = WriteHeader(f, epoch, 0, false);
      if (err == 0 && fdatasync(f.fd) != 0) err = errno;
      if (err != 0) return StatusFromErrno(err, "cannot write the metadata journal's header");
      f.epoch = epoch;
      f.end = f.size = kFileHeaderBytes;
    } else if (c.needs_reset) {
      f.needs_reset = true;
      f.size = c.size;
    } else {
      f.epoch = c.epoch;
      f.seq = c.seq;
      f.end = c.end;
      f.size = std::max(c.size, c.end);
    }
  }
  // The older file's records first: the newer took appends only once the older was full.
  active_ = files_[1].seq > files_[0].seq ? 1 : 0;
  for (int i : {1 - active_, active_}) {
    for (auto& [offset, record] : read[i].records) pending->push_back(std::move(record));
    if (damage->empty() && !read[i].damage.empty()) {
      *damage = files_[i].name + ": " + read[i].damage;
    }
  }
  if (files_[0].needs_reset || files_[1].needs_reset) {
    // Nothing is appended before the checkpoint that rewrites the file: the caller's after a
    // replay, or this one when there is nothing to replay.
    if (read_only_errno_ == 0 && pending->empty() && damage->empty()) {
      return checkpoint_locked(lock);
    }
    return Status::Ok();
  }
  for (File& f : files_) grow_locked(f);
  return Status::Ok();
}

MetaJournal::Entry::Entry(Entry&& other) noexcept
    : journal_(other.journal_),
      order_(std::move(other.order_)),
      lsn_(other.lsn_),
      file_(other.file_),
      offset_(other.offset_) {
  other.journal_ = nullptr;
}

MetaJournal::Entry::~Entry() {
  if (journal_ != nullptr) journal_->done(*this, false);
}

void MetaJournal::done(Entry& entry, bool applied) {
  std::unique_lock lock(mu_);
  --in_flight_;
  --files_[entry.file_].in_flight;
  if (!applied && !failed_) {
    // The record may be (or become) durable: the drive's files no longer match its log
    // until a replay, so it takes no more changes until it is opened again.
    failed_ = true;
    obs::Log(obs::Level::kError,
             "metadata journal: a logged change could not be applied; the drive takes no "
             "changes until it is opened again (which replays the log)");
  }
  entry.journal_ = nullptr;
  if (entry.order_.owns_lock()) entry.order_.unlock();
  changed_.notify_all();
  // A full file's last change is applied: checkpoint it (its failure is logged there).
  if (can_retire_locked()) request_retire_locked(lock);
}

bool MetaJournal::can_retire_locked() const {
  const File& inactive = files_[1 - active_];
  return !failed_ && !retiring_ && !checkpointing_ && !stopping_ && inactive.records() > 0 &&
         inactive.in_flight == 0 && !inactive.needs_reset;
}

void MetaJournal::request_retire_locked(std::unique_lock<std::mutex>& lock) {
  if (!retirer_.joinable()) {
    try {
      retirer_ = std::thread([this] {
        NameThisThread("fs-journal");
        retire_loop();
      });
    } catch (const std::system_error&) {
      retire_locked(lock);  // no thread to be had: this caller waits for it
      return;
    }
  }
  retire_wanted_.notify_one();
}

void MetaJournal::retire_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (can_retire_locked()) {
      retire_locked(lock);
    } else {
      retire_wanted_.wait(lock);
    }
  }
}

Result<MetaJournal::Entry> MetaJournal::append(Op op, std::string_view path,
                                               std::string_view data) {
  if (path.empty() || path.size() > kMaxPathBytes || data.size() > kMaxDataBytes) {
    return Err(Code::kInvalidArgument, "metadata journal record too large");
  }
  std::unique_lock order(order_[std::hash<std::string_view>{}(path) % kOrderStripes]);
  std::unique_lock lock(mu_);
  for (;;) {
    if (checkpointing_) {
      changed_.wait(lock);
      continue;
    }
    switch_if_full_locked();
    // Both files full (the other's checkpoint has not finished): wait for it.
    if (!failed_ && files_[active_].records() >= 2 * checkpoint_bytes_ &&
        files_[1 - active_].records() > 0) {
      if (can_retire_locked()) request_retire_locked(lock);
      changed_.wait(lock);
      continue;
    }
    break;
  }
  File& file = files_[active_];
  Entry entry(this, std::move(order));
  entry.file_ = active_;
  entry.offset_ = file.end;
  if (Status st = append_locked(file, op, path, data, &entry, kCancelFloor); !st.ok()) {
    entry.journal_ = nullptr;  // nothing logged: not in flight
    return std::unexpected(st);
  }
  ++in_flight_;
  ++file.in_flight;
  return entry;
}

Status MetaJournal::cancel(Entry& entry, std::string_view path) {
  const std::array<char, 8> offset = journal::CancelData(entry.offset_);
  // The entry's file is neither checkpointed nor reused while the entry is in flight.
  std::lock_guard lock(mu_);
  return append_locked(files_[entry.file_], Op::kCancel, path, {offset.data(), offset.size()},
                       &entry, 0);
}

Status MetaJournal::append_locked(File& file, Op op, std::string_view path, std::string_view data,
                                  Entry* entry, uint64_t floor) {
  // The record is its head, the path and the data, written with one gather write: the data (a
  // whole %m.bin) is not copied.
  const journal::Head head = journal::HeadOf(file.epoch, op, path, data);
  const size_t record_size = head.size() + path.size() + data.size();
  if (read_only_errno_ != 0) return StatusFromErrno(read_only_errno_, "drive is read-only");
  if (failed_) return Status(Code::kFaultyDisk, "metadata journal failed: restart the drive");
  if (file.needs_reset) return Status(Code::kFaultyDisk, "metadata journal not replayed");
  if (floor > 0 && file.end + record_size + floor > file.size) {
    grow_locked(file, record_size);
    if (file.end + record_size + floor > file.size) {
      // A full drive: the reserve left is for cancelling changes already logged.
      return StatusFromErrno(ENOSPC, "no room in the metadata journal");
    }
  }
  iovec parts[3] = {{const_cast<uint8_t*>(head.data()), head.size()},
                    {const_cast<char*>(path.data()), path.size()},
                    {const_cast<char*>(data.data()), data.size()}};
  if (int err = fs::WriteFullAtV(file.fd, parts, 3, file.end); err != 0) {
    // A record half-written (or written whole, the error coming later) must not be read as
    // the next one: its header is zeroed, or the journal fails.
    if (journal::WriteZeros(file.fd, file.end, file.end + head.size()) != 0) failed_ = true;
    file.size = std::max(file.size, file.end + head.size());
    return StatusFromErrno(err, "cannot append to the metadata journal");
  }
  file.end += record_size;
  file.size = std::max(file.size, file.end);
  file.dirty = true;
  appended_lsn_ += record_size;
  entry->lsn_ = appended_lsn_;
  grow_locked(file);
  ++records_;
  g_records.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

void MetaJournal::switch_if_full_locked() {
  File& full = files_[active_];
  File& next = files_[1 - active_];
  if (failed_ || retiring_ || full.records() < checkpoint_bytes_ || next.records() > 0 ||
      full.needs_reset || next.needs_reset || next.fd < 0) {
    return;
  }
  // A new epoch and the next sequence: records written in it count only once this header is
  // on the device, which the first sync of the file's records makes sure of.
  const uint64_t epoch = journal::NewEpoch(next.epoch);
  const uint64_t seq = std::max(full.seq, next.seq) + 1;
  if (int err = WriteHeader(next, epoch, seq, false); err != 0) {
    fail_locked("switching files", err);
    return;
  }
  next.epoch = epoch;
  next.seq = seq;
  next.dirty = true;
  active_ = 1 - active_;
}

void MetaJournal::grow_locked(File& file, uint64_t need) {
  if (read_only_errno_ != 0 || file.fd < 0 ||
      file.size - file.end >= std::max<uint64_t>(kReserveBytes / 2, need + kCancelFloor)) {
    return;
  }
  constexpr uint64_t kBlock = 4096;
  const uint64_t want = file.end + std::max<uint64_t>(kReserveBytes, need + kCancelFloor);
  const uint64_t to = (want + kBlock - 1) / kBlock * kBlock;
  // Best effort: a drive already full appends as it can (and refuses at its floor).
  if (journal::WriteZeros(file.fd, file.size, to) == 0) {
    file.size = to;
  } else if (ftruncate(file.fd, static_cast<off_t>(file.size)) != 0) {
    struct stat st {};  // the size is what the partial write left
    if (fstat(file.fd, &st) == 0) file.size = std::max<uint64_t>(file.size, st.st_size);
  }
}

Status MetaJournal::sync(Entry& entry) {
  std::unique_lock lock(mu_);
  while (synced_lsn_ < entry.lsn_ && !failed_) {
    if (syncing_) {  // a leader's sync may cover this record; else lead the next one
      changed_.wait(lock);
      continue;
    }
    syncing_ = true;
    const uint64_t target = appended_lsn_;
    std::array<int, 2> fds{-1, -1};  // the files appended to since the last sync started
    for (int i = 0; i < 2; ++i) {
      if (files_[i].dirty) fds[i] = files_[i].fd;
      files_[i].dirty = false;
    }
    const std::function<int(int)> sync = sync_;
    lock.unlock();
    int err = 0;
    for (int fd : fds) {
      if (err == 0 && fd >= 0 && sync(fd) != 0) err = errno;
    }
    lock.lock();
    syncing_ = false;
    ++syncs_;
    g_syncs.fetch_add(1, std::memory_order_relaxed);
    if (err != 0) {
      fail_locked("sync", err);
    } else if (target > synced_lsn_) {
      synced_lsn_ = target;
    }
    changed_.notify_all();
  }
  if (synced_lsn_ < entry.lsn_) return Status(Code::kFaultyDisk, "metadata journal sync failed");
  return Status::Ok();
}

void MetaJournal::retire_locked(std::unique_lock<std::mutex>& lock) {
  retiring_ = true;
  // Nothing appends to it meanwhile: no entry of it is in flight (so no cancel), and no switch
  // goes to a file holding records.
  std::array<bool, 2> which{};
  which[1 - active_] = true;
  (void)empty_files_locked(lock, which);
  retiring_ = false;
  changed_.notify_all();
}

Status MetaJournal::checkpoint() {
  std::unique_lock lock(mu_);
  return checkpoint_locked(lock);
}

Status MetaJournal::checkpoint_locked(std::unique_lock<std::mutex>& lock) {
  changed_.wait(lock, [&] { return !checkpointing_ && !retiring_; });
  if (failed_) return Status(Code::kFaultyDisk, "metadata journal failed: restart the drive");
  auto holds = [](const File& f) { return f.fd >= 0 && (f.records() > 0 || f.needs_reset); };
  const std::array<bool, 2> which{holds(files_[0]), holds(files_[1])};
  if (!which[0] && !which[1]) return Status::Ok();
  checkpointing_ = true;
  changed_.wait(lock, [&] { return in_flight_ == 0 && !syncing_; });
  const int err = empty_files_locked(lock, which);
  if (err == 0) synced_lsn_ = appended_lsn_;
  checkpointing_ = false;
  changed_.notify_all();
  if (err != 0) return StatusFromErrno(err, "metadata journal checkpoint failed");
  return Status::Ok();
}

int MetaJournal::empty_files_locked(std::unique_lock<std::mutex>& lock, std::array<bool, 2> which) {
  std::array<uint64_t, 2> epochs{};
  std::array<bool, 2> shrink{};
  for (int i = 0; i < 2; ++i) {
    const File& f = files_[i];
    epochs[i] = journal::NewEpoch(f.epoch);
    // A file grown past twice the threshold (by a large record) is cut back; one not in this
    // format is rewritten.
    shrink[i] = f.needs_reset || f.size > kFileHeaderBytes + 2 * checkpoint_bytes_ + kReserveBytes;
  }
  const std::function<int(int)> sync_all = syncfs_;
  lock.unlock();
  // Every change applied is made durable; only then do the headers' new epochs empty them.
  int err = sync_all(root_fd_) == 0 ? 0 : errno;
  for (int i = 0; i < 2; ++i) {
    if (err != 0 || !which[i]) continue;
    err = WriteHeader(files_[i], epochs[i], files_[i].seq, shrink[i]);
    if (err == 0 && fdatasync(files_[i].fd) != 0) err = errno;
  }
  lock.lock();
  if (err != 0) {
    fail_locked("checkpoint", err);
    return err;
  }
  for (int i = 0; i < 2; ++i) {
    if (which[i]) emptied_locked(files_[i], epochs[i], shrink[i]);
  }
  ++checkpoints_;
  g_checkpoints.fetch_add(1, std::memory_order_relaxed);
  return 0;
}

int MetaJournal::WriteHeader(const File& file, uint64_t epoch, uint64_t seq, bool shrink) {
  if (shrink && ftruncate(file.fd, 0) != 0) return errno;
  const auto block = journal::FileHeader(epoch, seq);
  return fs::WriteFullAt(file.fd, {block.data(), block.size()}, 0);
}

void MetaJournal::emptied_locked(File& file, uint64_t epoch, bool shrink) {
  file.epoch = epoch;
  file.end = kFileHeaderBytes;
  if (shrink) file.size = kFileHeaderBytes;
  file.needs_reset = false;
  grow_locked(file);
}

void MetaJournal::fail_locked(const char* what, int err) {
  failed_ = true;
  obs::Log(obs::Level::kError,
           std::string("metadata journal: ") + what + " failed; the drive takes no changes",
           {{"ERRNO", std::to_string(err)}});
}

uint64_t MetaJournal::records() const {
  std::lock_guard lock(mu_);
  return records_;
}

uint64_t MetaJournal::syncs() const {
  std::lock_guard lock(mu_);
  return syncs_;
}

uint64_t MetaJournal::checkpoints() const {
  std::lock_guard lock(mu_);
  return checkpoints_;
}

uint64_t MetaJournal::log_bytes() const {
  std::lock_guard lock(mu_);
  return files_[0].records() + files_[1].records();
}

int MetaJournal::active_file() const {
  std::lock_guard lock(mu_);
  return active_;
}

uint64_t MetaJournal::epoch() const {
  std::lock_guard lock(mu_);
  return files_[active_].epoch;
}

uint64_t MetaJournal::end_offset() const {
  std::lock_guard lock(mu_);
  return files_[active_].end;
}

void MetaJournal::set_checkpoint_bytes(uint64_t bytes) {
  std::lock_guard lock(mu_);
  checkpoint_bytes_ = bytes;
}

void MetaJournal::set_sync_for_test(std::function<int(int)> sync) {
  std::lock_guard lock(mu_);
  sync_ = std::move(sync);
}

void MetaJournal::set_syncfs_for_test(std::function<int(int)> syncfs) {
  std::lock_guard lock(mu_);
  syncfs_ = std::move(syncfs);
}

MetaJournalTotals MetaJournalTotalsAllDrives() {
  return {g_records.load(std::memory_order_relaxed), g_syncs.load(std::memory_order_relaxed),
          g_checkpoints.load(std::memory_order_relaxed)};
}

}  // namespace flashstor::storage
