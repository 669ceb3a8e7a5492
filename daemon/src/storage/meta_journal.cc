// MetaJournal: the file format, the group commit and the checkpoint (meta_journal.h).
//
// The file: a 4 KiB header block (magic, version, epoch, CRC-32C of those), then records. A
// record is a 20-byte header (magic, body length, epoch, CRC-32C of the epoch and body) and a
// body (op, path length, path, data), integers little-endian. An epoch is 64 random bits,
// drawn anew at each checkpoint: what earlier epochs left in the reused blocks (or bytes that
// a client chose, inside an old record's data) cannot pass for this epoch's records.
//
// Reading stops at the log's end: the first place that does not start a record of this epoch
// (zeros, an earlier epoch's record, or the middle of one). It also stops at the first record
// of this epoch whose length or CRC does not check, which it reports: a crash mid-append
// leaves at most the last record torn, and nothing after a torn record was acknowledged (its
// append came later, its sync covered it).
//
// A log of the first release (records from byte 0, no epochs, emptied by truncation) is read
// as such, and rewritten in this format by the checkpoint after its replay.
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
#include <optional>

#include "flashstor/obs/log.h"
#include "flashstor/storage/meta_journal_totals.h"
#include "flashstor/storage/uuid.h"
#include "fs_util.h"

namespace flashstor::storage {
namespace {

constexpr uint32_t kRecordMagic = 0x4a4d5346;  // "FSMJ"
constexpr uint32_t kFileMagic = 0x4c4d5346;    // "FSML"
constexpr uint32_t kFileVersion = 1;
constexpr size_t kFileHeaderUsed = 20;  // magic, version, epoch, CRC
constexpr size_t kRecordHeaderBytes = 20;
constexpr size_t kLegacyRecordHeaderBytes = 12;  // magic, length, CRC: no epoch
constexpr size_t kBodyFixedBytes = 3;            // op, path length
static_assert(MetaJournal::kHeadBytes == kRecordHeaderBytes + kBodyFixedBytes);
constexpr size_t kReadWindow = 64u << 10;
constexpr mode_t kLogMode = 0640;

// Process-wide sums of every drive's counters (MetaJournalTotalsAllDrives).
std::atomic<uint64_t> g_records{0}, g_syncs{0}, g_checkpoints{0};

void Put32(uint8_t* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>((v >> (8 * i)) & 0xff);
}

void Put64(uint8_t* out, uint64_t v) {
  Put32(out, static_cast<uint32_t>(v));
  Put32(out + 4, static_cast<uint32_t>(v >> 32));
}

uint32_t Get32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint64_t Get64(const char* p) {
  return Get32(p) | (static_cast<uint64_t>(Get32(p + 4)) << 32);
}

uint32_t Crc(std::string_view bytes, uint32_t crc = 0) {
  return crc32_iscsi(reinterpret_cast<unsigned char*>(const_cast<char*>(bytes.data())),
                     static_cast<int>(bytes.size()), crc);
}

std::string_view Chars(const uint8_t* p, size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

// A new epoch: random, never 0 (zeros are the file's unwritten tail) nor the last one.
uint64_t NewEpoch(uint64_t last) {
  uint64_t epoch = 0;
  while (epoch == 0 || epoch == last) {
    std::array<uint8_t, 8> b{};
    FillRandom(b);
    epoch = Get64(reinterpret_cast<const char*>(b.data()));
  }
  return epoch;
}

// The file's header block for epoch.
std::array<uint8_t, MetaJournal::kFileHeaderBytes> FileHeader(uint64_t epoch) {
  std::array<uint8_t, MetaJournal::kFileHeaderBytes> block{};
  Put32(block.data(), kFileMagic);
  Put32(block.data() + 4, kFileVersion);
  Put64(block.data() + 8, epoch);
  Put32(block.data() + 16, Crc(Chars(block.data(), 16)));
  return block;
}

// Reads a log in windows (a reused log is mostly stale records past its end, which are
// never read).
class LogReader {
 public:
  LogReader(int fd, uint64_t file_size) : fd_(fd), file_size_(file_size) {}
  // The n bytes at off, or false (past the end of the file, or an error in *err).
  bool view(uint64_t off, size_t n, std::string_view* out, int* err) {
    if (off + n > file_size_) return false;
    if (off < at_ || off + n > at_ + buf_.size()) {
      buf_.resize(
          static_cast<size_t>(std::min<uint64_t>(std::max(n, kReadWindow), file_size_ - off)));
      const int64_t got =
          fs::PreadFull(fd_, {reinterpret_cast<uint8_t*>(buf_.data()), buf_.size()}, off);
      if (got < 0) {
        *err = static_cast<int>(-got);
        return false;
      }
      buf_.resize(static_cast<size_t>(got));
      at_ = off;
      if (buf_.size() < n) return false;
    }
    *out = std::string_view(buf_).substr(static_cast<size_t>(off - at_), n);
    return true;
  }

 private:
  const int fd_;
  const uint64_t file_size_;
  std::string buf_;
  uint64_t at_ = 0;
};

// Where and why decoding stopped: end is the offset of the first byte not read as a record
// (the next append's place); why is empty at the log's end, else the damage found there.
struct DecodeStop {
  uint64_t end = 0;
  std::string why;
  int err = 0;  // a read error
};

// Decodes the records from start into *pending, leaving out cancelled ones (and the cancels).
// epoch: the header's, or nullopt for a log of the first release (records without epochs).
DecodeStop Decode(LogReader& log, uint64_t start, std::optional<uint64_t> epoch,
                  std::vector<MetaJournal::Record>* pending) {
  const size_t header_bytes = epoch ? kRecordHeaderBytes : kLegacyRecordHeaderBytes;
  std::vector<std::pair<uint64_t, MetaJournal::Record>> read;
  std::vector<uint64_t> cancelled;
  DecodeStop stop{start, "", 0};
  uint64_t at = start;
  for (;;) {
    const std::string where = " at byte " + std::to_string(at);
    std::string_view h;
    if (!log.view(at, header_bytes, &h, &stop.err)) {
      if (stop.err == 0 && log.view(at, 1, &h, &stop.err)) stop.why = "torn record header" + where;
      break;
    }
    const uint32_t len = Get32(h.data() + 4);
    if (epoch && (Get32(h.data()) != kRecordMagic || Get64(h.data() + 8) != *epoch)) {
      break;  // zeros or an earlier epoch's bytes: the end of this one
    }
    if (Get32(h.data()) != kRecordMagic) {
      stop.why = "bad record magic" + where;
      break;
    }
    if (len < kBodyFixedBytes ||
        len > kBodyFixedBytes + MetaJournal::kMaxPathBytes + MetaJournal::kMaxDataBytes) {
      stop.why = "bad record length" + where;
      break;
    }
    std::string_view whole;
    if (!log.view(at, header_bytes + len, &whole, &stop.err)) {
      if (stop.err == 0) stop.why = "torn record" + where;
      break;
    }
    h = whole.substr(0, header_bytes);
    const std::string_view body = whole.substr(header_bytes);
    const uint32_t crc = epoch ? Crc(body, Crc(h.substr(8, 8))) : Crc(body);
    if (crc != Get32(h.data() + header_bytes - 4)) {
      stop.why = "record checksum mismatch" + where;
      break;
    }
    const uint8_t op = static_cast<uint8_t>(body[0]);
    const size_t path_len =
        static_cast<uint8_t>(body[1]) | (static_cast<size_t>(static_cast<uint8_t>(body[2])) << 8);
    const size_t data_len = body.size() - kBodyFixedBytes - std::min(path_len, body.size());
    if (op < 1 || op > 3 || path_len == 0 || path_len > body.size() - kBodyFixedBytes ||
        (op == 3 && data_len != 8)) {
      stop.why = "bad record body" + where;
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
    at += header_bytes + len;
  }
  stop.end = at;
  for (auto& [offset, r] : read) {
    if (std::find(cancelled.begin(), cancelled.end(), offset) == cancelled.end()) {
      pending->push_back(std::move(r));
    }
  }
  return stop;
}

// Writes zeros over [from, to); 0 or errno.
int WriteZeros(int fd, uint64_t from, uint64_t to) {
  alignas(4096) static const uint8_t kZeroPage[4096] = {};
  constexpr int kPages = 64;
  while (from < to) {
    iovec iov[kPages];
    int count = 0;
    uint64_t batch = 0;
    while (count < kPages && from + batch < to) {
      const size_t n =
          static_cast<size_t>(std::min<uint64_t>(sizeof(kZeroPage), to - from - batch));
      iov[count++] = {const_cast<uint8_t*>(kZeroPage), n};
      batch += n;
    }
    if (int err = fs::WriteFullAtV(fd, iov, count, from); err != 0) return err;
    from += batch;
  }
  return 0;
}

}  // namespace

MetaJournal::Head MetaJournal::HeadOf(uint64_t epoch, Op op, std::string_view path,
                                      std::string_view data) {
  Head head{};
  uint8_t* fixed = head.data() + kRecordHeaderBytes;  // the body's first bytes: op, path length
  fixed[0] = static_cast<uint8_t>(op);
  fixed[1] = static_cast<uint8_t>(path.size() & 0xff);
  fixed[2] = static_cast<uint8_t>((path.size() >> 8) & 0xff);
  Put32(head.data(), kRecordMagic);
  Put32(head.data() + 4, static_cast<uint32_t>(kBodyFixedBytes + path.size() + data.size()));
  Put64(head.data() + 8, epoch);
  uint32_t crc = Crc(Chars(head.data() + 8, 8));
  crc = Crc(Chars(fixed, kBodyFixedBytes), crc);
  crc = Crc(data, Crc(path, crc));
  Put32(head.data() + 16, crc);
  return head;
}

std::string MetaJournal::Encode(uint64_t epoch, Op op, std::string_view path,
                                std::string_view data) {
  const Head head = HeadOf(epoch, op, path, data);
  std::string out(reinterpret_cast<const char*>(head.data()), head.size());
  return out.append(path).append(data);
}

MetaJournal::MetaJournal(int root_fd, int fd, int read_only_errno)
    : root_fd_(root_fd),
      fd_(fd),
      read_only_errno_(read_only_errno),
      sync_([](int f) { return fdatasync(f); }) {}

MetaJournal::~MetaJournal() {
  if (fd_ >= 0) close(fd_);
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
      return std::unique_ptr<MetaJournal>(new MetaJournal(root_fd, -1, read_only_errno));
    }
  }
  if (fd < 0) return std::unexpected(StatusFromErrno(errno, "cannot open the metadata journal"));
  std::unique_ptr<MetaJournal> journal(new MetaJournal(root_fd, fd, read_only_errno));
  if (Status read = journal->read_log(pending, damage); !read.ok()) {
    journal->root_fd_ = -1;  // the caller's to close
    return std::unexpected(read);
  }
  return journal;
}

Status MetaJournal::read_log(std::vector<Record>* pending, std::string* damage) {
  struct stat st {};
  if (fstat(fd_, &st) != 0) return StatusFromErrno(errno, "cannot read the metadata journal");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  LogReader log(fd_, file_size);
  std::string_view head;
  int err = 0;
  std::unique_lock lock(mu_);
  if (file_size == 0) {  // new (or emptied by a checkpoint that shrank it, then a crash)
    if (read_only_errno_ != 0) return Status::Ok();
    epoch_ = NewEpoch(0);
    err = write_header(epoch_, false);
    if (err == 0 && fdatasync(fd_) != 0) err = errno;
    if (err != 0) return StatusFromErrno(err, "cannot write the metadata journal's header");
    file_size_ = end_ = kFileHeaderBytes;
  } else if (!log.view(0, 4, &head, &err)) {
    if (err != 0) return StatusFromErrno(err, "cannot read the metadata journal");
    *damage = "torn log header";  // written only after a checkpoint's syncfs: nothing to replay
    needs_reset_ = true;
  } else if (Get32(head.data()) == kRecordMagic) {  // the first release's format
    const DecodeStop stop = Decode(log, 0, std::nullopt, pending);
    if (stop.err != 0) return StatusFromErrno(stop.err, "cannot read the metadata journal");
    *damage = stop.why;
    needs_reset_ = true;
  } else if (!log.view(0, kFileHeaderUsed, &head, &err) || Get32(head.data()) != kFileMagic ||
             Crc(head.substr(0, 16)) != Get32(head.data() + 16) ||
             Get32(head.data() + 4) != kFileVersion) {
    if (err != 0) return StatusFromErrno(err, "cannot read the metadata journal");
    // A header is rewritten only after a checkpoint's syncfs made every logged change
    // durable: torn, it leaves nothing to replay.
    *damage = "bad log header";
    needs_reset_ = true;
  } else {
    epoch_ = Get64(head.data() + 8);
    const DecodeStop stop = Decode(log, kFileHeaderBytes, epoch_, pending);
    if (stop.err != 0) return StatusFromErrno(stop.err, "cannot read the metadata journal");
    *damage = stop.why;
    end_ = stop.end;
    file_size_ = std::max(file_size, end_);
  }
  if (needs_reset_) {
    // Nothing is appended before the checkpoint that rewrites the file: the caller's after a
    // replay, or this one when there is nothing to replay.
    end_ = file_size_ = file_size;
    if (read_only_errno_ == 0 && pending->empty() && damage->empty()) {
      return checkpoint_locked(lock);
    }
    return Status::Ok();
  }
  grow_locked();
  return Status::Ok();
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
  const bool full = !failed_ && end_ - kFileHeaderBytes >= checkpoint_bytes_ && !checkpointing_;
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
  entry.offset_ = end_;
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
  const Head head = HeadOf(epoch_, op, path, data);
  const size_t record_size = head.size() + path.size() + data.size();
  if (read_only_errno_ != 0) return StatusFromErrno(read_only_errno_, "drive is read-only");
  if (failed_) return Status(Code::kFaultyDisk, "metadata journal failed: restart the drive");
  if (needs_reset_) return Status(Code::kFaultyDisk, "metadata journal not replayed");
  if (floor > 0 && end_ + record_size + floor > file_size_) {
    grow_locked(record_size);
    if (end_ + record_size + floor > file_size_) {
      // A full drive: the reserve left is for cancelling changes already logged.
      return StatusFromErrno(ENOSPC, "no room in the metadata journal");
    }
  }
  iovec parts[3] = {{const_cast<uint8_t*>(head.data()), head.size()},
                    {const_cast<char*>(path.data()), path.size()},
                    {const_cast<char*>(data.data()), data.size()}};
  if (int err = fs::WriteFullAtV(fd_, parts, 3, end_); err != 0) {
    // A record half-written (or written whole, the error coming later) must not be read as
    // the next one: its header is zeroed, or the journal fails.
    if (WriteZeros(fd_, end_, end_ + kRecordHeaderBytes) != 0) failed_ = true;
    file_size_ = std::max(file_size_, end_ + kRecordHeaderBytes);
    return StatusFromErrno(err, "cannot append to the metadata journal");
  }
  end_ += record_size;
  file_size_ = std::max(file_size_, end_);
  appended_lsn_ += record_size;
  entry->lsn_ = appended_lsn_;
  grow_locked();
  ++records_;
  g_records.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

void MetaJournal::grow_locked(uint64_t need) {
  if (read_only_errno_ != 0 ||
      file_size_ - end_ >= std::max<uint64_t>(kReserveBytes / 2, need + kCancelFloor)) {
    return;
  }
  constexpr uint64_t kBlock = 4096;
  const uint64_t want = end_ + std::max<uint64_t>(kReserveBytes, need + kCancelFloor);
  const uint64_t to = (want + kBlock - 1) / kBlock * kBlock;
  // Best effort: a drive already full appends as it can (and refuses at its floor).
  if (WriteZeros(fd_, file_size_, to) == 0) {
    file_size_ = to;
  } else if (ftruncate(fd_, static_cast<off_t>(file_size_)) != 0) {
    struct stat st {};  // the size is what the partial write left
    if (fstat(fd_, &st) == 0) file_size_ = std::max<uint64_t>(file_size_, st.st_size);
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
  if (end_ == kFileHeaderBytes && !needs_reset_) return Status::Ok();
  checkpointing_ = true;
  changed_.wait(lock, [&] { return in_flight_ == 0 && !syncing_; });
  const uint64_t next_epoch = NewEpoch(epoch_);
  // A log grown past twice its threshold (by a large record) is cut back; one not in this
  // format is rewritten.
  const bool shrink =
      needs_reset_ || file_size_ > kFileHeaderBytes + 2 * checkpoint_bytes_ + kReserveBytes;
  lock.unlock();
  // Every change applied is made durable; only then does the header's new epoch end the log.
  int err = syncfs(root_fd_) == 0 ? 0 : errno;
  if (err == 0) err = write_header(next_epoch, shrink);
  if (err == 0 && fdatasync(fd_) != 0) err = errno;
  lock.lock();
  checkpointing_ = false;
  if (err != 0) {
    failed_ = true;
    obs::Log(obs::Level::kError, "metadata journal: checkpoint failed; the drive takes no changes",
             {{"ERRNO", std::to_string(err)}});
  } else {
    epoch_ = next_epoch;
    end_ = kFileHeaderBytes;
    if (shrink) file_size_ = kFileHeaderBytes;
    needs_reset_ = false;
    synced_lsn_ = appended_lsn_;
    grow_locked();
    ++checkpoints_;
    g_checkpoints.fetch_add(1, std::memory_order_relaxed);
  }
  changed_.notify_all();
  if (err != 0) return StatusFromErrno(err, "metadata journal checkpoint failed");
  return Status::Ok();
}

int MetaJournal::write_header(uint64_t epoch, bool shrink) {
  if (shrink && ftruncate(fd_, 0) != 0) return errno;
  const auto block = FileHeader(epoch);
  return fs::WriteFullAt(fd_, {block.data(), shrink ? block.size() : kFileHeaderUsed}, 0);
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
  return end_ - kFileHeaderBytes;
}

uint64_t MetaJournal::epoch() const {
  std::lock_guard lock(mu_);
  return epoch_;
}

uint64_t MetaJournal::end_offset() const {
  std::lock_guard lock(mu_);
  return end_;
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
