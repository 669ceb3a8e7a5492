// ErasureSet::heal_object: verify every shard block on every drive, rebuild missing or
// corrupt shards (and metadata) into tmp, and commit them on the damaged drives only, under
// the write lock and only if the object is still the version that was verified. Noncurrent
// versions are verified block by block the same way, and rebuilt onto the drives whose shards
// are damaged or whose metadata lacks them (a commit, a delete by id or an in-place update
// cut short).
#include <algorithm>

#include "erasure_set_internal.h"
#include "flashstor/mem/byte_vector_pool.h"
#include "flashstor/storage/uuid.h"
#include "shard_io.h"

namespace flashstor::object {

std::vector<bool> ErasureSet::verify_shards(const RequestContext& ctx, const MetaQuorum& q,
                                            std::string_view bucket, std::string_view key) {
  const size_t n = raw_.size();
  const ObjectMeta& meta = q.meta();
  std::vector<bool> bad(n, false);
  // An offline drive (absent, or health-checked and answering kDiskNotFound) is not healed:
  // nothing can be written to it. It is refilled when it rejoins.
  for (size_t d = 0; d < n; ++d) {
    bad[d] = raw_[d] != nullptr && !q.in_quorum[d] && q.errors[d] != Code::kDiskNotFound;
  }
  auto codec = erasure::ErasureCodec::Create(meta.erasure.data, meta.erasure.parity);
  if (!codec) return bad;
  std::vector<internal::ShardSlot> slots(n);
  for (size_t d = 0; d < n; ++d) {
    if (!q.in_quorum[d]) continue;
    auto& slot = slots[static_cast<size_t>(meta.erasure.distribution[d] - 1)];
    slot.drive = drives_[d];
    slot.drive_index = static_cast<int>(d);
    if (meta.inlined) slot.inline_data = q.per_drive[d]->inline_data;
  }
  const internal::ObjectLocation loc{std::string(bucket), std::string(key), meta.data_dir};
  const internal::Geometry geo{meta.erasure.block_size, meta.erasure.data};
  std::vector<mem::ShardBuffer> shards;
  std::vector<char> good;
  for (const PartMeta& part : meta.parts) {
    for (auto& slot : slots) slot.file.reset();
    for (uint64_t b = 0; b < geo.blocks(part.size); ++b) {
      internal::ReadShards(*ctx_.pool, **codec, slots, loc, geo, part, b, shards, good, true);
      for (size_t j = 0; j < good.size(); ++j) {
        if (good[j]) ctx_.counters->bytes_verified += shards[j].size();
      }
    }
    // Inline shards must also have exactly the expected length (no trailing garbage).
    if (meta.inlined) {
      for (auto& slot : slots) {
        if (slot.drive != nullptr && slot.inline_data.size() != geo.file_size(part.size)) {
          slot.failed = true;
        }
      }
    }
  }
  mem::ShardBuffers().give_all(shards);
  for (const auto& slot : slots) {
    if (slot.drive != nullptr && slot.failed) bad[static_cast<size_t>(slot.drive_index)] = true;
  }
  return bad;
}

Result<int> ErasureSet::rebuild_shards(const RequestContext& ctx, const MetaQuorum& q,
                                       const std::vector<bool>& bad, std::string_view bucket,
                                       std::string_view key, std::string_view version_id) {
  const size_t n = raw_.size();
  const ObjectMeta& meta = q.meta();
  auto codec = erasure::ErasureCodec::Create(meta.erasure.data, meta.erasure.parity);
  if (!codec) return std::unexpected(codec.error());
  std::vector<internal::ShardSlot> slots(n);
  for (size_t d = 0; d < n; ++d) {
    if (!q.in_quorum[d] || bad[d]) continue;
    auto& slot = slots[static_cast<size_t>(meta.erasure.distribution[d] - 1)];
    slot.drive = drives_[d];
    slot.drive_index = static_cast<int>(d);
    if (meta.inlined) slot.inline_data = q.per_drive[d]->inline_data;
  }
  const internal::ObjectLocation loc{std::string(bucket), std::string(key), meta.data_dir};
  const internal::Geometry geo{meta.erasure.block_size, meta.erasure.data};
  // The rebuilt data dir is staged as tmp/<staged> itself and renamed in as the version's
  // %d.<data dir>, as a PUT stages it: one folder a drive to make and none to remove.
  const std::string staged = storage::NewUuid();
  const std::string tmp_key = std::string(storage::kTmpKey) + "/" + staged;
  std::vector<bool> ok = bad;
  // Only the rebuilt drives get a tmp/<staged>: the others are skipped when it is removed,
  // and so is each one whose staged dir the commit renamed in.
  std::vector<char> skip(n);
  for (size_t d = 0; d < n; ++d) skip[d] = bad[d] ? 0 : 1;
  std::vector<std::string> inline_out(n);
  std::vector<mem::ShardBuffer> shards;
  for (const PartMeta& part : meta.parts) {
    std::unique_ptr<internal::ShardWriters> writers;
    if (!meta.inlined) {
      std::string file = internal::PartFile(part.number);
      size_t damaged = 0;
      for (bool b : ok) damaged += b;
      // Heal waits for every drive it rebuilds (it is not a request), within its deadline
      // (an admin heal's; none for the background healer's).
      writers = std::make_unique<internal::ShardWriters>(
          *ctx_.pool, shared_drives_, ok, storage::kSysVolume, tmp_key, file, damaged, nullptr,
          ctx.deadline, ctx.cancel);
    }
    for (auto& slot : slots) slot.file.reset();
    for (uint64_t b = 0; b < geo.blocks(part.size); ++b) {
      Status s = internal::ReadStripe(*ctx_.pool, **codec, slots, loc, geo, part, b, shards);
      if (!s.ok()) {
        if (!meta.inlined) remove_sys_dir(tmp_key, &skip);
        return std::unexpected(s);
      }
      if (writers) {
        writers->start_write(shards, meta.erasure.distribution);
        writers->wait();
        continue;
      }
      for (size_t d = 0; d < n; ++d) {
        const auto& buf = shards[static_cast<size_t>(meta.erasure.distribution[d] - 1)];
        if (ok[d]) inline_out[d].append(buf.begin(), buf.end());
      }
    }
    if (writers) {
      writers->close_all();
      for (size_t d = 0; d < n; ++d) ok[d] = ok[d] && writers->ok(d);
    }
  }
  mem::ShardBuffers().give_all(shards);
  auto healed = commit_healed(ctx, meta, staged, ok, inline_out, bucket, key, version_id, skip);
  if (!meta.inlined) remove_sys_dir(tmp_key, &skip);
  return healed;
}

Result<int> ErasureSet::commit_healed(const RequestContext& ctx, const ObjectMeta& meta,
                                      const std::string& staged, const std::vector<bool>& ok,
                                      const std::vector<std::string>& inline_out,
                                      std::string_view bucket, std::string_view key,
                                      std::string_view version_id, std::vector<char>& moved) {
  // Only if the version we rebuilt still wins (among the key's versions of its id).
  auto lock = ctx_.locks->lock(internal::ObjectResource(bucket, key), true, ctx);
  if (!lock) return std::unexpected(lock.error());
  auto now = read_meta(ctx, bucket, key, false, version_id);
  if (!now || !SameVersion(now->meta(), meta)) {
    return Err(Code::kCancelled, "object changed while healing");
  }
  const size_t n = raw_.size();
  std::vector<char> done(n, 0);
  // Delete markers (and inline objects) have no data dir.
  const std::string dir =
      meta.inlined || meta.data_dir.empty() ? "" : internal::DataDirName(meta.data_dir);
  const std::vector<VersionKey>& live = now->live;
  ctx_.pool->run(n, [&](size_t d) {
    if (!ok[d]) return;
    storage::StorageApi* drive = raw_[d];
    MetaVersions held;  // whatever the drive held before: its data dirs go
    if (auto old = internal::ReadMetaFile(*drive, bucket, key); old) {
      if (auto versions = DecodeMetaVersions(old->raw)) held = std::move(*versions);
    }
    ObjectMeta m = meta;
    m.erasure.index = meta.erasure.distribution[d];
    if (meta.inlined) m.inline_data = inline_out[d];
    if (!dir.empty()) {
      drive->delete_path(bucket, key, dir, true);  // partial or corrupt copy
      if (!drive->rename(storage::kSysVolume, storage::kTmpKey, staged, bucket, key, dir).ok()) {
        return;
      }
      moved[d] = 1;  // this drive's task alone writes its slot
    }
    // The key's versions newest first: the healed one, and the drive's copies of the others
    // (a version this drive lacks is healed onto it by its own heal_version).
    MetaVersions file;
    file.reserve(live.size() + 1);
    bool placed = false;
    for (const VersionKey& v : live) {
      if (!placed && v.same(meta)) {
        file.push_back(std::move(m));
        placed = true;
        continue;
      }
      for (const ObjectMeta& h : held) {
        if (v.same(h)) {
          file.push_back(h);
          break;
        }
      }
    }
    if (!placed) file.insert(file.begin(), std::move(m));
    if (!drive->write_all(bucket, key, storage::kMetaFile, EncodeMetaVersions(file)).ok()) return;
    internal::DropLegacyMeta(*drive, bucket, key);
    storage::FreeDataDirs(*drive, bucket, key, held, file);
    done[d] = 1;
  });
  int healed = 0;
  for (char c : done) healed += c;
  return healed;
}

void ErasureSet::settle(const RequestContext& ctx, const ObjectMeta& meta, std::string_view bucket,
                        std::string_view key) {
  // Every commit runs under the write lock, so while we hold it no data dir is in flight.
  auto lock = ctx_.locks->lock(internal::ObjectResource(bucket, key), true, ctx);
  if (!lock) return;
  auto now = read_meta(ctx, bucket, key, false);
  if (!now || !SameVersion(now->meta(), meta)) return;
  // Drives that still keep versions an interrupted commit left behind the winner (or a
  // dangling newer one in front of it) are rewritten to their copies of the key's versions
  // (LiveVersions), and so are legacy %m.json files (migrated to %m.bin).
  const std::vector<VersionKey>& live = now->live;
  ctx_.pool->run(raw_.size(), [&](size_t d) {
    if (!now->in_quorum[d] || now->sole[d]) return;
    storage::StorageApi* drive = raw_[d];
    auto old = internal::ReadMetaFile(*drive, bucket, key);
    auto held = old ? DecodeMetaVersions(old->raw) : Result<MetaVersions>(MetaVersions{});
    if (!held) return;
    MetaVersions file;
    for (const ObjectMeta& v : *held) {
      if (IsLive(live, v)) file.push_back(v);
    }
    if (file.empty() ||
        !drive->write_all(bucket, key, storage::kMetaFile, EncodeMetaVersions(file)).ok()) {
      return;
    }
    internal::DropLegacyMeta(*drive, bucket, key);
    storage::FreeDataDirs(*drive, bucket, key, *held, file);
  });
  if (now->members != drive_count()) return;
  // Data dirs no metadata refers to (a crash between rename and metadata write).
  std::vector<std::string> keep;
  for (const VersionKey& v : live) {
    if (!v.data_dir.empty()) keep.push_back(internal::DataDirName(v.data_dir) + "/");
  }
  ctx_.pool->run(raw_.size(), [&](size_t d) {
    auto names = raw_[d]->list_dir(bucket, key, "", 4096);
    if (!names) return;
    for (const std::string& name : *names) {
      if (!name.starts_with(storage::kDataDirPrefix) || name.back() != '/' ||
          std::find(keep.begin(), keep.end(), name) != keep.end()) {
        continue;
      }
      const size_t prefix = storage::kDataDirPrefix.size();
      (void)raw_[d]->trash_data_dir(
          bucket, key, std::string_view(name).substr(prefix, name.size() - prefix - 1));
    }
  });
}

void ErasureSet::purge_absent(const RequestContext& ctx, std::string_view bucket,
                              std::string_view key, bool sweep, HealResult& r) {
  // Under the write lock no commit is in flight for the key: writes stay in tmp/ until they
  // commit under the same lock.
  auto lock = ctx_.locks->lock(internal::ObjectResource(bucket, key), true, ctx);
  if (!lock) {
    r.status = lock.error();
    return;
  }
  auto again = read_meta(ctx, bucket, key, false);
  if (again || again.error() != Code::kNoSuchKey) {
    r.status = again ? Status::Ok() : again.error();
    return;
  }
  // Metadata on some drive (a delete or a failed write that missed some drives): it and
  // every data dir go, so they can never resurface.
  std::atomic<bool> has_meta{false};
  ctx_.pool->run(raw_.size(), [&](size_t d) {
    if (raw_[d] == nullptr) return;
    // An offline drive tells nothing, as an absent one.
    for (std::string_view file : {storage::kMetaFile, storage::kLegacyMetaFile}) {
      auto st = raw_[d]->stat(bucket, key, file);
      if (st || (st.error() != Code::kFileNotFound && st.error() != Code::kDiskNotFound)) {
        has_meta = true;
      }
    }
  });
  Status cleaned = Status::Ok();
  if (has_meta) {
    cleaned = delete_unlocked(ctx, bucket, key, &r.leftovers_removed, true);
  } else {
    // A sweep spares young data dirs; a heal of this one key (an operator's, or the crash
    // tests') removes them at once, as the lock allows.
    const int64_t grace = sweep ? ctx_.config.uncommitted_grace_seconds : 0;
    purge_uncommitted(bucket, key, grace, &r.leftovers_removed);
  }
  r.status = cleaned.ok() ? Status(Code::kNoSuchKey, "object not found") : cleaned;
}

void ErasureSet::purge_uncommitted(std::string_view bucket, std::string_view key,
                                   int64_t grace_seconds, int* removed) {
  // Data dirs of a first PUT killed between moving them in and writing the metadata. The
  // lock already keeps commits out; the grace period also spares whatever a future writer
  // outside this process's locks could be moving in right now.
  const int64_t cutoff = internal::NowNs() - grace_seconds * 1'000'000'000LL;
  std::atomic<int> drives{0};
  ctx_.pool->run(raw_.size(), [&](size_t d) {
    storage::StorageApi* drive = raw_[d];
    if (drive == nullptr) return;
    auto names = drive->list_dir(bucket, key, "", 4096);
    if (!names) return;
    bool any = false;
    for (const std::string& name : *names) {
      if (!name.starts_with(storage::kDataDirPrefix) || name.back() != '/') continue;
      std::string_view dir = std::string_view(name).substr(0, name.size() - 1);
      auto st = drive->stat(bucket, key, dir);
      if (!st || st->mod_time_ns > cutoff) continue;
      any |= drive->trash_data_dir(bucket, key, dir.substr(storage::kDataDirPrefix.size())).ok();
    }
    drives += any;
  });
  if (removed != nullptr) *removed = drives.load();
}

HealResult ErasureSet::heal_object(const RequestContext& ctx, std::string_view bucket,
                                   std::string_view key, bool sweep) {
  HealResult r{std::string(bucket), std::string(key), 0, 0, Status::Ok()};
  for (auto* d : raw_) r.drives_missing += d == nullptr;
  auto q = read_meta(ctx, bucket, key, false);
  if (!q) {
    if (q.error() == Code::kNoSuchKey) {
      purge_absent(ctx, bucket, key, sweep, r);
    } else {
      r.status = q.error();
    }
    return r;
  }
  std::vector<bool> bad = verify_shards(ctx, *q, bucket, key);
  int bad_count = 0;
  for (bool b : bad) bad_count += b;
  if (bad_count == 0) {
    settle(ctx, q->meta(), bucket, key);
    heal_noncurrent(ctx, *q, bucket, key, r);
    return r;
  }
  auto healed = rebuild_shards(ctx, *q, bad, bucket, key);
  if (!healed) {
    r.status = healed.error();
    return r;
  }
  settle(ctx, q->meta(), bucket, key);
  r.shards_healed = *healed * static_cast<int>(q->meta().parts.size());
  ctx_.counters->shards_healed += static_cast<uint64_t>(r.shards_healed);
  if (*healed > 0) ++ctx_.counters->objects_healed;
  if (*healed < bad_count) r.status = Status(Code::kWriteQuorum, "some drives could not be healed");
  heal_noncurrent(ctx, *q, bucket, key, r);
  return r;
}

void ErasureSet::heal_noncurrent(const RequestContext& ctx, const MetaQuorum& current,
                                 std::string_view bucket, std::string_view key, HealResult& r) {
  if (current.live.size() <= 1) return;  // the current version is the key's only one
  // Each drive's versions, read and decoded once for all the key's versions (a key may have
  // thousands: a read_meta per version would read every drive's file once per version).
  const size_t n = raw_.size();
  std::vector<std::optional<MetaVersions>> lists(n);
  ctx_.pool->run(n, [&](size_t d) {
    if (raw_[d] == nullptr || current.errors[d] == Code::kDiskNotFound) return;
    auto file = internal::ReadMetaFile(*raw_[d], bucket, key);
    if (!file) return;
    if (auto versions = DecodeMetaVersions(file->raw)) lists[d] = std::move(*versions);
  });
  for (const VersionKey& v : current.live) {
    if (v.same(current.meta())) continue;
    // The version's quorum view: the drives whose file holds it, as read_meta would build it.
    MetaQuorum q;
    q.per_drive.resize(n);
    q.in_quorum.assign(n, false);
    q.sole.assign(n, false);
    q.errors = current.errors;
    bool found = false;
    for (size_t d = 0; d < n; ++d) {
      if (!lists[d]) continue;
      for (ObjectMeta& m : *lists[d]) {
        if (!v.same(m)) continue;
        q.per_drive[d] = m;
        q.in_quorum[d] = true;
        q.members += 1;
        if (!found) q.winner = d;
        found = true;
        break;
      }
    }
    // Fewer than k holders: unreadable, nothing to rebuild it from.
    if (!found || q.members < q.meta().erasure.data) continue;
    // Its shards are verified block by block like the current version's (bitrot in an old
    // version is found by the same scan), and the drives lacking it count as damaged.
    std::vector<bool> bad = verify_shards(ctx, q, bucket, key);
    int bad_count = 0;
    for (bool b : bad) bad_count += b;
    if (bad_count == 0) continue;
    auto healed = rebuild_shards(ctx, q, bad, bucket, key, v.version_id);
    const int done = healed ? *healed : 0;
    r.shards_healed += done * static_cast<int>(q.meta().parts.size());
    ctx_.counters->shards_healed += static_cast<uint64_t>(done) * q.meta().parts.size();
    if (done > 0) ++ctx_.counters->objects_healed;
    if (done < bad_count && r.status.ok()) {
      r.status = Status(Code::kWriteQuorum, "some drives could not be healed");
    }
  }
}

}  // namespace flashstor::object
