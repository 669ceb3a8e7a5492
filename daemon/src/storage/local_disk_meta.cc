// LocalDisk's object metadata files (%m.bin) through the drive's metadata journal: logged,
// synced with the commits in flight, applied in place when the file's blocks hold the new
// bytes, cancelled when a change cannot be applied, and replayed when the drive is opened
// (meta_journal.h; docs/design.md, "The metadata journal").
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "flashstor/obs/log.h"
#include "flashstor/storage/local_disk.h"
#include "fs_util.h"
#include "meta_journal.h"

namespace flashstor::storage {
namespace {

// Ends a logged change. Applied, or not applied with its file untouched (then cancelled in the
// log, so a replay skips it): the drive goes on. Not applied with its file possibly changed (a
// failed write in place): the journal fails until the drive is opened again and replays it.
Status FinishLogged(MetaJournal& journal, MetaJournal::Entry& entry, const std::string& rel,
                    const Status& applied, bool touched) {
  bool consistent = applied.ok();
  if (!applied.ok() && !touched) {
    consistent = journal.cancel(entry, rel).ok() && journal.sync(entry).ok();
  }
  journal.done(entry, consistent);
  return applied;
}

}  // namespace

bool LocalDisk::Journaled(std::string_view volume, std::string_view file) {
  // Objects' metadata files: what a small PUT's commit consists of. The system volume's
  // records (formats, IAM, bucket records, uploads) keep their own fsyncs.
  return file == kMetaFile && volume != kSysVolume;
}

Status LocalDisk::write_meta(const std::string& rel, std::string_view data,
                             std::string_view volume) {
  ChangeNotice notice(*meta_cache_, rel);
  auto entry = journal_->append(MetaJournal::Op::kWrite, rel, data);
  if (!entry) return entry.error();
  // Durable before applied: a file rewritten in place and torn by a crash is rewritten from
  // its record at the next open (and the kernel may write a page back at any time).
  FS_RETURN_IF_ERROR(journal_->sync(*entry));
  bool touched = false;
  Status applied = apply_meta(rel, data, volume, &touched);
  return FinishLogged(*journal_, *entry, rel, applied, touched);
}

Status LocalDisk::apply_meta(const std::string& rel, std::string_view data, std::string_view volume,
                             bool* touched) {
  // Readers check against this (read_file, the walk); the journal orders writers of rel.
  MetaWriteSeq::Writing writing(meta_cache_->write_seq(), rel);
  int fd = openat(root_fd_, rel.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) {
    // In place only into blocks the file has: such a write cannot run out of space, so it
    // does not leave a torn file behind for a plain ENOSPC (a torn one is rewritten below).
    struct stat st {};
    const bool fits = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                      static_cast<uint64_t>(st.st_blocks) * 512 >= data.size();
    int err = EFBIG;
    if (fits) {
      *touched = true;
      err = fs::WriteFullAt(fd, fs::Bytes(data), 0);
      if (err == 0 && static_cast<uint64_t>(st.st_size) > data.size() &&
          ftruncate(fd, static_cast<off_t>(data.size())) != 0) {
        err = errno;
      }
    }
    close(fd);
    if (err == 0) return Status::Ok();
  }
  return replace_file(rel, data, volume, false);
}

Status LocalDisk::remove_meta(const std::string& rel, std::string_view volume) {
  ChangeNotice notice(*meta_cache_, rel);
  auto entry = journal_->append(MetaJournal::Op::kRemove, rel, {});
  if (!entry) return entry.error();
  FS_RETURN_IF_ERROR(journal_->sync(*entry));
  const int err = unlinkat(root_fd_, rel.c_str(), 0) == 0 ? 0 : errno;
  if (err == 0 || err == ENOENT || err == ENOTDIR) {  // no file there is what the record says
    journal_->done(*entry, true);
    if (err != 0) return error(err, "delete failed", volume);
    fs::PruneEmptyDirs(root_fd_, fs::Dirname(rel), fs::kVolumeDepth);
    return Status::Ok();
  }
  return FinishLogged(*journal_, *entry, rel, error(err, "delete failed", volume), false);
}

Status LocalDisk::open_journal() {
  std::vector<MetaJournal::Record> pending;
  std::string damage;
  bool shared = false;
  auto journal = MetaJournal::ForDrive(
      root_fd_, dev_, ino_, std::string(kSysVolume) + "/" + std::string(kMetaJournalFile), &pending,
      &damage, &shared);
  if (!journal) return journal.error();
  journal_ = std::move(*journal);
  if (shared) return Status::Ok();  // open in this process already: nothing to replay
  if (!journal_->writable() && (!pending.empty() || !damage.empty())) {
    // What the log holds may be missing from the files, and cannot be applied: offline
    // until the drive is writable again.
    return Status(Code::kFaultyDisk, "read-only drive with a metadata journal to replay");
  }
  if (!damage.empty()) {
    // A crash mid-append tears at most the last record, which nobody was told was written.
    obs::Log(obs::Level::kWarning, "metadata journal: replay stops at a damaged record",
             {{"DRIVE", path_}, {"WHY", damage}});
  }
  if (pending.empty() && damage.empty()) return Status::Ok();
  size_t applied = 0, skipped = 0;
  for (const MetaJournal::Record& r : pending) {
    const std::string_view volume = r.path.substr(0, r.path.find('/'));
    meta_cache_->changed(r.path);
    Status st = Status::Ok();
    if (r.op == MetaJournal::Op::kWrite) {
      st = replace_file(r.path, r.data, volume, false);
    } else if (unlinkat(root_fd_, r.path.c_str(), 0) == 0) {
      fs::PruneEmptyDirs(root_fd_, fs::Dirname(r.path), fs::kVolumeDepth);
    } else if (errno != ENOENT && errno != ENOTDIR) {
      st = error(errno, "cannot replay a removal", volume);
    }
    // A bucket deleted since is not made again (deleting one checkpoints the log first, so
    // this is a bucket whose deletion crashed half-way).
    if (st == Code::kVolumeNotFound) {
      ++skipped;
      continue;
    }
    if (!st.ok()) return st;
    ++applied;
  }
  obs::Log(obs::Level::kInfo, "metadata journal replayed",
           {{"DRIVE", path_},
            {"RECORDS", std::to_string(applied)},
            {"SKIPPED", std::to_string(skipped)}});
  return journal_->checkpoint();
}

}  // namespace flashstor::storage
