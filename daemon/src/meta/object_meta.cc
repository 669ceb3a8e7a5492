// Object metadata: which codec reads a file, and version identity.
#include "flashstor/meta/object_meta.h"

#include "flashstor/meta/meta_codec.h"
#include "meta_json.h"

namespace flashstor::object {

std::string EncodeMetaVersions(std::span<const ObjectMeta> versions) {
  return EncodeBinaryMeta(versions);
}

Result<MetaVersions> DecodeMetaVersions(std::string_view raw, MetaDecode mode) {
  if (IsBinaryMeta(raw)) return DecodeBinaryMeta(raw, mode);
  if (raw.starts_with('{')) {
    // Only kFull reads the inline bytes after the JSON header's NUL.
    return DecodeLegacyMetaVersions(mode == MetaDecode::kFull ? raw
                                                              : raw.substr(0, raw.find('\0')));
  }
  return Err(Code::kCorrupt, "metadata neither binary nor legacy JSON");
}

std::string EncodeObjectMeta(const ObjectMeta& meta) {
  return EncodeMetaVersions(std::span<const ObjectMeta>(&meta, 1));
}

Result<ObjectMeta> DecodeObjectMeta(std::string_view raw) {
  auto versions = DecodeMetaVersions(raw);
  if (!versions) return std::unexpected(versions.error());
  return std::move(versions->front());
}

bool SameVersion(const ObjectMeta& a, const ObjectMeta& b) {
  return a.mod_time_ns == b.mod_time_ns && a.etag == b.etag && a.data_dir == b.data_dir;
}

}  // namespace flashstor::object
