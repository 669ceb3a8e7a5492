// ErasureSet multipart uploads: create, upload parts (erasure-coded like objects, committed
// into the upload's data/ directory), list parts and uploads, abort. Completion lives in
// multipart_complete.cc.
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>

#include "erasure_set_internal.h"
#include "flashstor/object/set_layout.h"
#include "flashstor/obs/log.h"
#include "flashstor/storage/key_path.h"
#include "flashstor/storage/uuid.h"
#include "shard_io.h"

namespace flashstor::object {

using internal::PartQuorum;

namespace internal {

std::string PartMetaFile(int part_number) {
  return "part." + std::to_string(part_number) + ".json";
}

}  // namespace internal

namespace {

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  return hash::HexEncode({digest, len});
}

// "part.N.json" -> N, else 0.
int ParsePartMetaName(std::string_view name) {
  if (!name.starts_with("part.") || !name.ends_with(".json")) return 0;
  std::string_view digits = name.substr(5, name.size() - 10);
  if (digits.empty() || digits.size() > 5) return 0;
  int n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + (c - '0');
  }
  return n >= 1 && n <= kMaxPartNumber ? n : 0;
}

}  // namespace

Result<std::string> ErasureSet::upload_key(std::string_view bucket, std::string_view key,
                                           std::string_view upload_id) const {
  if (Status s = storage::ValidateObjectKey(key); !s.ok()) return std::unexpected(s);
  if (!upload_id.empty() && !storage::IsUuid(upload_id)) {
    return Err(Code::kNoSuchUpload, "malformed upload id");
  }
  std::string path = std::string(bucket) + "/" + std::string(key);
  std::string out = std::string(storage::kMultipartKey) + "/" + Sha256Hex(path);
  if (!upload_id.empty()) out.append("/").append(upload_id);
  return out;
}

Result<UploadMeta> ErasureSet::read_upload(const RequestContext& ctx, const std::string& ukey) {
  const size_t n = raw_.size();
  // Each drive's upload.json, at quorum (read quorum + 1 answers, as a GET's metadata read):
  // a drive that does not answer in time counts as offline. The slots are shared with the
  // tasks, which may outlive this call; only answered drives' slots are read.
  struct UploadReads {
    explicit UploadReads(size_t n) : metas(n), errors(n) {}
    std::vector<std::optional<UploadMeta>> metas;
    std::vector<Status> errors;
  };
  auto reads = std::make_shared<UploadReads>(n);
  const std::vector<char> answered = fan_out(
      ctx,
      [reads, ukey, drives = shared_drives_](size_t d) {
        storage::StorageApi* drive = (*drives)[d].get();
        if (drive == nullptr) return false;
        auto raw = drive->read_all(storage::kSysVolume, ukey, internal::kUploadFile);
        if (!raw) {
          reads->errors[d] = raw.error();
          return raw.error() == Code::kFileNotFound;  // an answer: not on this drive
        }
        auto u = DecodeUploadMeta(*raw);
        reads->errors[d] = u ? Status::Ok() : u.error();
        if (u) reads->metas[d] = std::move(*u);
        return u.has_value();
      },
      read_needed());
  std::vector<std::optional<UploadMeta>> metas(n);
  std::vector<Status> errors(n, Status(Code::kDiskNotFound, "drive offline"));
  for (size_t d = 0; d < n; ++d) {
    if (raw_[d] == nullptr) continue;
    if (!answered[d]) {
      errors[d] = Status(Code::kDiskNotFound, "drive did not answer in time");
      continue;
    }
    metas[d] = std::move(reads->metas[d]);
    errors[d] = reads->errors[d];
  }
  int found = 0, missing = 0;
  const UploadMeta* any = nullptr;
  for (size_t d = 0; d < n; ++d) {
    if (metas[d]) {
      ++found;
      any = &*metas[d];
    }
    missing += errors[d] == Code::kFileNotFound;
  }
  if (any != nullptr && found >= any->erasure.data) {
    if (upload_completed(ctx, *any, ukey)) return Err(Code::kNoSuchUpload, "upload completed");
    return *any;
  }
  if (missing >= read_quorum() ||
      (any == nullptr && missing > 0 && found == 0 && missing + found == static_cast<int>(n))) {
    return Err(Code::kNoSuchUpload, "upload not found");
  }
  return Err(Code::kReadQuorum, "upload metadata has no read quorum");
}

bool ErasureSet::upload_completed(const RequestContext& ctx, const UploadMeta& upload,
                                  const std::string& ukey) {
  auto q = read_meta(ctx, upload.bucket, upload.key, false);
  if (!q || q->meta().upload_id != upload.upload_id) return false;
  remove_sys_dir(ukey);
  return true;
}

Result<std::string> ErasureSet::new_multipart_upload(const RequestContext& ctx,
                                                     std::string_view bucket, std::string_view key,
                                                     const PutOptions& opt,
                                                     hash::ChecksumAlgo algo) {
  if (Status s = check_bucket(ctx, bucket); !s.ok()) return std::unexpected(s);
  UploadMeta u;
  u.bucket = bucket;
  u.key = key;
  u.upload_id = storage::NewUuid();
  u.initiated_ns = internal::NowNs();
  u.content_type = opt.content_type;
  u.storage_class = opt.storage_class;
  u.metadata = opt.metadata;
  u.tags = opt.tags;
  u.lock = opt.lock;
  if (opt.full_object_checksum) {
    if (!hash::CombinableChecksum(algo)) return Err(Code::kInvalidRequest, "not a CRC");
    u.metadata.emplace_back(internal::kFullObjectChecksumKey, internal::kFullObjectChecksumValue);
  }
  u.checksum_algo = algo;
  u.erasure = new_erasure(key, opt.storage_class);
  auto ukey = upload_key(bucket, key, u.upload_id);
  if (!ukey) return std::unexpected(ukey.error());
  const std::string encoded = EncodeUploadMeta(u);
  const int quorum = WriteQuorum(u.erasure.data, u.erasure.parity);
  // At the write quorum: a drive that misses the upload record misses its parts too (they
  // need the record), so Complete leaves it out of the object and heal fills it in.
  const std::vector<Status> result = fan_out_steps(
      ctx,
      [ukey = *ukey, encoded](storage::StorageApi& drive, size_t) {
        return drive.write_all(storage::kSysVolume, ukey, internal::kUploadFile, encoded);
      },
      static_cast<size_t>(quorum));
  if (Status s = internal::ReduceErrors(result, quorum, Code::kWriteQuorum); !s.ok()) {
    remove_sys_dir(*ukey);  // removes the partial upload directory
    return Err(Code::kWriteQuorum, "upload not created on a quorum of drives");
  }
  return u.upload_id;
}

Status ErasureSet::commit_part(const RequestContext& ctx, const std::string& ukey,
                               const std::string& tmp_key, const std::string& tmp_file,
                               const PartMeta& part, const UploadMeta& upload,
                               const std::vector<bool>& wrote) {
  const std::string encoded = EncodePartMeta(part);
  const std::string dst =
      std::string(internal::kUploadDataDir) + "/" + internal::PartFile(part.number);
  const int quorum = WriteQuorum(upload.erasure.data, upload.erasure.parity);
  // At the write quorum, under the upload's lock. A drive that does not answer in time keeps
  // the part's previous files, or none: read_parts finds its part.N.json unlike the quorum's
  // (or missing), so Complete leaves the drive out of the object and heal fills it in.
  // A call under way can still land after the lock is released, and the part's files have
  // fixed names that the next commit of this part number overwrites: a late rename could
  // put this commit's data beside the next one's part.N.json. So a task that finds the
  // commit decided once its rename returned removes the data it moved and writes no record
  // (the drive then holds no data for the part, and Complete cannot link it), and Complete
  // leaves out drives with a call still running (without_stragglers). Late or not, a task
  // renames before it writes the record, so a record never names data that is not there.
  auto decided = std::make_shared<std::atomic<bool>>(false);
  const std::vector<Status> result = fan_out_steps(
      ctx,
      [ukey, tmp_key, tmp_file, dst, encoded, decided, number = part.number](
          storage::StorageApi& drive, size_t) {
        if (decided->load(std::memory_order_acquire)) {
          return Status(Code::kDiskNotFound, "drive answered after the part was committed");
        }
        Status s =
            drive.rename(storage::kSysVolume, tmp_key, tmp_file, storage::kSysVolume, ukey, dst);
        if (!s.ok()) return s;
        if (decided->load(std::memory_order_acquire)) {
          (void)drive.delete_path(storage::kSysVolume, ukey, dst, false);
          return Status(Code::kDiskNotFound, "drive answered after the part was committed");
        }
        return drive.write_all(storage::kSysVolume, ukey, internal::PartMetaFile(number), encoded);
      },
      static_cast<size_t>(quorum), &wrote);
  decided->store(true, std::memory_order_release);
  return internal::ReduceErrors(result, quorum, Code::kWriteQuorum);
}

Result<PartInfo> ErasureSet::put_object_part(const RequestContext& ctx, std::string_view bucket,
                                             std::string_view key, std::string_view upload_id,
                                             int part_number, hash::HashingSource& body,
                                             int64_t size, const PartOptions& opt) {
  if (part_number < 1 || part_number > kMaxPartNumber) {
    return Err(Code::kInvalidArgument, "part number must be 1..10000");
  }
  // Transformed (encrypted) data grows by a bounded overhead (16 bytes per 64 KiB package);
  // the client's bytes are held to kMaxPartSize below.
  const uint64_t max_stored =
      opt.plaintext != nullptr ? kMaxPartSize + kMaxPartSize / 1024 : kMaxPartSize;
  if (size > static_cast<int64_t>(max_stored)) return Err(Code::kEntityTooLarge, "part too large");
  auto ukey = upload_key(bucket, key, upload_id);
  if (!ukey) return std::unexpected(ukey.error());
  auto upload = read_upload(ctx, *ukey);
  if (!upload) return std::unexpected(upload.error());
  if (upload->bucket != bucket || upload->key != key) return Err(Code::kNoSuchUpload, "mismatch");
  const std::string uuid = storage::NewUuid();
  const std::string tmp_key = std::string(storage::kTmpKey) + "/" + uuid;
  const std::string tmp_file = internal::PartFile(part_number);
  auto data = write_data(ctx, body, size, max_stored, upload->erasure, tmp_key, tmp_file, false);
  ctx.buffers_released();  // the shard buffers are back (a straggler's: its own only)
  if (data && opt.plaintext != nullptr && opt.plaintext->bytes() > kMaxPartSize) {
    data = Err(Code::kEntityTooLarge, "part too large");
  }
  if (!data) {
    remove_sys_dir(tmp_key);
    return std::unexpected(data.error());
  }
  // actual_size: the client's bytes (the plaintext of an encrypted part).
  const hash::HashingSource& client = opt.plaintext != nullptr ? *opt.plaintext : body;
  PartMeta part{part_number, data->size, client.bytes(), body.md5_hex(), internal::NowNs(), ""};
  if (opt.plaintext != nullptr && opt.etag_from_plaintext) part.etag = client.md5_hex();
  if (upload->checksum_algo != hash::ChecksumAlgo::kNone &&
      client.checksum_algo() == upload->checksum_algo) {
    part.checksum_b64 = client.checksum_b64();
  }
  Status s;
  {
    // The part's bytes are in: the lock, the check and the commit get the operation allowance.
    const RequestContext step = ctx.after_body();
    auto lock = ctx_.locks->lock(*ukey, true, step);
    if (!lock) {
      s = lock.error();
    } else if (auto again = read_upload(step, *ukey); !again) {
      s = again.error();  // completed or aborted meanwhile
    } else {
      s = commit_part(step, *ukey, tmp_key, tmp_file, part, *upload, data->wrote);
    }
  }
  remove_sys_dir(tmp_key);
  if (!s.ok()) return std::unexpected(s);
  return PartInfo{part.number, part.etag, part.actual_size, part.mod_time_ns, part.checksum_b64};
}

Result<std::vector<PartQuorum>> ErasureSet::read_parts(const RequestContext& ctx,
                                                       const std::string& ukey,
                                                       const UploadMeta& upload, int part_marker,
                                                       size_t limit) {
  const size_t n = raw_.size();
  // The part records each drive lists, at quorum (read quorum + 1 answers): a drive that
  // does not answer in time counts as holding none. The tasks may outlive this call, so
  // what they fill is shared with them; only answered drives' slots are read.
  auto lists = std::make_shared<std::vector<std::set<int>>>(n);
  const std::vector<char> listed_in_time = fan_out(
      ctx,
      [lists, ukey, part_marker, drives = shared_drives_](size_t d) {
        storage::StorageApi* drive = (*drives)[d].get();
        if (drive == nullptr) return false;
        auto names = drive->list_dir(storage::kSysVolume, ukey, "", 3 * kMaxPartNumber);
        if (!names) return names.error() == Code::kFileNotFound;  // an answer: no parts here
        for (const auto& name : *names) {
          if (int p = ParsePartMetaName(name); p > part_marker) (*lists)[d].insert(p);
        }
        return true;
      },
      read_needed());
  std::vector<std::set<int>> listed(n);
  std::vector<bool> answered(n, false);
  size_t answering = 0;
  for (size_t d = 0; d < n; ++d) {
    if (!listed_in_time[d]) continue;
    listed[d] = std::move((*lists)[d]);
    answered[d] = true;
    ++answering;
  }
  std::set<int> numbers;
  for (const auto& s : listed) numbers.insert(s.begin(), s.end());
  std::vector<PartQuorum> out;
  std::vector<int> batch;
  auto flush = [&] {
    // The batch's records from the drives that listed them, at quorum among the drives that
    // answered the listing. metas[i][d]: part batch[i]'s record on drive d.
    struct BatchReads {
      std::vector<std::vector<int>> wanted;                     // per drive: batch indices
      std::vector<std::vector<std::optional<PartMeta>>> metas;  // per drive, per index
    };
    auto reads = std::make_shared<BatchReads>();
    reads->wanted.resize(n);
    reads->metas.assign(n, std::vector<std::optional<PartMeta>>(batch.size()));
    for (size_t d = 0; d < n; ++d) {
      for (size_t i = 0; i < batch.size(); ++i) {
        if (listed[d].contains(batch[i])) reads->wanted[d].push_back(static_cast<int>(i));
      }
    }
    const std::vector<char> read_in_time = fan_out(
        ctx,
        [reads, ukey, numbers = batch, drives = shared_drives_](size_t d) {
          storage::StorageApi* drive = (*drives)[d].get();
          if (drive == nullptr) return false;
          for (int i : reads->wanted[d]) {
            const int number = numbers[static_cast<size_t>(i)];
            auto raw = drive->read_all(storage::kSysVolume, ukey, internal::PartMetaFile(number));
            if (!raw) continue;
            if (auto p = DecodePartMeta(*raw); p && p->number == number) {
              reads->metas[d][static_cast<size_t>(i)] = std::move(*p);
            }
          }
          return true;
        },
        std::min(read_needed(), answering), &answered);
    std::vector<std::vector<std::optional<PartMeta>>> metas(
        batch.size(), std::vector<std::optional<PartMeta>>(n));
    for (size_t d = 0; d < n; ++d) {
      if (!read_in_time[d] || !answered[d]) continue;
      for (size_t i = 0; i < batch.size(); ++i) metas[i][d] = std::move(reads->metas[d][i]);
    }
    for (size_t i = 0; i < batch.size() && out.size() < limit; ++i) {
      // The version a quorum (k) agrees on; a part still being overwritten may have none.
      for (size_t d = 0; d < n; ++d) {
        if (!metas[i][d]) continue;
        PartQuorum q{*metas[i][d], std::vector<bool>(n, false)};
        int count = 0;
        for (size_t e = 0; e < n; ++e) {
          const auto& o = metas[i][e];
          q.on_drive[e] = o && o->etag == q.meta.etag && o->size == q.meta.size &&
                          o->mod_time_ns == q.meta.mod_time_ns;
          count += q.on_drive[e];
        }
        if (count >= upload.erasure.data) {
          out.push_back(std::move(q));
          break;
        }
      }
    }
    batch.clear();
  };
  for (int number : numbers) {
    if (out.size() >= limit) break;
    batch.push_back(number);
    if (batch.size() == 64) flush();
  }
  if (!batch.empty() && out.size() < limit) flush();
  return out;
}

Result<ListPartsResult> ErasureSet::list_parts(const RequestContext& ctx, std::string_view bucket,
                                               std::string_view key, std::string_view upload_id,
                                               int part_marker, int max_parts) {
  max_parts = std::clamp(max_parts, 0, 1000);
  auto ukey = upload_key(bucket, key, upload_id);
  if (!ukey) return std::unexpected(ukey.error());
  auto upload = read_upload(ctx, *ukey);
  if (!upload) return std::unexpected(upload.error());
  if (upload->bucket != bucket || upload->key != key) return Err(Code::kNoSuchUpload, "mismatch");
  ListPartsResult r;
  r.upload = {upload->key,           upload->upload_id,     upload->initiated_ns,
              upload->storage_class, upload->checksum_algo, upload->metadata};
  // No part can follow the last part number: the upload record alone answers (the S3
  // layer reads an upload's SSE record this way before each part).
  if (part_marker >= kMaxPartNumber) return r;
  auto parts =
      read_parts(ctx, *ukey, *upload, std::max(0, part_marker), static_cast<size_t>(max_parts) + 1);
  if (!parts) return std::unexpected(parts.error());
  for (const PartQuorum& p : *parts) {
    if (r.parts.size() == static_cast<size_t>(max_parts)) {
      r.truncated = true;
      break;
    }
    r.parts.push_back(
        {p.meta.number, p.meta.etag, p.meta.actual_size, p.meta.mod_time_ns, p.meta.checksum_b64});
  }
  if (r.truncated && !r.parts.empty()) r.next_part_number_marker = r.parts.back().number;
  return r;
}

Status ErasureSet::abort_multipart_upload(const RequestContext& ctx, std::string_view bucket,
                                          std::string_view key, std::string_view upload_id) {
  auto ukey = upload_key(bucket, key, upload_id);
  if (!ukey) return ukey.error();
  auto lock = ctx_.locks->lock(*ukey, true, ctx);
  if (!lock) return lock.error();
  auto upload = read_upload(ctx, *ukey);
  if (!upload) return upload.error();
  // At the bucket's write quorum. A drive that fails or does not answer in time keeps the
  // upload's directory: nothing removes it later (no heal covers uploads), and a listing
  // that reads that drive may still show the upload, so it is logged.
  const std::vector<Status> result = fan_out_steps(
      ctx,
      [ukey = *ukey](storage::StorageApi& drive, size_t) {
        Status s = drive.delete_path(storage::kSysVolume, ukey, "", true);
        return s == Code::kFileNotFound ? Status::Ok() : s;
      },
      static_cast<size_t>(bucket_write_quorum()));
  Status s = internal::ReduceErrors(result, bucket_write_quorum(), Code::kWriteQuorum);
  for (size_t d = 0; d < result.size(); ++d) {
    if (!s.ok() || raw_[d] == nullptr || result[d].ok()) continue;
    obs::Log(obs::Level::kWarning, "aborted upload left on a drive",
             {{"TRACE_ID", ctx.trace_id},
              {"BUCKET", bucket},
              {"KEY", key},
              {"UPLOAD_ID", upload_id},
              {"DRIVE", std::to_string(index_) + "/" + std::to_string(d)},
              {"ERROR", CodeName(result[d].code())}});
  }
  return s;
}

Result<std::vector<MultipartUpload>> ErasureSet::list_uploads(
    const RequestContext& ctx, std::string_view bucket, std::string_view prefix,
    std::string_view key_marker, std::string_view upload_id_marker, size_t limit) {
  // The union of the uploads the drives hold, at quorum (read quorum + 1 answers): a drive
  // that does not answer in time is left out of this listing. Each drive reads the records
  // of the uploads it holds and keeps those of this listing: the record says which bucket and
  // key an upload belongs to (its directory is a hash of them). That reads every record on
  // every answering drive (before: one drive's copy each, read after the listing), so a
  // drive that hangs in reading them holds nothing. The tasks may outlive this call, so what
  // they fill is shared with them; only answered drives' slots are read.
  struct Listing {
    std::string bucket, prefix, key_marker, upload_id_marker;
    std::vector<std::map<std::string, UploadMeta>> found;  // per drive: by upload dir
  };
  const size_t n = raw_.size();
  auto listing = std::make_shared<Listing>();
  listing->bucket = bucket;
  listing->prefix = prefix;
  listing->key_marker = key_marker;
  listing->upload_id_marker = upload_id_marker;
  listing->found.resize(n);
  const std::vector<char> answered = fan_out(
      ctx,
      [listing, drives = shared_drives_](size_t d) {
        storage::StorageApi* drive = (*drives)[d].get();
        if (drive == nullptr) return false;
        const Listing& l = *listing;
        const std::string root(storage::kMultipartKey);
        auto hashes = drive->list_dir(storage::kSysVolume, root, "", 1u << 20);
        if (!hashes) return hashes.error() == Code::kFileNotFound;  // an answer: no uploads
        for (std::string h : *hashes) {
          if (h.empty() || h.back() != '/') continue;
          h.pop_back();
          auto ids = drive->list_dir(storage::kSysVolume, root + "/" + h, "", 1u << 20);
          if (!ids) continue;
          for (std::string id : *ids) {
            if (!id.empty() && id.back() == '/') id.pop_back();
            if (!storage::IsUuid(id)) continue;
            const std::string ukey = root + "/" + h + "/" + id;
            auto raw = drive->read_all(storage::kSysVolume, ukey, internal::kUploadFile);
            if (!raw) continue;
            auto u = DecodeUploadMeta(*raw);
            if (!u) continue;
            const bool after =
                u->key > l.key_marker || (u->key == l.key_marker && !l.upload_id_marker.empty() &&
                                          u->upload_id > l.upload_id_marker);
            if (u->bucket == l.bucket && u->key.starts_with(l.prefix) &&
                (l.key_marker.empty() || after)) {
              listing->found[d].emplace(ukey, std::move(*u));
            }
          }
        }
        return true;
      },
      read_needed());
  // Each upload with the first answering drive's copy and how many drives hold it. One held by
  // fewer drives than its data count is a leftover (a completion or abort that reached a quorum
  // of drives before a crash): read_upload answers NoSuchUpload for it, so it is not listed.
  struct Held {
    const UploadMeta* meta = nullptr;
    int drives = 0;
  };
  std::map<std::string, Held> all;
  for (size_t d = 0; d < n; ++d) {
    if (!answered[d]) continue;
    for (const auto& [ukey, u] : listing->found[d]) {
      Held& h = all[ukey];
      if (h.meta == nullptr) h.meta = &u;
      ++h.drives;
    }
  }
  std::vector<MultipartUpload> out;
  for (const auto& [ukey, held] : all) {
    const UploadMeta* u = held.meta;
    if (held.drives >= u->erasure.data && !upload_completed(ctx, *u, ukey)) {
      out.push_back(
          {u->key, u->upload_id, u->initiated_ns, u->storage_class, u->checksum_algo, {}});
    }
  }
  std::sort(out.begin(), out.end(), [](const MultipartUpload& a, const MultipartUpload& b) {
    return std::tie(a.key, a.upload_id) < std::tie(b.key, b.upload_id);
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace flashstor::object
