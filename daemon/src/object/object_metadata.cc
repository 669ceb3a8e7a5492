// What S3 sees of a stored version (ObjectInfo from ObjectMeta).
#include "flashstor/object/object_metadata.h"

namespace flashstor::object {

namespace {

// Copies the fields of an lvalue m, moves those of an rvalue (each member is taken once).
template <typename Meta>
ObjectInfo MakeInfo(Meta&& m, std::string_view bucket, std::string_view key) {
  ObjectInfo info;
  info.bucket = bucket;
  info.key = key;
  if (m.parts.size() > 1 || m.etag.find('-') != std::string::npos) {
    // The client's bytes per part (the plaintext of an encrypted object: m.actual_size).
    for (const PartMeta& p : m.parts) {
      info.parts.push_back({p.number, p.etag, m.actual_size ? p.actual_size : p.size, p.mod_time_ns,
                            p.checksum_b64});
    }
  }
  if (m.version_id != "null") info.version_id = std::forward<Meta>(m).version_id;
  info.etag = std::forward<Meta>(m).etag;
  info.size = m.actual_size.value_or(m.size);
  info.stored_size = m.size;
  info.mod_time_ns = m.mod_time_ns;
  info.content_type = std::forward<Meta>(m).content_type;
  info.storage_class = std::forward<Meta>(m).storage_class;
  info.metadata = std::forward<Meta>(m).metadata;
  info.checksum_algo = m.checksum_algo;
  info.checksum_b64 = std::forward<Meta>(m).checksum_b64;
  info.tags = std::forward<Meta>(m).tags;
  info.delete_marker = m.delete_marker;
  info.lock = m.lock();
  return info;
}

}  // namespace

ObjectInfo ToObjectInfo(const ObjectMeta& m, std::string_view bucket, std::string_view key) {
  return MakeInfo(m, bucket, key);
}

ObjectInfo TakeObjectInfo(ObjectMeta& m, std::string_view bucket, std::string_view key) {
  return MakeInfo(std::move(m), bucket, key);
}

}  // namespace flashstor::object
