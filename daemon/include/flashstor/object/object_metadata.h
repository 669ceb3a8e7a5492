// The object layer's view of the per-drive metadata records (meta/object_meta.h): what S3
// sees of a stored version.
#pragma once

#include <string_view>

#include "flashstor/meta/object_meta.h"
#include "flashstor/object/object_layer.h"

namespace flashstor::object {

ObjectInfo ToObjectInfo(const ObjectMeta& meta, std::string_view bucket, std::string_view key);
// The same, moving the descriptive fields (version id, ETag, content type, storage class,
// user metadata, checksum) out of meta instead of copying them. meta keeps its layout (size,
// erasure, parts, data dir, inline data): what a reader still needs.
ObjectInfo TakeObjectInfo(ObjectMeta& meta, std::string_view bucket, std::string_view key);

}  // namespace flashstor::object
