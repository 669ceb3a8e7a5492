// The metadata journal's on-disk format (docs/design.md, "The metadata journal"): a log file's
// header block, its records, and reading a file back up to the end of its epoch. MetaJournal
// (meta_journal.h) does the appending, syncing and checkpointing.
//
// A log file: a 4 KiB header block (magic, version, epoch, sequence, CRC-32C of those), then
// records. A record is a 20-byte header (magic, body length, epoch, CRC-32C of the epoch and
// body) and a body (op, path length, path, data), integers little-endian. An epoch is 64
// random bits, drawn anew whenever the file is emptied: what earlier epochs left in the
// reused blocks (or bytes a client chose, inside an old record's data) cannot pass for this
// epoch's records. The sequence orders a drive's two log files for a replay.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flashstor/common/status.h"

namespace flashstor::storage::journal {

// kCancel: the record at the offset in data (8 bytes, little-endian) was not applied; a
// replay skips both.
enum class Op : uint8_t { kWrite = 1, kRemove = 2, kCancel = 3 };
struct Record {
  Op op = Op::kWrite;
  std::string path;  // drive-relative
  std::string data;  // the file's new contents (kWrite)
};

inline constexpr uint64_t kFileHeaderBytes = 4096;
inline constexpr size_t kMaxPathBytes = 4096;
inline constexpr size_t kMaxDataBytes = 32u << 20;
// A record's header and the body's fixed bytes (op, path length); then the path, the data.
inline constexpr size_t kHeadBytes = 23;
using Head = std::array<uint8_t, kHeadBytes>;
Head HeadOf(uint64_t epoch, Op op, std::string_view path, std::string_view data);
std::string Encode(uint64_t epoch, Op op, std::string_view path, std::string_view data);
// The cancel record's data: the cancelled record's offset.
std::array<char, 8> CancelData(uint64_t offset);

// The header block of a file in epoch with sequence seq.
std::array<uint8_t, kFileHeaderBytes> FileHeader(uint64_t epoch, uint64_t seq);
// A new epoch: random, never 0 (zeros are a file's unwritten tail) nor last.
uint64_t NewEpoch(uint64_t last);

// What a log file holds.
struct FileContents {
  bool empty = false;        // no bytes at all (new): nothing to replay, no header yet
  bool needs_reset = false;  // not this format (the first release's, or a bad header)
  uint64_t epoch = 0, seq = 0;
  // The records to replay, with their offsets, cancelled ones (and the cancels) left out.
  std::vector<std::pair<uint64_t, Record>> records;
  uint64_t end = kFileHeaderBytes;  // where the next record goes (this format only)
  uint64_t size = 0;                // the file's size
  std::string damage;               // what stopped the read before the epoch's end
};
// Reads the file open at fd: its header, then its epoch's records up to the first place that
// does not start one (zeros, an earlier epoch's bytes: the end) or to the first record of the
// epoch whose length or CRC does not check (damage). A log of the first release (records from
// byte 0, no epoch) is read as such (needs_reset). A header that does not check also leaves
// needs_reset and nothing to replay: a header is rewritten only once every change its file
// holds was made durable.
Status ReadFile(int fd, FileContents* out);

// Writes zeros over [from, to) of fd; 0 or errno.
int WriteZeros(int fd, uint64_t from, uint64_t to);

}  // namespace flashstor::storage::journal
