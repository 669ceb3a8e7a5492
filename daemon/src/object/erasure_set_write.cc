// ErasureSet writes: streaming erasure-coded PUT (block by block, shards written in parallel
// while the next block is read), metadata replacement and delete.
#include "erasure_set_internal.h"
#include "flashstor/mem/byte_vector_pool.h"
#include "flashstor/object/set_layout.h"
#include "flashstor/storage/key_path.h"
#include "flashstor/storage/uuid.h"
#include "shard_io.h"

#include <cstring>

namespace flashstor::object {
namespace {

using internal::kDigestSize;

// Reads up to one block of body straight into the data shards of stripe (k shards of shard
// bytes, each after `lead` bytes of room and its digest's; the last may hold fewer when k
// does not divide the block): no separate block buffer. Returns the bytes read; fewer than
// block only at the body's end.
Result<size_t> ReadStripe(hash::HashingSource& body, size_t k, size_t shard, size_t block,
                          size_t lead, std::vector<mem::ShardBuffer>& stripe) {
  if (stripe.size() < k) stripe.resize(k);
  size_t len = 0;
  for (size_t j = 0; j < k && len < block; ++j) {
    mem::ShardBuffers().fit(stripe[j], lead + kDigestSize + shard);
    const size_t want = std::min(shard, block - len);
    auto got =
        ReadFull(body, {reinterpret_cast<char*>(stripe[j].data() + lead + kDigestSize), want});
    if (!got) return std::unexpected(got.error());
    len += *got;
    if (*got < want) break;
  }
  return len;
}

// Parity and digests of a stripe ReadStripe filled with len bytes after `lead` bytes of room.
// A full block is encoded in place; a shorter one (the body's last) has smaller shards: it is
// gathered and split again.
Status EncodeStripe(const erasure::ErasureCodec& codec, size_t shard, size_t block, size_t len,
                    size_t lead, std::vector<mem::ShardBuffer>& stripe) {
  const size_t k = static_cast<size_t>(codec.data_shards());
  const size_t total = static_cast<size_t>(codec.total_shards());
  const size_t at = lead + kDigestSize;  // where a shard's bytes start in its buffer
  if (len < block) {
    std::vector<uint8_t> tail(len);
    for (size_t j = 0, off = 0; off < len; ++j, off += shard) {
      std::memcpy(tail.data() + off, stripe[j].data() + at, std::min(shard, len - off));
    }
    return internal::EncodeBlock(codec, tail, stripe, lead);
  }
  stripe.resize(total);
  std::vector<std::span<uint8_t>> spans(total);
  for (size_t j = 0; j < total; ++j) {
    mem::ShardBuffers().fit(stripe[j], at + shard);
    spans[j] = std::span<uint8_t>(stripe[j]).subspan(at);
  }
  // Zero padding after the block's end (SplitBlock's layout when k does not divide it).
  for (size_t j = 0, off = 0; j < k; ++j, off += shard) {
    const size_t have = off >= block ? 0 : std::min(shard, block - off);
    if (have < shard) std::memset(spans[j].data() + have, 0, shard - have);
  }
  FS_RETURN_IF_ERROR(codec.encode(spans));
  for (size_t j = 0; j < total; ++j) {
    erasure::BitrotDigest d = erasure::BitrotHash(spans[j]);
    std::memcpy(stripe[j].data() + lead, d.data(), kDigestSize);
  }
  return Status::Ok();
}

}  // namespace

using internal::WrittenData;

Result<WrittenData> ErasureSet::write_stripes(const RequestContext& ctx, const ErasureInfo& erasure,
                                              const std::string& tmp_key, const std::string& file,
                                              uint64_t max_size, size_t len,
                                              const StripeSteps& steps) {
  const size_t n = raw_.size();
  const int quorum = WriteQuorum(erasure.data, erasure.parity);
  std::vector<bool> use(n);
  for (size_t d = 0; d < n; ++d) use[d] = raw_[d] != nullptr;
  // Each step returns at the write quorum: a drive that does not answer in time is left out
  // of this object like a failed one (shard_io.h), and the commit's heal check (wrote[d]
  // false) queues the object for heal.
  internal::ShardWriters writers(*ctx_.pool, shared_drives_, use, storage::kSysVolume, tmp_key,
                                 file, static_cast<size_t>(quorum), stragglers_,
                                 ctx.step_deadline(), ctx.cancel);
  FS_RETURN_UNEXPECTED_IF_ERROR(writers.quorum_status(quorum));
  WrittenData out;
  out.size = len;
  std::vector<mem::ShardBuffer> stripe;
  while (len > 0) {
    // Each block's shards sit where the drives write them from their buffers (lead: zero for
    // the first block, which write_data may have read before the writers existed).
    const size_t lead = writers.lead();
    FS_RETURN_UNEXPECTED_IF_ERROR(steps.encode(len, lead, stripe));
    // This block is in hand: its writes get the operation allowance from now, not the time
    // a slow client could have taken to send the rest of the body.
    writers.set_deadline(ctx.step_deadline());
    writers.start_write(stripe, erasure.distribution, lead, steps.last(len, out.size));
    // The next block is read (into the buffers the drives gave back) while they write this.
    Result<size_t> next = steps.read_next(len, out.size, writers.lead(), stripe);
    writers.wait();
    if (!next) return std::unexpected(next.error());
    // A drive that filled up (ENOSPC) counts as full, not as lost: 507, not 503.
    FS_RETURN_UNEXPECTED_IF_ERROR(writers.quorum_status(quorum));
    len = *next;
    out.size += len;
    if (out.size > max_size) return Err(Code::kEntityTooLarge, "object too large");
  }
  mem::ShardBuffers().give_all(stripe);
  writers.set_deadline(ctx.step_deadline());
  writers.close_all();
  FS_RETURN_UNEXPECTED_IF_ERROR(writers.quorum_status(quorum));
  for (size_t d = 0; d < n; ++d) out.wrote.push_back(writers.ok(d));
  return out;
}

Result<WrittenData> ErasureSet::write_data(const RequestContext& ctx, hash::HashingSource& body,
                                           int64_t size, uint64_t max_size,
                                           const ErasureInfo& erasure, const std::string& tmp_key,
                                           const std::string& file, bool allow_inline) {
  auto codec = erasure::ErasureCodec::Create(erasure.data, erasure.parity);
  if (!codec) return std::unexpected(codec.error());
  const size_t n = raw_.size();
  const size_t block = static_cast<size_t>(erasure.block_size);
  auto check_size = [&](Result<WrittenData> out) -> Result<WrittenData> {
    if (!out) return out;
    if (out->size > max_size) return Err(Code::kEntityTooLarge, "object too large");
    if (size >= 0 && out->size != static_cast<uint64_t>(size)) {
      return Err(Code::kIncompleteBody, "body length differs from the announced size");
    }
    return out;
  };
  // A body of a block or more, announced: its data shards are read straight from it into
  // each stripe, with no block buffer. Past the announced size only one byte is read: the
  // body's end, where its digests are verified (a body longer than announced is refused).
  if (size >= 0 && static_cast<uint64_t>(size) >= block && block > 0) {
    const size_t k = static_cast<size_t>(erasure.data);
    const size_t shard = erasure::ErasureCodec::ShardSize(block, erasure.data);
    const uint64_t announced = static_cast<uint64_t>(size);
    std::vector<mem::ShardBuffer> first_stripe;
    auto first = ReadStripe(body, k, shard, block, 0, first_stripe);
    if (!first) return std::unexpected(first.error());
    StripeSteps steps;
    steps.encode = [&](size_t len, size_t lead, std::vector<mem::ShardBuffer>& stripe) {
      if (!first_stripe.empty()) stripe.swap(first_stripe), first_stripe.clear();
      return EncodeStripe(**codec, shard, block, len, lead, stripe);
    };
    steps.read_next = [&](size_t len, uint64_t done, size_t lead,
                          std::vector<mem::ShardBuffer>& stripe) -> Result<size_t> {
      if (len < block) return size_t{0};
      if (done < announced) return ReadStripe(body, k, shard, block, lead, stripe);
      char probe = 0;
      auto extra = ReadFull(body, {&probe, 1});
      if (extra && *extra != 0) return Err(Code::kIncompleteBody, "body longer than announced");
      return extra;
    };
    steps.last = [&](size_t len, uint64_t written) { return len < block || written >= announced; };
    return check_size(write_stripes(ctx, erasure, tmp_key, file, max_size, *first, steps));
  }
  // Uninitialised, and no larger than the announced body needs (one byte more, so a body
  // smaller than a block is read to its end, where its digests are verified): a 4 KiB PUT
  // must not zero 1 MiB, nor map it (buffers of mem::kLargeBufferBytes are mappings of their
  // own). A block only for a body of unknown length, the one case read_next reads more.
  const size_t want =
      size >= 0 ? std::min<uint64_t>(block, static_cast<uint64_t>(size) + 1) : block;
  auto buf = std::make_unique_for_overwrite<uint8_t[]>(want);
  auto first = ReadFull(body, {reinterpret_cast<char*>(buf.get()), want});
  if (!first) return std::unexpected(first.error());
  const size_t len = *first;
  if (!allow_inline || len >= block || len >= ctx_.config.inline_threshold) {
    // Unannounced or shorter than a block: read block by block into one buffer, encoded into
    // the stripe.
    bool eof = len < want;
    StripeSteps steps;
    steps.encode = [&](size_t read, size_t lead, std::vector<mem::ShardBuffer>& stripe) {
      return internal::EncodeBlock(**codec, {buf.get(), read}, stripe, lead);
    };
    steps.read_next = [&](size_t, uint64_t, size_t,
                          std::vector<mem::ShardBuffer>&) -> Result<size_t> {
      if (eof) return size_t{0};
      // want is block unless the body was announced shorter than a block and sent longer:
      // then it is read in want-byte pieces into buf and refused at its end (check_size).
      auto next = ReadFull(body, {reinterpret_cast<char*>(buf.get()), want});
      eof = !next || *next < want;
      return next;
    };
    steps.last = [&](size_t, uint64_t) { return eof; };
    return check_size(write_stripes(ctx, erasure, tmp_key, file, max_size, len, steps));
  }
  // The whole body fits inline: ReadFull stopped at EOF, so the body's digests are verified.
  WrittenData out;
  out.size = len;
  out.inlined = true;
  out.inline_shards.assign(n, std::string());
  if (len > 0) {
    std::vector<mem::ShardBuffer> shards;
    FS_RETURN_UNEXPECTED_IF_ERROR(internal::EncodeBlock(**codec, {buf.get(), len}, shards));
    for (size_t j = 0; j < n; ++j) out.inline_shards[j].assign(shards[j].begin(), shards[j].end());
  }
  for (size_t d = 0; d < n; ++d) out.wrote.push_back(raw_[d] != nullptr);
  return check_size(std::move(out));
}

Result<ObjectInfo> ErasureSet::put_object(const RequestContext& request, std::string_view bucket,
                                          std::string_view key, hash::HashingSource& body,
                                          int64_t size, const PutOptions& opt,
                                          VersioningState versioning) {
  if (Status s = storage::ValidateObjectKey(key); !s.ok()) return std::unexpected(s);
  if (size > static_cast<int64_t>(kMaxObjectSize)) return Err(Code::kEntityTooLarge, "too large");
  // No stat of the bucket's folders here: the caller read the bucket's settings, which
  // checked that it exists (or found them cached, which it does only for buckets that exist),
  // and a bucket gone since fails the commit on every drive (kVolumeNotFound: NoSuchBucket).
  ObjectMeta meta;
  meta.erasure = new_erasure(key, opt.storage_class);
  // The data dir is staged as tmp/<uuid> itself and renamed in as %d.<uuid>: one directory
  // to make, fsync through and remove a drive, not two (docs/design.md, "Every fsync").
  const std::string uuid = storage::NewUuid();
  const std::string tmp_key = std::string(storage::kTmpKey) + "/" + uuid;
  auto data = write_data(request, body, size, kMaxObjectSize, meta.erasure, tmp_key,
                         internal::PartFile(1), true);
  request.buffers_released();  // the shard buffers are back (a straggler's: its own only)
  if (!data) {
    remove_sys_dir(tmp_key);
    return std::unexpected(data.error());
  }
  // The body is in: the lock, the checks and the commit get the operation allowance.
  const RequestContext ctx = request.after_body();
  meta.mod_time_ns = opt.mod_time_ns != 0 ? opt.mod_time_ns : internal::NowNs();
  meta.size = data->size;
  meta.etag = body.md5_hex();
  meta.content_type = opt.content_type;
  meta.storage_class = opt.storage_class;
  meta.metadata = opt.metadata;
  meta.tags = opt.tags;
  meta.set_lock(opt.lock);
  meta.checksum_algo = body.checksum_algo();
  meta.checksum_b64 = body.checksum_b64();
  if (opt.plaintext != nullptr) {
    meta.actual_size = opt.plaintext->bytes();
    if (opt.etag_from_plaintext) meta.etag = opt.plaintext->md5_hex();
    meta.checksum_algo = opt.plaintext->checksum_algo();
    meta.checksum_b64 = opt.plaintext->checksum_b64();
  }
  meta.parts.push_back(
      {1, data->size, meta.actual_size.value_or(data->size), meta.etag, meta.mod_time_ns, ""});
  meta.inlined = data->inlined;
  if (!data->inlined) meta.data_dir = uuid;
  if (versioning == VersioningState::kEnabled) meta.version_id = internal::NewVersionId();

  CommitPlan plan;
  plan.bucket = bucket;
  plan.key = key;
  plan.participate = data->wrote;
  plan.write_quorum = WriteQuorum(meta.erasure.data, meta.erasure.parity);
  plan.data_dir = meta.data_dir;
  if (!data->inlined) {
    plan.src_volume = storage::kSysVolume;
    plan.src_key = storage::kTmpKey;
    plan.src_file = uuid;
  }
  for (size_t d = 0; d < raw_.size(); ++d) {
    ObjectMeta m = meta;
    m.erasure.index = meta.erasure.distribution[d];
    if (data->inlined)
      m.inline_data = data->inline_shards[static_cast<size_t>(m.erasure.index - 1)];
    plan.meta.push_back(std::move(m));
  }
  Status committed;
  std::vector<char> moved;  // drives whose commit took the staged data dir (tmp/<uuid>)
  {
    auto lock = ctx_.locks->lock(internal::ObjectResource(bucket, key), true, ctx);
    if (!lock) {
      committed = lock.error();
    } else {
      committed = check_precondition(ctx, bucket, key, opt.precondition);
      if (committed.ok()) {
        auto keep = versions_to_keep(ctx, bucket, key, meta.version_id, versioning);
        committed = keep ? Status::Ok() : keep.error();
        if (keep) plan.keep = std::move(*keep);
      }
      plan.fence = lock->fence();
      if (committed.ok()) committed = commit(ctx, plan, &moved);
    }
  }
  if (!data->inlined && committed.ok()) remove_sys_dir(tmp_key, &moved);
  if (!data->inlined && !committed.ok()) remove_sys_dir(tmp_key);
  if (!committed.ok()) return std::unexpected(committed);
  return ToObjectInfo(meta, bucket, key);
}

Result<ObjectInfo> ErasureSet::update_object_metadata(const RequestContext& ctx,
                                                      std::string_view bucket, std::string_view key,
                                                      const PutOptions& opt) {
  if (Status s = storage::ValidateObjectKey(key); !s.ok()) return std::unexpected(s);
  auto lock = ctx_.locks->lock(internal::ObjectResource(bucket, key), true, ctx);
  if (!lock) return std::unexpected(lock.error());
  FS_RETURN_UNEXPECTED_IF_ERROR(check_precondition(ctx, bucket, key, opt.precondition));
  auto q = read_meta(ctx, bucket, key, true);
  if (!q) return std::unexpected(q.error());
  if (q->meta().delete_marker)
    return Err(Code::kNoSuchKey, "the current version is a delete marker");
  const int64_t now = opt.mod_time_ns != 0 ? opt.mod_time_ns : internal::NowNs();
  CommitPlan plan;
  plan.bucket = bucket;
  plan.key = key;
  plan.fence = lock->fence();
  plan.participate = q->in_quorum;
  const ObjectMeta& current = q->meta();
  plan.write_quorum = WriteQuorum(current.erasure.data, current.erasure.parity);
  plan.data_dir = current.data_dir;
  plan.meta.resize(raw_.size());
  // The version is rewritten in place: the key's other versions stay behind it.
  for (const VersionKey& v : q->live) {
    if (!v.same(current)) plan.keep.push_back(v);
  }
  for (size_t d = 0; d < raw_.size(); ++d) {
    if (!q->in_quorum[d]) continue;
    ObjectMeta m = std::move(*q->per_drive[d]);  // current is not used past this loop
    m.mod_time_ns = now;
    m.content_type = opt.content_type;
    m.metadata = opt.metadata;
    m.tags = opt.tags;
    // The storage class names the redundancy the data was written with; keep it.
    plan.meta[d] = std::move(m);
  }
  if (Status s = commit(ctx, plan); !s.ok()) return std::unexpected(s);
  return TakeObjectInfo(plan.meta[q->winner], bucket, key);
}

Status ErasureSet::delete_object(const RequestContext& ctx, std::string_view bucket,
                                 std::string_view key, const WritePrecondition& precondition) {
  FS_RETURN_IF_ERROR(storage::ValidateObjectKey(key));
  auto lock = ctx_.locks->lock(internal::ObjectResource(bucket, key), true, ctx);
  if (!lock) return lock.error();
  FS_RETURN_IF_ERROR(check_precondition(ctx, bucket, key, precondition));
  return delete_unlocked(ctx, bucket, key);
}

Status ErasureSet::check_precondition(const RequestContext& ctx, std::string_view bucket,
                                      std::string_view key, const WritePrecondition& precondition) {
  if (precondition.empty()) return Status::Ok();
  auto q = read_meta(ctx, bucket, key, false);
  if (!q && q.error().code() != Code::kNoSuchKey) return q.error();
  const bool exists = q.has_value() && !q->meta().delete_marker;
  if (precondition.if_none_match_any && exists) {
    return Status(Code::kPreconditionFailed, "the key exists (If-None-Match: *)");
  }
  if (!precondition.if_match.empty()) {
    if (!exists) return Status(Code::kNoSuchKey, "If-Match on an absent key");
    if (precondition.if_match != "*" && precondition.if_match != q->meta().etag) {
      return Status(Code::kPreconditionFailed, "the ETag differs (If-Match)");
    }
  }
  return Status::Ok();
}

Status ErasureSet::delete_unlocked(const RequestContext& ctx, std::string_view bucket,
                                   std::string_view key, int* removed, bool every_drive) {
  // One version-level call per drive (StorageApi::delete_key: metadata, then every data dir),
  // as a quorum fan-out: a hung drive never holds the delete. Heal's purge waits for every
  // drive instead (fan_out_all's bound), so it leaves no leftover a drive could still answer. The
  // tasks may outlive this frame (worker_pool.h), so what they write lives in the shared state.
  struct DeleteState {
    explicit DeleteState(size_t n)
        : result(n, Status(Code::kDiskNotFound, "drive offline")), had(n, 0) {}
    std::vector<Status> result;
    std::vector<char> had;
    // Set once the quorum is decided: a task that has not started by then gives up rather
    // than delete late, after the lock is released (a call under way can still land; the
    // drive then misses a later version, which heal restores).
    std::atomic<bool> decided{false};
  };
  const size_t n = raw_.size();
  auto st = std::make_shared<DeleteState>(n);
  const std::string volume(bucket), name(key);
  const int quorum = bucket_write_quorum();
  auto task = [st, volume, name, drives = shared_drives_](size_t d) {
    storage::StorageApi* drive = (*drives)[d].get();
    if (drive == nullptr) return false;
    if (st->decided.load(std::memory_order_acquire)) {
      st->result[d] = Status(Code::kDiskNotFound, "drive answered after the delete was decided");
      return false;
    }
    auto had = drive->delete_key(volume, name);
    if (!had) {
      st->result[d] = had.error();
      return false;
    }
    st->had[d] = *had;
    st->result[d] = Status::Ok();
    return true;
  };
  // fan_out_all counts a task as answered only when it returns true: the result says the rest.
  auto answer_all = [task](size_t d) {
    (void)task(d);
    return true;
  };
  std::vector<char> answered =
      every_drive ? fan_out_all(answer_all) : fan_out(ctx, task, static_cast<size_t>(quorum));
  st->decided.store(true, std::memory_order_release);
  std::vector<Status> result(n);
  int had = 0;
  for (size_t d = 0; d < n; ++d) {
    if (raw_[d] == nullptr) {
      result[d] = Status(Code::kDiskNotFound, "drive offline");
    } else if (answered[d]) {
      result[d] = st->result[d];
      had += st->result[d].ok() && st->had[d] != 0;
    } else {
      result[d] = Status(Code::kDiskNotFound, "drive did not answer in time");
    }
  }
  if (removed != nullptr) *removed = had;
  Status s = internal::ReduceErrors(result, quorum, Code::kWriteQuorum);
  if (s.ok()) {
    // A drive that failed or did not answer may still hold the key: heal removes it there.
    for (size_t d = 0; d < n; ++d) {
      if (raw_[d] != nullptr && !result[d].ok()) {
        queue_heal(bucket, key);
        break;
      }
    }
    return s;
  }
  return internal::ToObjectStatus(s);
}

}  // namespace flashstor::object
