// CompleteMultipartUpload: validates the client's part list against the parts a quorum of
// drives holds, then moves the upload's data/ directory into the object as its data dir
// (a rename per drive, no data copy) and writes the object metadata with the part list.
#include <openssl/evp.h>

#include <map>

#include "erasure_set_internal.h"
#include "flashstor/object/set_layout.h"
#include "flashstor/storage/key_path.h"
#include "flashstor/storage/uuid.h"
#include "shard_io.h"

namespace flashstor::object {
namespace {

std::string StripQuotes(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return std::string(s);
}

bool HexToBytes(std::string_view hex, std::string& out) {
  if (hex.size() % 2 != 0) return false;
  auto val = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = val(hex[i]), lo = val(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

// Multipart ETag: hex(md5(concatenated binary part MD5s)) + "-N".
Result<std::string> MultipartEtag(const std::vector<PartMeta>& parts) {
  std::string concat;
  for (const PartMeta& p : parts) {
    if (!HexToBytes(p.etag, concat)) return Err(Code::kInternal, "stored part etag malformed");
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(concat.data(), concat.size(), digest, &len, EVP_md5(), nullptr);
  return hash::HexEncode({digest, len}) + "-" + std::to_string(parts.size());
}

// Composite checksum: base64(checksum of the concatenated raw part checksums) + "-N".
Result<std::string> CompositeChecksum(hash::ChecksumAlgo algo, const std::vector<PartMeta>& parts) {
  hash::Checksum sum(algo);
  for (const PartMeta& p : parts) {
    auto raw = hash::Base64Decode(p.checksum_b64);
    if (!raw || raw->empty()) return Err(Code::kInvalidPart, "part has no checksum");
    sum.update(*raw);
  }
  return sum.final_b64() + "-" + std::to_string(parts.size());
}

// FULL_OBJECT checksum: the CRC of the whole object, combined from the parts' CRCs.
Result<std::string> FullObjectChecksum(hash::ChecksumAlgo algo,
                                       const std::vector<PartMeta>& parts) {
  std::string whole;
  for (const PartMeta& p : parts) {
    auto raw = hash::Base64Decode(p.checksum_b64);
    if (!raw || raw->empty()) return Err(Code::kInvalidPart, "part has no checksum");
    auto combined = hash::CombineChecksums(algo, whole, *raw, p.actual_size);
    if (!combined) return Err(Code::kInvalidPart, "part checksum malformed");
    whole = std::move(*combined);
  }
  return hash::Base64Encode({reinterpret_cast<const unsigned char*>(whole.data()), whole.size()});
}

// Removes the FULL_OBJECT marker from the upload's metadata; true when it was there.
bool TakeFullObjectMarker(Metadata& metadata) {
  const size_t before = metadata.size();
  std::erase_if(metadata,
                [](const auto& kv) { return kv.first == internal::kFullObjectChecksumKey; });
  return metadata.size() != before;
}

Status CheckPartList(const std::vector<CompletePart>& want) {
  if (want.empty()) return Status(Code::kMalformedXml, "no parts");
  if (want.size() > static_cast<size_t>(kMaxPartNumber)) {
    return Status(Code::kInvalidPart, "too many parts");
  }
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].number < 1 || want[i].number > kMaxPartNumber) {
      return Status(Code::kInvalidPart, "bad part number");
    }
    if (i > 0 && want[i].number <= want[i - 1].number) {
      return Status(Code::kInvalidPartOrder, "parts not in ascending order");
    }
  }
  return Status::Ok();
}

Result<ObjectMeta> MultipartObjectMeta(const UploadMeta& upload,
                                       const std::vector<PartMeta>& parts) {
  ObjectMeta meta;
  meta.erasure = upload.erasure;
  meta.mod_time_ns = internal::NowNs();
  uint64_t actual = 0;
  for (const PartMeta& p : parts) {
    meta.size += p.size;
    actual += p.actual_size;
  }
  // Transformed (encrypted) parts: the client's bytes differ from the stored ones.
  if (actual != meta.size) meta.actual_size = actual;
  if (actual > kMaxObjectSize) return Err(Code::kEntityTooLarge, "object too large");
  auto etag = MultipartEtag(parts);
  if (!etag) return std::unexpected(etag.error());
  meta.etag = *etag;
  meta.content_type = upload.content_type;
  meta.storage_class = upload.storage_class;
  meta.metadata = upload.metadata;
  meta.tags = upload.tags;
  meta.set_lock(upload.lock);
  const bool full_object = TakeFullObjectMarker(meta.metadata);
  meta.checksum_algo = upload.checksum_algo;
  if (upload.checksum_algo != hash::ChecksumAlgo::kNone) {
    auto sum = full_object ? FullObjectChecksum(upload.checksum_algo, parts)
                           : CompositeChecksum(upload.checksum_algo, parts);
    if (!sum) return std::unexpected(sum.error());
    meta.checksum_b64 = *sum;
  }
  meta.parts = parts;
  meta.data_dir = storage::NewUuid();
  return meta;
}

// True when want names exactly the parts the object was stitched from (a retry's list).
bool SamePartList(const std::vector<CompletePart>& want, const std::vector<PartMeta>& parts) {
  if (want.size() != parts.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].number != parts[i].number || StripQuotes(want[i].etag) != parts[i].etag) {
      return false;
    }
  }
  return true;
}

}  // namespace

Status ErasureSet::choose_parts(const RequestContext& ctx, const std::string& ukey,
                                const UploadMeta& upload, const std::vector<CompletePart>& want,
                                std::vector<PartMeta>& chosen, std::vector<bool>& participate) {
  auto have = read_parts(ctx, ukey, upload, 0, kMaxPartNumber);
  if (!have) return have.error();
  std::map<int, const internal::PartQuorum*> by_number;
  for (const auto& p : *have) by_number[p.meta.number] = &p;
  participate.assign(raw_.size(), true);
  for (size_t i = 0; i < want.size(); ++i) {
    auto it = by_number.find(want[i].number);
    if (it == by_number.end()) return Status(Code::kInvalidPart, "part not uploaded");
    const internal::PartQuorum& p = *it->second;
    if (StripQuotes(want[i].etag) != p.meta.etag) return Status(Code::kInvalidPart, "bad etag");
    if (!want[i].checksum_b64.empty() && want[i].checksum_b64 != p.meta.checksum_b64) {
      return Status(Code::kInvalidPart, "checksum mismatch");
    }
    if (i + 1 < want.size() && p.meta.actual_size < kMinPartSize) {
      return Status(Code::kEntityTooSmall, "part smaller than 5 MiB");
    }
    for (size_t d = 0; d < raw_.size(); ++d) participate[d] = participate[d] && p.on_drive[d];
    chosen.push_back(p.meta);
  }
  return Status::Ok();
}

Result<ObjectInfo> ErasureSet::completed_before(const RequestContext& ctx, std::string_view bucket,
                                                std::string_view key, std::string_view upload_id,
                                                const std::vector<CompletePart>& want,
                                                Status missing) {
  // Lock order upload -> key: the caller holds the upload lock.
  auto lock = ctx_.locks->lock(internal::ObjectResource(bucket, key), false, ctx);
  if (!lock) return std::unexpected(lock.error());
  auto q = read_meta(ctx, bucket, key, false);
  if (!q || q->meta().upload_id.empty() || q->meta().upload_id != upload_id ||
      !SamePartList(want, q->meta().parts)) {
    return std::unexpected(missing);
  }
  return ToObjectInfo(q->meta(), bucket, key);
}

Result<ObjectInfo> ErasureSet::complete_multipart_upload(
    const RequestContext& ctx, std::string_view bucket, std::string_view key,
    std::string_view upload_id, const std::vector<CompletePart>& want,
    const WritePrecondition& precondition, VersioningState versioning) {
  if (Status s = CheckPartList(want); !s.ok()) return std::unexpected(s);
  auto ukey = upload_key(bucket, key, upload_id);
  if (!ukey) return std::unexpected(ukey.error());
  auto upload_lock = ctx_.locks->lock(*ukey, true, ctx);
  if (!upload_lock) return std::unexpected(upload_lock.error());
  auto upload = read_upload(ctx, *ukey);
  if (!upload) {
    if (upload.error() != Code::kNoSuchUpload) return std::unexpected(upload.error());
    return completed_before(ctx, bucket, key, upload_id, want, upload.error());
  }
  if (upload->bucket != bucket || upload->key != key) return Err(Code::kNoSuchUpload, "mismatch");
  // Drives with a call of an earlier fan-out still running may get a late part commit of
  // this upload (see commit_part): decided before the part records are read, they stay out.
  const size_t quorum =
      static_cast<size_t>(WriteQuorum(upload->erasure.data, upload->erasure.parity));
  const std::vector<bool> idle = without_stragglers(std::vector<bool>(raw_.size(), true), quorum);
  std::vector<PartMeta> chosen;
  std::vector<bool> participate;
  if (Status s = choose_parts(ctx, *ukey, *upload, want, chosen, participate); !s.ok()) {
    return std::unexpected(s);
  }
  for (size_t d = 0; d < raw_.size(); ++d) participate[d] = participate[d] && idle[d];
  auto meta = MultipartObjectMeta(*upload, chosen);
  if (!meta) return std::unexpected(meta.error());
  meta->upload_id = upload->upload_id;
  if (versioning == VersioningState::kEnabled) meta->version_id = internal::NewVersionId();
  // Stage the listed parts as hard links (no data copy) so the upload survives until the
  // object is committed: a crash leaves either the upload or the object, never neither.
  // Staged as tmp/<data_dir>, renamed in as %d.<data_dir> (as a PUT's data).
  const std::string& staged = meta->data_dir;
  const std::string tmp_key = std::string(storage::kTmpKey) + "/" + staged;
  std::vector<std::string> names;
  for (const PartMeta& p : chosen) names.push_back(internal::PartFile(p.number));
  // At the object's write quorum: a drive that does not answer in time is left out of the
  // commit (and the object healed), like one whose link failed; links it makes later stay in
  // tmp/, which remove_sys_dir below or the drive's tmp sweep removes.
  const std::vector<Status> staged_ok = fan_out_steps(
      ctx,
      [ukey = *ukey, staged, names](storage::StorageApi& drive, size_t) {
        return drive.link_files(storage::kSysVolume, ukey, internal::kUploadDataDir,
                                storage::kSysVolume, storage::kTmpKey, staged, names);
      },
      static_cast<size_t>(WriteQuorum(meta->erasure.data, meta->erasure.parity)), &participate);
  for (size_t d = 0; d < raw_.size(); ++d) participate[d] = staged_ok[d].ok();
  CommitPlan plan;
  plan.bucket = bucket;
  plan.key = key;
  plan.participate = participate;
  plan.write_quorum = WriteQuorum(meta->erasure.data, meta->erasure.parity);
  plan.data_dir = meta->data_dir;
  plan.src_volume = storage::kSysVolume;
  plan.src_key = storage::kTmpKey;
  plan.src_file = staged;
  for (size_t d = 0; d < raw_.size(); ++d) {
    ObjectMeta m = *meta;
    m.erasure.index = meta->erasure.distribution[d];
    plan.meta.push_back(std::move(m));
  }
  Status committed;
  std::vector<char> moved;  // drives whose commit took the staged data dir (tmp/<data_dir>)
  {
    auto lock = ctx_.locks->lock(internal::ObjectResource(bucket, key), true, ctx);
    committed = lock ? check_precondition(ctx, bucket, key, precondition) : lock.error();
    if (committed.ok()) {
      auto keep = versions_to_keep(ctx, bucket, key, meta->version_id, versioning);
      committed = keep ? Status::Ok() : keep.error();
      if (keep) plan.keep = std::move(*keep);
    }
    if (lock) plan.fence = lock->fence();
    if (committed.ok()) committed = commit(ctx, plan, &moved);
  }
  remove_sys_dir(tmp_key, committed.ok() ? &moved : nullptr);
  if (!committed.ok()) return std::unexpected(committed);
  // A crash before this point leaves the upload behind; read_upload sees the object names
  // it (upload_id) and treats it as completed.
  remove_sys_dir(*ukey);
  return ToObjectInfo(*meta, bucket, key);
}

}  // namespace flashstor::object
