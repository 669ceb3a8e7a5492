// JSON codecs (cJSON): multipart upload and part records, and the reader of the legacy
// %m.json a previous release wrote for an object's versions (never written any more). Every
// field is checked on decode so a corrupt file is reported as kCorrupt, not half-trusted.
// 64-bit times are JSON strings (doubles would lose nanoseconds).
#include "meta_json.h"

#include <cjson/cJSON.h>

#include <charconv>
#include <memory>

namespace flashstor::object {
namespace {

struct JsonDeleter {
  void operator()(cJSON* j) const { cJSON_Delete(j); }
};
using JsonPtr = std::unique_ptr<cJSON, JsonDeleter>;

std::string Print(cJSON* root) {
  char* text = cJSON_PrintUnformatted(root);
  std::string out = text != nullptr ? text : "";
  cJSON_free(text);
  return out;
}

void AddInt(cJSON* obj, const char* name, int64_t v) {
  cJSON_AddStringToObject(obj, name, std::to_string(v).c_str());
}

void AddStr(cJSON* obj, const char* name, std::string_view v) {
  cJSON_AddStringToObject(obj, name, std::string(v).c_str());
}

// Decoding helpers: each returns false on a missing or mistyped field.
bool GetStr(const cJSON* obj, const char* name, std::string& out) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!cJSON_IsString(item)) return false;
  out = item->valuestring;
  return true;
}

template <typename T>
bool GetInt(const cJSON* obj, const char* name, T& out) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!cJSON_IsString(item)) return false;
  std::string_view s = item->valuestring;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool GetSmall(const cJSON* obj, const char* name, int& out) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!cJSON_IsNumber(item)) return false;
  out = item->valueint;
  return true;
}

void AddErasure(cJSON* obj, const ErasureInfo& e) {
  cJSON* j = cJSON_AddObjectToObject(obj, "erasure");
  cJSON_AddNumberToObject(j, "data", e.data);
  cJSON_AddNumberToObject(j, "parity", e.parity);
  AddInt(j, "block_size", static_cast<int64_t>(e.block_size));
  cJSON_AddNumberToObject(j, "index", e.index);
  cJSON* dist = cJSON_AddArrayToObject(j, "distribution");
  for (int d : e.distribution) cJSON_AddItemToArray(dist, cJSON_CreateNumber(d));
}

bool GetErasure(const cJSON* obj, ErasureInfo& e) {
  const cJSON* j = cJSON_GetObjectItemCaseSensitive(obj, "erasure");
  if (!cJSON_IsObject(j) || !GetSmall(j, "data", e.data) || !GetSmall(j, "parity", e.parity) ||
      !GetInt(j, "block_size", e.block_size) || !GetSmall(j, "index", e.index)) {
    return false;
  }
  const cJSON* dist = cJSON_GetObjectItemCaseSensitive(j, "distribution");
  if (!cJSON_IsArray(dist)) return false;
  const cJSON* d = nullptr;
  cJSON_ArrayForEach(d, dist) {
    if (!cJSON_IsNumber(d)) return false;
    e.distribution.push_back(d->valueint);
  }
  // Bounded before the sum (cJSON saturates huge numbers to INT_MAX: no overflow here).
  if (e.data < 1 || e.data > 32 || e.parity < 0 || e.parity > 32) return false;
  int total = e.data + e.parity;
  if (total > 32 || e.block_size == 0 || e.block_size > (64u << 20) ||
      static_cast<int>(e.distribution.size()) != total || e.index < 0 || e.index > total) {
    return false;
  }
  std::vector<bool> seen(static_cast<size_t>(total) + 1, false);
  for (int v : e.distribution) {
    if (v < 1 || v > total || seen[static_cast<size_t>(v)]) return false;
    seen[static_cast<size_t>(v)] = true;
  }
  return true;
}

void AddMetadata(cJSON* obj, const Metadata& md, const char* name = "meta") {
  cJSON* arr = cJSON_AddArrayToObject(obj, name);
  for (const auto& [k, v] : md) {
    cJSON* pair = cJSON_CreateArray();
    cJSON_AddItemToArray(pair, cJSON_CreateString(k.c_str()));
    cJSON_AddItemToArray(pair, cJSON_CreateString(v.c_str()));
    cJSON_AddItemToArray(arr, pair);
  }
}

bool GetMetadata(const cJSON* obj, Metadata& md, const char* name = "meta") {
  const cJSON* arr = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!cJSON_IsArray(arr)) return false;
  const cJSON* pair = nullptr;
  cJSON_ArrayForEach(pair, arr) {
    const cJSON* k = cJSON_GetArrayItem(pair, 0);
    const cJSON* v = cJSON_GetArrayItem(pair, 1);
    if (!cJSON_IsString(k) || !cJSON_IsString(v)) return false;
    md.emplace_back(k->valuestring, v->valuestring);
  }
  return true;
}

bool GetAlgo(const cJSON* obj, hash::ChecksumAlgo& algo) {
  std::string name;
  if (!GetStr(obj, "checksum_algo", name)) return false;
  if (name.empty()) {
    algo = hash::ChecksumAlgo::kNone;
    return true;
  }
  auto parsed = hash::ParseChecksumAlgo(name);
  if (!parsed) return false;
  algo = *parsed;
  return true;
}

cJSON* PartJson(const PartMeta& p) {
  cJSON* j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "n", p.number);
  AddInt(j, "size", static_cast<int64_t>(p.size));
  AddInt(j, "actual", static_cast<int64_t>(p.actual_size));
  AddStr(j, "etag", p.etag);
  AddInt(j, "mod_time", p.mod_time_ns);
  AddStr(j, "checksum", p.checksum_b64);
  return j;
}

bool GetPart(const cJSON* j, PartMeta& p) {
  return cJSON_IsObject(j) && GetSmall(j, "n", p.number) && GetInt(j, "size", p.size) &&
         GetInt(j, "actual", p.actual_size) && GetStr(j, "etag", p.etag) &&
         GetInt(j, "mod_time", p.mod_time_ns) && GetStr(j, "checksum", p.checksum_b64) &&
         p.number >= 1 && p.number <= 10000;
}

JsonPtr ParseHeader(std::string_view raw, std::string_view& tail) {
  size_t nul = raw.find('\0');
  std::string_view header = raw.substr(0, nul);
  tail = nul == std::string_view::npos ? std::string_view() : raw.substr(nul + 1);
  return JsonPtr(cJSON_ParseWithLength(header.data(), header.size()));
}

// One entry of "versions"; inline_size is how many tail bytes belong to it.
bool GetVersion(const cJSON* v, ObjectMeta& m, uint64_t& inline_size) {
  std::string type;
  const cJSON* inl = cJSON_GetObjectItemCaseSensitive(v, "inline");
  const cJSON* parts = cJSON_GetObjectItemCaseSensitive(v, "parts");
  if (!cJSON_IsObject(v) || !GetStr(v, "type", type) || type != "object" ||
      !GetStr(v, "version_id", m.version_id) || !GetInt(v, "mod_time", m.mod_time_ns) ||
      !GetInt(v, "size", m.size) || !GetStr(v, "etag", m.etag) ||
      !GetStr(v, "content_type", m.content_type) || !GetStr(v, "storage_class", m.storage_class) ||
      !GetMetadata(v, m.metadata) || !GetAlgo(v, m.checksum_algo) ||
      !GetStr(v, "checksum", m.checksum_b64) || !GetErasure(v, m.erasure) ||
      !GetStr(v, "data_dir", m.data_dir) || !cJSON_IsBool(inl) ||
      !GetInt(v, "inline_size", inline_size) || !cJSON_IsArray(parts)) {
    return false;
  }
  m.inlined = cJSON_IsTrue(inl);
  GetStr(v, "upload_id", m.upload_id);  // optional
  const cJSON* p = nullptr;
  cJSON_ArrayForEach(p, parts) {
    if (!GetPart(p, m.parts.emplace_back())) return false;
  }
  return !m.parts.empty() && m.inlined != !m.data_dir.empty() && (m.inlined || inline_size == 0);
}

}  // namespace

Result<MetaVersions> DecodeLegacyMetaVersions(std::string_view raw) {
  std::string_view tail;
  JsonPtr root = ParseHeader(raw, tail);
  int format = 0;
  if (!root || !GetSmall(root.get(), "format", format) || format != kMetaFormat) {
    return Err(Code::kCorrupt, "metadata not JSON or unknown format");
  }
  const cJSON* array = cJSON_GetObjectItemCaseSensitive(root.get(), "versions");
  const int count = cJSON_GetArraySize(array);
  if (!cJSON_IsArray(array) || count < 1 || static_cast<size_t>(count) > kMaxKeptVersions) {
    return Err(Code::kCorrupt, "metadata has no versions or too many");
  }
  const bool with_tail = raw.find('\0') != std::string_view::npos;
  MetaVersions out(static_cast<size_t>(count));
  size_t i = 0;
  const cJSON* v = nullptr;
  cJSON_ArrayForEach(v, array) {
    uint64_t inline_size = 0;
    if (!GetVersion(v, out[i], inline_size))
      return Err(Code::kCorrupt, "metadata fields malformed");
    if (with_tail) {
      if (inline_size > tail.size()) return Err(Code::kCorrupt, "inline data truncated");
      out[i].inline_data.assign(tail.substr(0, inline_size));
      tail.remove_prefix(inline_size);
    }
    ++i;
  }
  if (!tail.empty()) return Err(Code::kCorrupt, "trailing bytes after inline data");
  return out;
}

std::string EncodeUploadMeta(const UploadMeta& u) {
  JsonPtr root(cJSON_CreateObject());
  cJSON_AddNumberToObject(root.get(), "format", kMetaFormat);
  AddStr(root.get(), "bucket", u.bucket);
  AddStr(root.get(), "key", u.key);
  AddStr(root.get(), "upload_id", u.upload_id);
  AddInt(root.get(), "initiated", u.initiated_ns);
  AddStr(root.get(), "content_type", u.content_type);
  AddStr(root.get(), "storage_class", u.storage_class);
  AddMetadata(root.get(), u.metadata);
  if (!u.tags.empty()) AddMetadata(root.get(), u.tags, "tags");
  if (u.lock.mode != RetentionMode::kNone) {
    cJSON_AddNumberToObject(root.get(), "lock_mode", static_cast<int>(u.lock.mode));
    AddInt(root.get(), "retain_until", u.lock.retain_until_ns);
  }
  if (u.lock.legal_hold) cJSON_AddBoolToObject(root.get(), "legal_hold", true);
  AddStr(root.get(), "checksum_algo", hash::ChecksumAlgoName(u.checksum_algo));
  AddErasure(root.get(), u.erasure);
  return Print(root.get());
}

Result<UploadMeta> DecodeUploadMeta(std::string_view raw) {
  JsonPtr root(cJSON_ParseWithLength(raw.data(), raw.size()));
  UploadMeta u;
  int format = 0;
  if (!root || !GetSmall(root.get(), "format", format) || format != kMetaFormat ||
      !GetStr(root.get(), "bucket", u.bucket) || !GetStr(root.get(), "key", u.key) ||
      !GetStr(root.get(), "upload_id", u.upload_id) ||
      !GetInt(root.get(), "initiated", u.initiated_ns) ||
      !GetStr(root.get(), "content_type", u.content_type) ||
      !GetStr(root.get(), "storage_class", u.storage_class) ||
      !GetMetadata(root.get(), u.metadata) || !GetAlgo(root.get(), u.checksum_algo) ||
      !GetErasure(root.get(), u.erasure)) {
    return Err(Code::kCorrupt, "upload metadata malformed");
  }
  // Optional: uploads without tags (and those of earlier releases) have none.
  if (cJSON_GetObjectItemCaseSensitive(root.get(), "tags") != nullptr &&
      !GetMetadata(root.get(), u.tags, "tags")) {
    return Err(Code::kCorrupt, "upload metadata malformed");
  }
  // Optional too: object lock of the upload.
  if (cJSON_GetObjectItemCaseSensitive(root.get(), "lock_mode") != nullptr) {
    int mode = 0;
    if (!GetSmall(root.get(), "lock_mode", mode) || mode < 1 || mode > 2 ||
        !GetInt(root.get(), "retain_until", u.lock.retain_until_ns)) {
      return Err(Code::kCorrupt, "upload metadata malformed");
    }
    u.lock.mode = static_cast<RetentionMode>(mode);
  }
  u.lock.legal_hold = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root.get(), "legal_hold")) != 0;
  return u;
}

std::string EncodePartMeta(const PartMeta& part) {
  JsonPtr root(PartJson(part));
  return Print(root.get());
}

Result<PartMeta> DecodePartMeta(std::string_view raw) {
  JsonPtr root(cJSON_ParseWithLength(raw.data(), raw.size()));
  PartMeta p;
  if (!root || !GetPart(root.get(), p)) return Err(Code::kCorrupt, "part metadata malformed");
  return p;
}

}  // namespace flashstor::object
