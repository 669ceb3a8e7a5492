// LegacyMetaJson: the %m.json the previous release wrote (its encoder, frozen here for tests
// only: the daemon reads this format and never writes it), and a helper that turns a drive's
// %m.bin files into such legacy files, as a drive set written by that release holds them.
#pragma once

#include <cjson/cJSON.h>
#include <dirent.h>
#include <unistd.h>

#include <string>

#include "engine_test_util.h"
#include "flashstor/object/object_metadata.h"

#include "cmocka_cpp.h"

namespace flashstor::testing {

inline std::string LegacyMetaJson(const object::MetaVersions& versions) {
  auto str = [](cJSON* o, const char* n, std::string_view v) {
    cJSON_AddStringToObject(o, n, std::string(v).c_str());
  };
  auto num = [&](cJSON* o, const char* n, int64_t v) { str(o, n, std::to_string(v)); };
  cJSON* root = cJSON_CreateObject();
  cJSON_AddNumberToObject(root, "format", 1);
  cJSON* array = cJSON_AddArrayToObject(root, "versions");
  bool any_inline = false;
  for (const object::ObjectMeta& m : versions) {
    any_inline |= m.inlined;
    cJSON* v = cJSON_CreateObject();
    cJSON_AddItemToArray(array, v);
    str(v, "type", "object");
    str(v, "version_id", m.version_id);
    num(v, "mod_time", m.mod_time_ns);
    num(v, "size", static_cast<int64_t>(m.size));
    str(v, "etag", m.etag);
    str(v, "content_type", m.content_type);
    str(v, "storage_class", m.storage_class);
    cJSON* meta = cJSON_AddArrayToObject(v, "meta");
    for (const auto& [k, val] : m.metadata) {
      cJSON* pair = cJSON_CreateArray();
      cJSON_AddItemToArray(pair, cJSON_CreateString(k.c_str()));
      cJSON_AddItemToArray(pair, cJSON_CreateString(val.c_str()));
      cJSON_AddItemToArray(meta, pair);
    }
    str(v, "checksum_algo", hash::ChecksumAlgoName(m.checksum_algo));
    str(v, "checksum", m.checksum_b64);
    cJSON* e = cJSON_AddObjectToObject(v, "erasure");
    cJSON_AddNumberToObject(e, "data", m.erasure.data);
    cJSON_AddNumberToObject(e, "parity", m.erasure.parity);
    num(e, "block_size", static_cast<int64_t>(m.erasure.block_size));
    cJSON_AddNumberToObject(e, "index", m.erasure.index);
    cJSON* dist = cJSON_AddArrayToObject(e, "distribution");
    for (int d : m.erasure.distribution) cJSON_AddItemToArray(dist, cJSON_CreateNumber(d));
    str(v, "data_dir", m.data_dir);
    if (!m.upload_id.empty()) str(v, "upload_id", m.upload_id);
    cJSON_AddBoolToObject(v, "inline", m.inlined);
    num(v, "inline_size", static_cast<int64_t>(m.inline_data.size()));
    cJSON* parts = cJSON_AddArrayToObject(v, "parts");
    for (const object::PartMeta& p : m.parts) {
      cJSON* j = cJSON_CreateObject();
      cJSON_AddNumberToObject(j, "n", p.number);
      num(j, "size", static_cast<int64_t>(p.size));
      num(j, "actual", static_cast<int64_t>(p.actual_size));
      str(j, "etag", p.etag);
      num(j, "mod_time", p.mod_time_ns);
      str(j, "checksum", p.checksum_b64);
      cJSON_AddItemToArray(parts, j);
    }
  }
  char* text = cJSON_PrintUnformatted(root);
  std::string out = text;
  cJSON_free(text);
  cJSON_Delete(root);
  if (any_inline) {
    out.push_back('\0');
    for (const object::ObjectMeta& m : versions) out += m.inline_data;
  }
  return out;
}

inline void WriteFile(const std::string& path, std::string_view data) {
  FILE* f = fopen(path.c_str(), "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data.data(), 1, data.size(), f), data.size());
  fclose(f);
  ForgetCachedMetadata(path);  // behind the engine's back
}

// Replaces <drive>/<bucket>/<key>/%m.bin with the %m.json the previous release wrote for it.
inline void MakeLegacy(const std::string& drive, const std::string& bucket,
                       const std::string& key) {
  const std::string dir = drive + "/" + bucket + "/" + key;
  auto versions = object::DecodeMetaVersions(ReadFile(dir + "/%m.bin"));
  assert_true(versions.has_value());
  WriteFile(dir + "/%m.json", LegacyMetaJson(*versions));
  assert_int_equal(unlink((dir + "/%m.bin").c_str()), 0);
}

}  // namespace flashstor::testing
