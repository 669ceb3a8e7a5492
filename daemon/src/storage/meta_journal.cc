// MetaJournal: the record format, the group commit and the checkpoint (meta_journal.h).
//
// A record is a 12-byte header (magic, body length, CRC-32C of the body) and a body (op, path
// length, path, data), integers little-endian. Reading stops at the first record whose
// header or CRC does not check: a crash mid-append leaves at most the last record torn, and
// nothing after a torn record was acknowledged (its append came later, its sync covered it).
#include "meta_journal.h"

#include <fcntl.h>
#include <isa-l/crc.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>

#include "flashstor/obs/log.h"
#include "flashstor/storage/meta_journal_totals.h"
#include "fs_util.h"

namespace flashstor::storage {
namespace {

constexpr uint32_t kMagic = 0x4a4d5346;  // "FSMJ"
constexpr size_t kHeaderBytes = 12;
constexpr size_t kBodyFixedBytes = 3;  // op, path length
static_assert(MetaJournal::kHeadBytes == kHeaderBytes + kBodyFixedBytes);
constexpr uint64_t kMaxLogBytes = 1ull << 30;
constexpr mode_t kLogMode = 0640;

// Process-wide sums of every drive's counters (MetaJournalTotalsAllDrives).
std::atomic<uint64_t> g_records{0}, g_syncs{0}, g_checkpoints{0};

void Put32(uint8_t* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>((v >> (8 * i)) & 0xff);
}

uint32_t Get32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint32_t Crc(std::string_view body, uint32_t crc = 0) {
  return crc32_iscsi(reinterpret_cast<unsigned char*>(const_cast<char*>(body.data())),
                     static_cast<int>(body.size()), crc);
}

// Reads the whole log into *out; 0 or errno.
int ReadAll(int fd, std::string* out) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return errno;
  if (static_cast<uint64_t>(st.st_size) > kMaxLogBytes) return EFBIG;
  out->resize(static_cast<size_t>(st.st_size));
  int64_t n = fs::PreadFull(fd, {reinterpret_cast<uint8_t*>(out->data()), out->size()}, 0);
  if (n < 0) return static_cast<int>(-n);
  out->resize(static_cast<size_t>(n));
  return 0;
}

uint64_t Get64(const char* p) {
  return Get32(p) | (static_cast<uint64_t>(Get32(p + 4)) << 32);
}

// Decodes records from log into *pending, leaving out cancelled ones (and the cancels);
// returns where and why it stopped ("" at the end).
std::string Decode(std::string_view log, std::vector<MetaJournal::Record>* pending) {
  std::vector<std::pair<uint64_t, MetaJournal::Record>> read;
  std::vector<uint64_t> cancelled;
  std::string stop;
  size_t at = 0;
  while (at < log.size()) {
    const std::string where = " at byte " + std::to_string(at);
    if (log.size() - at < kHeaderBytes) {
      stop = "torn record header" + where;
      break;
    }
    const char* h = log.data() + at;
    const uint32_t len = Get32(h + 4);
    if (Get32(h) != kMagic) {
      stop = "bad record magic" + where;
      break;
    }
    if (len < kBodyFixedBytes ||
        len > kBodyFixedBytes + MetaJournal::kMaxPathBytes + MetaJournal::kMaxDataBytes) {
      stop = "bad record length" + where;
      break;
    }
    if (log.size() - at - kHeaderBytes < len) {
      stop = "torn record" + where;
      break;
    }
    std::string_view body = log.substr(at + kHeaderBytes, len);
    if (Crc(body) != Get32(h + 8)) {
      stop = "record checksum mismatch" + where;
      break;
    }
    const uint8_t op = static_cast<uint8_t>(body[0]);
    const size_t path_len =
        static_cast<uint8_t>(body[1]) | (static_cast<size_t>(static_cast<uint8_t>(body[2])) << 8);
    const size_t data_len = body.size() - kBodyFixedBytes - std::min(path_len, body.size());
    if (op < 1 || op > 3 || path_len == 0 || path_len > body.size() - kBodyFixedBytes ||
        (op == 3 && data_len != 8)) {
      stop = "bad record body" + where;
      break;
    }
    MetaJournal::Record r;
    r.op = static_cast<MetaJournal::Op>(op);
    r.path = std::string(body.substr(kBodyFixedBytes, path_len));
    r.data = std::string(body.substr(kBodyFixedBytes + path_len));
    if (r.op == MetaJournal::Op::kCancel) {
      cancelled.push_back(Get64(r.data.data()));
    } else {
      read.emplace_back(at, std::move(r));
    }
    at += kHeaderBytes + len;
  }
  for (auto& [offset, r] : read) {
    if (std::find(cancelled.begin(), cancelled.end(), offset) == cancelled.end()) {
      pending->push_back(std::move(r));
    }
  }
  return stop;
}

}  // namespace

MetaJournal::Head MetaJournal::HeadOf(Op op, std::string_view path, std::string_view data) {
  Head head{};
  uint8_t* fixed = head.data() + kHeaderBytes;  // the body's first bytes: op, path length
  fixed[0] = static_cast<uint8_t>(op);
  fixed[1] = static_cast<uint8_t>(path.size() & 0xff);
  fixed[2] = static_cast<uint8_t>((path.size() >> 8) & 0xff);
  uint32_t crc = Crc({reinterpret_cast<const char*>(fixed), kBodyFixedBytes});
  crc = Crc(data, Crc(path, crc));
  Put32(head.data(), kMagic);
  Put32(head.data() + 4, static_cast<uint32_t>(kBodyFixedBytes + path.size() + data.size()));
  Put32(head.data() + 8, crc);
  return head;
}

std::string MetaJournal::Encode(Op op, std::string_view path, std::string_view data) {
  const Head head = HeadOf(op, path, data);
  std::string out(reinterpret_cast<const char*>(head.data()), head.size());
  return out.append(path).append(data);
}

MetaJournal::MetaJournal(int root_fd, int fd, uint64_t size, int read_only_errno)
    : root_fd_(root_fd),
      fd_(fd),
      read_only_errno_(read_only_errno),
      size_(size),
      appended_lsn_(size),
      synced_lsn_(size),
      sync_([](int f) { return fdatasync(f); }) {}

MetaJournal::~MetaJournal() {
  if (fd_ >= 0) close(fd_);
  close(root_fd_);
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
  constexpr int kFlags = O_RDWR | O_CLOEXEC | O_NOFOLLOW;
  int fd = openat(root_fd, rel.c_str(), kFlags);
  if (fd < 0 && errno == ENOENT) {
    // First open: the log's name must be durable before any commit relies on it.
    fd = openat(root_fd, rel.c_str(), kFlags | O_CREAT | O_EXCL, kLogMode);
    if (fd >= 0) {
      if (int err = fs::FsyncDir(root_fd, fs::Dirname(rel)); err != 0) {
        close(fd);
        return std::unexpected(StatusFromErrno(err, "cannot make the metadata journal durable"));
      }
    }
  }
  int read_only_errno = 0;
  if (fd < 0 && (errno == EROFS || errno == EACCES)) {
    // A read-only drive: readable, and its log too, but it takes no changes.
    read_only_errno = errno;
    fd = openat(root_fd, rel.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) {  // none yet (a drive of an older release): empty
      return std::unique_ptr<MetaJournal>(new MetaJournal(root_fd, -1, 0, read_only_errno));
    }
  }
  if (fd < 0) return std::unexpected(StatusFromErrno(errno, "cannot open the metadata journal"));
  std::string log;
  if (int err = ReadAll(fd, &log); err != 0) {
    close(fd);
    return std::unexpected(StatusFromErrno(err, "cannot read the metadata journal"));
  }
  *damage = Decode(log, pending);
  std::unique_ptr<MetaJournal> journal(new MetaJournal(root_fd, fd, log.size(), read_only_errno));
  {
    std::lock_guard lock(journal->mu_);
    journal->preallocate_locked();
  }
  return journal;
}

MetaJournal::Entry::Entry(Entry&& other) noexcept
    : journal_(other.journal_),
      order_(std::move(other.order_)),
      lsn_(other.lsn_),
      offset_(other.offset_) {
  other.journal_ = nullptr;
}

MetaJournal::Entry::~Entry() {
  if (journal_ != nullptr) journal_->done(*this, false);
}

void MetaJournal::done(Entry& entry, bool applied) {
  std::unique_lock lock(mu_);
  --in_flight_;
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
  const bool full = !failed_ && size_ >= checkpoint_bytes_ && !checkpointing_;
  changed_.notify_all();
  // The change is durable whatever the checkpoint does; its failure is logged there.
  if (full) (void)checkpoint_locked(lock);
}

Result<MetaJournal::Entry> MetaJournal::append(Op op, std::string_view path,
                                               std::string_view data) {
  if (path.empty() || path.size() > kMaxPathBytes || data.size() > kMaxDataBytes) {
    return Err(Code::kInvalidArgument, "metadata journal record too large");
  }
  std::unique_lock order(order_[std::hash<std::string_view>{}(path) % kOrderStripes]);
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return !checkpointing_; });
  Entry entry(this, std::move(order), 0);
  entry.offset_ = size_;
  if (Status st = append_locked(op, path, data, &entry, kCancelFloor); !st.ok()) {
    entry.journal_ = nullptr;  // nothing logged: not in flight
    return std::unexpected(st);
  }
  ++in_flight_;
  return entry;
}

Status MetaJournal::cancel(Entry& entry, std::string_view path) {
  char offset[8];
  for (int i = 0; i < 8; ++i) offset[i] = static_cast<char>((entry.offset_ >> (8 * i)) & 0xff);
  // No checkpoint can be past its wait while this entry is in flight.
  std::lock_guard lock(mu_);
  return append_locked(Op::kCancel, path, {offset, sizeof(offset)}, &entry, 0);
}

Status MetaJournal::append_locked(Op op, std::string_view path, std::string_view data, Entry* entry,
                                  uint64_t floor) {
  // The record is its head, the path and the data, written with one gather write: the data (a
  // whole %m.bin) is not copied.
  const Head head = HeadOf(op, path, data);
  const size_t record_size = head.size() + path.size() + data.size();
  if (read_only_errno_ != 0) return StatusFromErrno(read_only_errno_, "drive is read-only");
  if (failed_) return Status(Code::kFaultyDisk, "metadata journal failed: restart the drive");
  if (floor > 0 && reserved_end_ > 0 && reserved_end_ < size_ + record_size + floor) {
    preallocate_locked(record_size);
    if (reserved_end_ < size_ + record_size + floor) {
      // A full drive: the reserve left is for cancelling changes already logged.
      return StatusFromErrno(ENOSPC, "no room in the metadata journal");
    }
  }
  iovec parts[3] = {{const_cast<uint8_t*>(head.data()), head.size()},
                    {const_cast<char*>(path.data()), path.size()},
                    {const_cast<char*>(data.data()), data.size()}};
  int err = fs::WriteFullAtV(fd_, parts, 3, size_);
  if (err != 0) {
    // Nothing half-written may stay in front of the next record.
    if (ftruncate(fd_, static_cast<off_t>(size_)) != 0) failed_ = true;
    reserved_end_ = 0;  // the truncation dropped the blocks reserved past the end
    preallocate_locked();
    return StatusFromErrno(err, "cannot append to the metadata journal");
  }
  size_ += record_size;
  appended_lsn_ += record_size;
  entry->lsn_ = appended_lsn_;
  preallocate_locked();
  ++records_;
  g_records.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

void MetaJournal::preallocate_locked(uint64_t need) {
  const uint64_t want = std::max<uint64_t>(kReserveBytes, need + kCancelFloor);
  if (read_only_errno_ != 0 ||
      reserved_end_ >= size_ + std::max<uint64_t>(kReserveBytes / 2, need + kCancelFloor)) {
    return;
  }
  // Best effort: a file system without fallocate, or a drive already full, appends as it can.
  if (fallocate(fd_, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(size_), static_cast<off_t>(want)) ==
      0) {
    reserved_end_ = size_ + want;
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
    const std::function<int(int)> sync = sync_;
    lock.unlock();
    const int err = sync(fd_) == 0 ? 0 : errno;
    lock.lock();
    syncing_ = false;
    ++syncs_;
    g_syncs.fetch_add(1, std::memory_order_relaxed);
    if (err != 0) {
      failed_ = true;
      obs::Log(obs::Level::kError, "metadata journal: sync failed; the drive takes no changes",
               {{"ERRNO", std::to_string(err)}});
    } else if (target > synced_lsn_) {
      synced_lsn_ = target;
    }
    changed_.notify_all();
  }
  if (synced_lsn_ < entry.lsn_) return Status(Code::kFaultyDisk, "metadata journal sync failed");
  return Status::Ok();
}

Status MetaJournal::checkpoint() {
  std::unique_lock lock(mu_);
  return checkpoint_locked(lock);
}

Status MetaJournal::checkpoint_locked(std::unique_lock<std::mutex>& lock) {
  changed_.wait(lock, [&] { return !checkpointing_; });
  if (failed_) return Status(Code::kFaultyDisk, "metadata journal failed: restart the drive");
  if (size_ == 0) return Status::Ok();
  checkpointing_ = true;
  changed_.wait(lock, [&] { return in_flight_ == 0 && !syncing_; });
  lock.unlock();
  int err = syncfs(root_fd_) == 0 ? 0 : errno;
  if (err == 0 && ftruncate(fd_, 0) != 0) err = errno;
  if (err == 0 && fdatasync(fd_) != 0) err = errno;
  lock.lock();
  checkpointing_ = false;
  if (err != 0) {
    failed_ = true;
    obs::Log(obs::Level::kError, "metadata journal: checkpoint failed; the drive takes no changes",
             {{"ERRNO", std::to_string(err)}});
  } else {
    size_ = 0;
    reserved_end_ = 0;
    synced_lsn_ = appended_lsn_;
    preallocate_locked();
    ++checkpoints_;
    g_checkpoints.fetch_add(1, std::memory_order_relaxed);
  }
  changed_.notify_all();
  if (err != 0) return StatusFromErrno(err, "metadata journal checkpoint failed");
  return Status::Ok();
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
  return size_;
}

void MetaJournal::set_checkpoint_bytes(uint64_t bytes) {
  std::lock_guard lock(mu_);
  checkpoint_bytes_ = bytes;
}

void MetaJournal::set_sync_for_test(std::function<int(int)> sync) {
  std::lock_guard lock(mu_);
  sync_ = std::move(sync);
}

MetaJournalTotals MetaJournalTotalsAllDrives() {
  return {g_records.load(std::memory_order_relaxed), g_syncs.load(std::memory_order_relaxed),
          g_checkpoints.load(std::memory_order_relaxed)};
}

}  // namespace flashstor::storage
