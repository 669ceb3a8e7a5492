// ErasureSet core: construction, erasure parameters for new objects, quorum metadata reads,
// the per-drive commit with rollback, and small shared helpers.
#include "flashstor/object/erasure_set.h"

#include <time.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "drive_fan_out.h"
#include "erasure_set_internal.h"
#include "flashstor/object/set_layout.h"
#include "flashstor/object/version_quorum.h"
#include "flashstor/obs/log.h"
#include "flashstor/storage/key_path.h"
#include "shard_io.h"

namespace flashstor::object {
namespace internal {

int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

Status ReduceErrors(const std::vector<Status>& errors, int quorum, Code quorum_code) {
  std::map<Code, int> counts;
  for (const Status& s : errors) ++counts[s.code()];
  if (counts[Code::kOk] >= quorum) return Status::Ok();
  Code best = Code::kOk;
  int best_count = 0;
  for (auto [code, count] : counts) {
    // Offline drives agree on nothing: their count never turns into the answer.
    if (code != Code::kOk && code != Code::kDiskNotFound && count > best_count)
      std::tie(best, best_count) = std::tie(code, count);
  }
  if (best_count >= quorum) return Status(best, "drives agree on this error");
  // Full drives cost the quorum: 507 (retrying cannot help), as for streamed writes.
  if (quorum_code == Code::kWriteQuorum && counts[Code::kOk] + counts[Code::kDiskFull] >= quorum)
    return Status(Code::kDiskFull, "drives full");
  return Status(quorum_code, "quorum not reached");
}

Status ToObjectStatus(const Status& s) {
  switch (s.code()) {
    case Code::kVolumeNotFound:
      return Status(Code::kNoSuchBucket, s.message());
    case Code::kFileNotFound:
      return Status(Code::kNoSuchKey, s.message());
    case Code::kFileNameTooLong:
      return Status(Code::kKeyTooLong, s.message());
    default:
      return s;
  }
}

bool IsValidBucketName(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(b.front()) || !alnum(b.back())) return false;
  for (size_t i = 0; i < b.size(); ++i) {
    char c = b[i];
    if (!alnum(c) && c != '-' && c != '.') return false;
    if (c == '.' && (b[i - 1] == '.' || b[i - 1] == '-' || b[i + 1] == '-')) return false;
  }
  return true;
}

void WarnNewerFormat(std::string_view bucket, std::string_view key) {
  static std::atomic<bool> warned{false};
  if (warned.exchange(true, std::memory_order_relaxed)) return;
  obs::Log(obs::Level::kWarning,
           "metadata written by a newer flashstor: such copies count as unreadable (this "
           "release cannot downgrade them); first seen",
           {{"BUCKET", bucket}, {"KEY", key}});
}

void DropLegacyMeta(storage::StorageApi& drive, std::string_view bucket, std::string_view key) {
  (void)drive.delete_path(bucket, key, storage::kLegacyMetaFile, false);
}

std::string BucketResource(std::string_view bucket) {
  // '%' never starts a bucket name, and object and upload resources contain a '/'.
  return "%bucket:" + std::string(bucket);
}

std::string ObjectResource(std::string_view bucket, std::string_view key) {
  std::string r(bucket);
  r.push_back('/');
  r.append(key);
  return r;
}

}  // namespace internal

using internal::NowNs;

ErasureSet::ErasureSet(int index, std::vector<std::shared_ptr<storage::StorageApi>> drives,
                       int default_parity, const EngineContext& ctx)
    : index_(index),
      drives_(std::move(drives)),
      default_parity_(default_parity),
      ctx_(ctx),
      refilling_(new std::atomic<bool>[drives_.size()]),
      shared_drives_(
          std::make_shared<const std::vector<std::shared_ptr<storage::StorageApi>>>(drives_)),
      stragglers_(std::make_shared<WorkerPool::Stragglers>(drives_.size())) {
  for (size_t d = 0; d < drives_.size(); ++d) {
    raw_.push_back(drives_[d].get());
    refilling_[d].store(false, std::memory_order_relaxed);
  }
}

std::vector<char> ErasureSet::fan_out_all(std::function<bool(size_t)> fn) const {
  return internal::CleanupFanOut({*ctx_.pool, raw_, stragglers_}, std::move(fn));
}

std::vector<char> ErasureSet::fan_out(const RequestContext& ctx, std::function<bool(size_t)> fn,
                                      size_t needed, const std::vector<bool>* taking_part,
                                      std::function<WorkerPool::Attempt(size_t)> attempt) const {
  return internal::QuorumFanOut({*ctx_.pool, raw_, stragglers_}, ctx, std::move(fn), needed,
                                taking_part, std::move(attempt));
}

std::vector<Status> ErasureSet::fan_out_steps(const RequestContext& ctx, DriveStep step,
                                              size_t needed, const std::vector<bool>* taking_part,
                                              bool (*counts)(const Status&)) const {
  const size_t n = raw_.size();
  // The tasks' answers: shared with them, as they may outlive this call.
  auto answers = std::make_shared<std::vector<Status>>(n);
  std::vector<bool> taking = taking_part != nullptr ? *taking_part : std::vector<bool>(n, true);
  const std::vector<char> answered = fan_out(
      ctx,
      [answers, taking, counts, step = std::move(step), drives = shared_drives_](size_t d) {
        storage::StorageApi* drive = (*drives)[d].get();
        if (drive == nullptr || !taking[d]) return false;
        Status s = step(*drive, d);
        const bool ok = counts != nullptr ? counts(s) : s.ok();
        (*answers)[d] = std::move(s);
        return ok;
      },
      needed, &taking);
  std::vector<Status> result(n, Status(Code::kDiskNotFound, "drive offline"));
  for (size_t d = 0; d < n; ++d) {
    if (raw_[d] == nullptr || !taking[d]) continue;
    result[d] =
        answered[d] ? (*answers)[d] : Status(Code::kDiskNotFound, "drive did not answer in time");
  }
  return result;
}

size_t ErasureSet::read_needed() const {
  return std::min<size_t>(raw_.size(), static_cast<size_t>(read_quorum()) + 1);
}

std::vector<bool> ErasureSet::without_stragglers(std::vector<bool> taking_part,
                                                 size_t needed) const {
  std::vector<bool> idle = taking_part;
  size_t usable = 0;
  for (size_t d = 0; d < idle.size(); ++d) {
    idle[d] = idle[d] && raw_[d] != nullptr && stragglers_->at(d) == 0;
    usable += idle[d];
  }
  return usable >= needed ? idle : taking_part;
}

void ErasureSet::set_refilling(size_t drive, bool refilling) {
  refilling_[drive].store(refilling, std::memory_order_relaxed);
}

int ErasureSet::bucket_write_quorum() const {
  return WriteQuorum(drive_count() - default_parity_, default_parity_);
}

ErasureInfo ErasureSet::new_erasure(std::string_view key, std::string_view storage_class) const {
  const int n = drive_count();
  ErasureInfo e;
  e.parity = ParityForClass(storage_class, n, default_parity_);
  e.data = n - e.parity;
  e.block_size = ctx_.config.block_size;
  // Rotate shard indices by the key's hash so parity (and load) spreads over the drives.
  int shift = SetForKey(key, n);
  for (int d = 0; d < n; ++d) e.distribution.push_back(1 + (d + shift) % n);
  return e;
}

void ErasureSet::queue_heal(std::string_view bucket, std::string_view key) {
  if (ctx_.heal_queue != nullptr) ctx_.heal_queue->push(bucket, key);
}

void ErasureSet::remove_sys_dir(const std::string& tmp_key, const std::vector<char>* skip) {
  // A tmp dir left on a drive that did not answer goes with the drive's tmp sweep when it is
  // next opened.
  std::vector<char> visit(raw_.size(), 1);
  bool any = false;
  for (size_t d = 0; d < visit.size(); ++d) {
    if (skip != nullptr && d < skip->size() && (*skip)[d] != 0) visit[d] = 0;
    any |= visit[d] != 0 && raw_[d] != nullptr;
  }
  if (!any) return;
  (void)fan_out_all([tmp_key, visit, drives = shared_drives_](size_t d) {
    if (visit[d] != 0) (*drives)[d]->delete_path(storage::kSysVolume, tmp_key, "", true);
    return true;
  });
}

namespace {

// What the metadata reads of one read_meta hand back, drive by drive: shared with its tasks,
// which may outlive the call (worker_pool.h). A drive's slot is the caller's once its task
// answered; the caller reads answered slots in place (no copy into vectors of its own), and
// never touches the others, which stay with their stragglers. One vector of per-drive slots
// rather than a vector per field: every GET and HEAD makes one, so allocations count.
struct DriveMeta {
  std::optional<MetaVersions> list;  // set: the drive's versions (empty: known absent)
  Status error = Status(Code::kDiskNotFound, "drive offline");
  uint8_t legacy = 0;
  bool refilling = false;
};
struct MetaReads {
  std::string bucket, key;
  std::vector<DriveMeta> drives;
};

// One drive's metadata read of a read_meta into its slot: a blocking read on a pool thread,
// or (cached) a non-blocking try on the caller's.
WorkerPool::Attempt ReadDriveMeta(MetaReads& r,
                                  const std::vector<std::shared_ptr<storage::StorageApi>>& drives,
                                  size_t d, bool cached) {
  using Attempt = WorkerPool::Attempt;
  storage::StorageApi* drive = drives[d].get();
  if (drive == nullptr) return Attempt::kFailed;
  DriveMeta& slot = r.drives[d];
  auto file = internal::ReadMetaFile(*drive, r.bucket, r.key, cached);
  if (!file) {
    if (file.error() == Code::kWouldBlock) return Attempt::kWouldBlock;
    slot.error = file.error();
    const bool absent =
        file.error() == Code::kFileNotFound || file.error() == Code::kVolumeNotFound;
    if (absent && !slot.refilling) slot.list.emplace();  // known absent
    return slot.list.has_value() ? Attempt::kSucceeded : Attempt::kFailed;
  }
  slot.legacy = file->legacy;
  auto versions = DecodeMetaVersions(file->bytes());
  if (!versions) {
    slot.error = versions.error();  // says why: checksum, truncation, newer format...
    if (versions.error() == Code::kNotImplemented) internal::WarnNewerFormat(r.bucket, r.key);
    return Attempt::kFailed;
  }
  bool fits = true;
  for (size_t i = 0; fits && i < versions->size(); ++i) {
    const ErasureInfo& e = (*versions)[i].erasure;
    fits = e.distribution.size() == drives.size() && e.index == e.distribution[d];
  }
  if (fits) {
    slot.list = std::move(*versions);
    slot.error = Status::Ok();
  } else {
    slot.error = Status(Code::kCorrupt, "metadata does not fit this drive's slot");
  }
  return fits ? Attempt::kSucceeded : Attempt::kFailed;
}

}  // namespace

Result<ErasureSet::MetaQuorum> ErasureSet::read_meta(const RequestContext& ctx,
                                                     std::string_view bucket, std::string_view key,
                                                     bool queue, std::string_view version_id) {
  const size_t n = raw_.size();
  auto reads = std::make_shared<MetaReads>();
  reads->bucket = bucket;
  reads->key = key;
  reads->drives.resize(n);
  for (size_t d = 0; d < n; ++d) reads->drives[d].refilling = refilling(d);
  // Returns once read quorum + 1 drives answered with their versions (or as known absent),
  // or failures make that impossible, plus a grace for the rest: a drive that has not
  // answered by then counts as offline for this request, like one the health checker took
  // offline, and is not healed for it.
  const std::vector<char> answered = fan_out(
      ctx,
      [reads, drives = shared_drives_](size_t d) {
        return ReadDriveMeta(*reads, *drives, d, false) == WorkerPool::Attempt::kSucceeded;
      },
      read_needed(), nullptr,
      [&reads, this](size_t d) { return ReadDriveMeta(*reads, *shared_drives_, d, true); });
  // Only the answered drives' slots are read (in place); the others stay with their
  // stragglers. view[d]: the answered drive's versions, null when it has none for us.
  std::vector<const MetaVersions*> view(n, nullptr);
  std::vector<Status> errors(n, Status(Code::kDiskNotFound, "drive did not answer in time"));
  int no_bucket = 0;
  for (size_t d = 0; d < n; ++d) {
    if (raw_[d] == nullptr) errors[d] = Status(Code::kDiskNotFound, "drive offline");
    if (!answered[d]) continue;
    DriveMeta& slot = reads->drives[d];
    if (slot.list) view[d] = &*slot.list;
    errors[d] = slot.error;
  }
  for (size_t d = 0; d < n; ++d) no_bucket += errors[d] == Code::kVolumeNotFound;
  std::function<bool(const ObjectMeta&)> wanted;
  if (!version_id.empty()) wanted = [&](const ObjectMeta& v) { return v.version_id == version_id; };
  const VersionPick pick = PickVersion(view, WriteQuorum(read_quorum(), default_parity_), wanted);
  if (pick.verdict != VersionPick::Verdict::kFound) {
    if (queue && pick.dangling) queue_heal(bucket, key);  // heal purges what never committed
    if (no_bucket >= read_quorum()) return Err(Code::kNoSuchBucket, "bucket not found");
    if (pick.verdict == VersionPick::Verdict::kAbsent) {
      if (!version_id.empty()) return Err(Code::kNoSuchVersion, "no such version");
      return Err(Code::kNoSuchKey, "object not found");
    }
    return Err(Code::kReadQuorum, "object metadata has no read quorum");
  }
  MetaQuorum q;
  // The key's versions, before the winner's copies move out of the drives' slots.
  const std::vector<VersionRef> live = LiveVersions(view);
  q.live.reserve(live.size());
  for (const VersionRef& r : live) q.live.push_back(KeyOf((*view[r.drive])[r.slot]));
  q.winner = pick.drive;
  q.per_drive.resize(n);
  q.in_quorum.assign(n, false);
  q.sole.assign(n, false);
  q.errors = std::move(errors);
  // Moved, not copied: the winner drive's slot is found first (FindVersion compares with it
  // before it moves), then every other holder's.
  const ObjectMeta& winner = (*view[pick.drive])[pick.slot];
  q.newest_record_ns = winner.mod_time_ns;
  for (size_t d = 0; d < n; ++d) {
    if (!view[d]) continue;
    for (const ObjectMeta& v : *view[d]) {
      if (v.version_id == winner.version_id && v.data_dir == winner.data_dir &&
          v.etag == winner.etag) {
        q.newest_record_ns = std::max(q.newest_record_ns, v.mod_time_ns);
      }
    }
  }
  std::vector<int> slots(n, -1);
  std::vector<uint8_t> canonical(n, 0);  // the drive holds the key's versions, nothing else
  for (size_t d = 0; d < n; ++d) {
    slots[d] = view[d] ? FindVersion(*view[d], winner) : -1;
    if (slots[d] < 0 || view[d]->size() != q.live.size()) continue;
    bool same = true;
    for (size_t i = 0; same && i < q.live.size(); ++i) same = q.live[i].same((*view[d])[i]);
    canonical[d] = same;
  }
  bool degraded = false;
  for (size_t d = 0; d < n; ++d) {
    if (slots[d] >= 0) {
      q.per_drive[d] = std::move((*reads->drives[d].list)[static_cast<size_t>(slots[d])]);
      q.in_quorum[d] = true;
      // A legacy %m.json is never "sole": heal rewrites it as %m.bin.
      q.sole[d] = canonical[d] != 0 && reads->drives[d].legacy == 0;
    }
    q.members += q.in_quorum[d];
    degraded |= raw_[d] != nullptr && !q.sole[d] && q.errors[d] != Code::kDiskNotFound;
  }
  if (queue && degraded) queue_heal(bucket, key);
  return q;
}

namespace {

// One commit's state, shared with its drive tasks, which may outlive the commit (worker_pool.h).
// A drive's slots are the caller's once its task answered.
struct CommitState {
  explicit CommitState(size_t n)
      : commits(n), result(n, Status(Code::kDiskNotFound, "not taking part")), receipts(n) {}
  std::vector<storage::VersionCommit> commits;  // what each drive is asked to commit
  std::vector<Status> result;
  std::vector<storage::CommitReceipt> receipts;  // what each drive did, for finish or undo
  // Set once the commit's quorum was decided: a drive's task that has not started its commit
  // by then gives up instead of committing late.
  std::atomic<bool> decided{false};
};

}  // namespace

Status ErasureSet::commit(const RequestContext& ctx, const CommitPlan& plan,
                          std::vector<char>* committed) {
  // Shared bucket lock around the drive writes only: DeleteBucket holds it exclusively from
  // its emptiness check to the delete, so a commit lands either before the check (the bucket
  // is not empty) or after the delete (no volume to write into: kNoSuchBucket).
  auto bucket_lock = ctx_.locks->lock(internal::BucketResource(plan.bucket), false, ctx);
  if (!bucket_lock) return bucket_lock.error();
  // A writer whose lease on the key was lost (a distributed lock can expire) must not commit.
  if (plan.fence != 0) {
    FS_RETURN_IF_ERROR(
        ctx_.locks->check_fence(internal::ObjectResource(plan.bucket, plan.key), plan.fence));
  }
  const size_t n = raw_.size();
  // One version-level call per drive (StorageApi::commit_version), as a quorum fan-out: it
  // returns once the write quorum answered (plus a grace). A drive that did not answer counts
  // as failed for this object (heal completes it later); its task holds the state below,
  // never this frame. A task that has not started when the quorum is decided gives up; a call
  // already under way can still land, and then the drive holds the version the quorum
  // decided on (or, on a rolled-back commit, a dangling one the version quorum rule ignores
  // and heal purges).
  auto st = std::make_shared<CommitState>(n);
  for (size_t d = 0; d < n; ++d) {
    if (raw_[d] == nullptr || !plan.participate[d]) continue;
    storage::VersionCommit& c = st->commits[d];
    c.volume = plan.bucket;
    c.key = plan.key;
    c.src_volume = plan.src_volume;
    c.src_key = plan.src_key;
    c.src_dir = plan.src_file;
    c.data_dir = plan.data_dir;
    if (!plan.meta.empty()) c.version = plan.meta[d];
    c.keep = plan.keep;
    c.in_place = plan.in_place;
    c.replaces = plan.replaces;
    c.drive_count = static_cast<int>(n);
    c.write_quorum = plan.write_quorum;
  }
  const size_t quorum = static_cast<size_t>(std::max(plan.write_quorum, 0));
  std::vector<char> answered = fan_out(
      ctx,
      [st, drives = shared_drives_](size_t d) {
        storage::StorageApi* drive = (*drives)[d].get();
        if (drive == nullptr || st->commits[d].volume.empty()) return false;
        Status& result = st->result[d];
        if (st->decided.load(std::memory_order_acquire)) {
          result = Status(Code::kDiskNotFound, "drive answered after the commit was decided");
          return false;
        }
        auto receipt = drive->commit_version(st->commits[d]);
        if (!receipt) {
          result = receipt.error();
          return false;
        }
        st->receipts[d] = std::move(*receipt);
        result = Status::Ok();
        return true;
      },
      quorum, &plan.participate);
  st->decided.store(true, std::memory_order_release);
  // The answered drives' results; the others did not answer in time.
  std::vector<Status> result(n);
  std::vector<char> ok(n, 0);
  for (size_t d = 0; d < n; ++d) {
    if (raw_[d] == nullptr || !plan.participate[d]) {
      result[d] = Status(Code::kDiskNotFound, "not taking part");
    } else if (answered[d]) {
      result[d] = st->result[d];
    } else {
      result[d] = Status(Code::kDiskNotFound, "drive did not answer in time");
    }
    ok[d] = answered[d] && result[d].ok();
  }
  if (committed != nullptr) *committed = ok;
  Status reduced = internal::ReduceErrors(result, plan.write_quorum, Code::kWriteQuorum);
  if (reduced.ok()) {
    // The new version is on a write quorum: the drives drop what they kept as a fallback and
    // free the data dirs no version names any more.
    bool incomplete = false;
    for (size_t d = 0; d < n; ++d) incomplete |= raw_[d] != nullptr && ok[d] == 0;
    bool work = false;
    for (size_t d = 0; d < n; ++d) work |= ok[d] && st->receipts[d].needs_finish;
    if (work) {
      std::vector<char> finished = fan_out_all([st, ok, drives = shared_drives_](size_t d) {
        if (!ok[d]) return false;
        // Else heal drops the fallback versions later.
        return (*drives)[d]->finish_commit(st->commits[d], st->receipts[d]).ok();
      });
      // A drive that did not answer, or failed to finish: heal finishes it.
      for (size_t d = 0; d < n; ++d) incomplete |= ok[d] && finished[d] == 0;
    }
    if (incomplete) queue_heal(plan.bucket, plan.key);
    return Status::Ok();
  }
  // Roll back the drives that committed, so the previous version stays the quorum's. A drive
  // that does not answer here (or committed late) holds a version below its quorum: dangling,
  // ignored by readers, purged by heal.
  std::vector<char> undone = fan_out_all([st, ok, drives = shared_drives_](size_t d) {
    if (!ok[d]) return false;
    (void)(*drives)[d]->undo_commit(st->commits[d], st->receipts[d]);
    return true;
  });
  for (size_t d = 0; d < n; ++d) {
    if (ok[d] && !undone[d]) {
      queue_heal(plan.bucket, plan.key);
      break;
    }
  }
  if (reduced == Code::kWriteQuorum) return reduced;
  return internal::ToObjectStatus(reduced);
}

}  // namespace flashstor::object
