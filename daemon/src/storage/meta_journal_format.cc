// The metadata journal's on-disk format: encoding a file's header and records, reading a file
// back (meta_journal_format.h).
//
// Reading stops at the log's end: the first place that does not start a record of the file's
// epoch (zeros, an earlier epoch's record, or the middle of one). It also stops at the first
// record of the epoch whose length or CRC does not check, which it reports: a crash
// mid-append leaves at most the last record torn, and nothing after a torn record was
// acknowledged (its append came later, its sync covered it).
//
// A log of the first release (records from byte 0, 12-byte headers without epochs, emptied
// by truncation) is read as such.
#include "meta_journal_format.h"

#include <isa-l/crc.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "flashstor/storage/uuid.h"
#include "fs_util.h"

namespace flashstor::storage::journal {
namespace {

constexpr uint32_t kRecordMagic = 0x4a4d5346;  // "FSMJ"
constexpr uint32_t kFileMagic = 0x4c4d5346;    // "FSML"
constexpr uint32_t kFileVersion = 1;
constexpr size_t kFileHeaderUsed = 28;  // magic, version, epoch, sequence, CRC
constexpr size_t kRecordHeaderBytes = 20;
constexpr size_t kLegacyRecordHeaderBytes = 12;  // magic, length, CRC: no epoch
constexpr size_t kBodyFixedBytes = 3;            // op, path length
static_assert(kHeadBytes == kRecordHeaderBytes + kBodyFixedBytes);
constexpr size_t kReadWindow = 64u << 10;

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

// Decodes the records from start into *out, leaving out cancelled ones (and the cancels).
// epoch: the header's, or nullopt for a log of the first release (records without epochs).
DecodeStop Decode(LogReader& log, uint64_t start, std::optional<uint64_t> epoch,
                  std::vector<std::pair<uint64_t, Record>>* out) {
  const size_t header_bytes = epoch ? kRecordHeaderBytes : kLegacyRecordHeaderBytes;
  std::vector<std::pair<uint64_t, Record>> read;
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
    if (len < kBodyFixedBytes || len > kBodyFixedBytes + kMaxPathBytes + kMaxDataBytes) {
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
    Record r;
    r.op = static_cast<Op>(op);
    r.path = std::string(body.substr(kBodyFixedBytes, path_len));
    r.data = std::string(body.substr(kBodyFixedBytes + path_len));
    if (r.op == Op::kCancel) {
      cancelled.push_back(Get64(r.data.data()));
    } else {
      read.emplace_back(at, std::move(r));
    }
    at += header_bytes + len;
  }
  stop.end = at;
  for (auto& [offset, r] : read) {
    if (std::find(cancelled.begin(), cancelled.end(), offset) == cancelled.end()) {
      out->emplace_back(offset, std::move(r));
    }
  }
  return stop;
}

}  // namespace

Head HeadOf(uint64_t epoch, Op op, std::string_view path, std::string_view data) {
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

std::string Encode(uint64_t epoch, Op op, std::string_view path, std::string_view data) {
  const Head head = HeadOf(epoch, op, path, data);
  std::string out(reinterpret_cast<const char*>(head.data()), head.size());
  return out.append(path).append(data);
}

std::array<char, 8> CancelData(uint64_t offset) {
  std::array<char, 8> data{};
  for (int i = 0; i < 8; ++i) data[i] = static_cast<char>((offset >> (8 * i)) & 0xff);
  return data;
}

uint64_t NewEpoch(uint64_t last) {
  uint64_t epoch = 0;
  while (epoch == 0 || epoch == last) {
    std::array<uint8_t, 8> b{};
    FillRandom(b);
    epoch = Get64(reinterpret_cast<const char*>(b.data()));
  }
  return epoch;
}

std::array<uint8_t, kFileHeaderBytes> FileHeader(uint64_t epoch, uint64_t seq) {
  std::array<uint8_t, kFileHeaderBytes> block{};
  Put32(block.data(), kFileMagic);
  Put32(block.data() + 4, kFileVersion);
  Put64(block.data() + 8, epoch);
  Put64(block.data() + 16, seq);
  Put32(block.data() + 24, Crc(Chars(block.data(), 24)));
  return block;
}

Status ReadFile(int fd, FileContents* out) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return StatusFromErrno(errno, "cannot read the metadata journal");
  out->size = static_cast<uint64_t>(st.st_size);
  if (out->size == 0) {
    out->empty = true;
    return Status::Ok();
  }
  LogReader log(fd, out->size);
  std::string_view head;
  int err = 0;
  DecodeStop stop;
  if (!log.view(0, 4, &head, &err)) {
    out->damage = "torn log header";
    out->needs_reset = true;
  } else if (Get32(head.data()) == kRecordMagic) {  // the first release's format
    stop = Decode(log, 0, std::nullopt, &out->records);
    out->needs_reset = true;
  } else if (!log.view(0, kFileHeaderUsed, &head, &err) || Get32(head.data()) != kFileMagic ||
             Crc(head.substr(0, 24)) != Get32(head.data() + 24) ||
             Get32(head.data() + 4) != kFileVersion) {
    out->damage = "bad log header";
    out->needs_reset = true;
  } else {
    out->epoch = Get64(head.data() + 8);
    out->seq = Get64(head.data() + 16);
    stop = Decode(log, kFileHeaderBytes, out->epoch, &out->records);
    out->end = stop.end;
  }
  if (err == 0) err = stop.err;
  if (err != 0) return StatusFromErrno(err, "cannot read the metadata journal");
  if (!stop.why.empty()) out->damage = stop.why;
  return Status::Ok();
}

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

}  // namespace flashstor::storage::journal
