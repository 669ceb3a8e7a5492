// The reader of the legacy %m.json (meta_json.cc); the JSON codecs of uploads and parts are
// declared in object_metadata.h.
#pragma once

#include <string_view>

#include "flashstor/meta/object_meta.h"

namespace flashstor::object {

// A %m.json the previous release wrote: JSON header {"format":1,"versions":[...]}, then, when
// any version is inline, a NUL and each version's inline bytes in order. Accepts the header
// alone (a walk's entry: inline data left empty). kCorrupt when malformed, empty, longer than
// kMaxKeptVersions or the tail does not add up.
Result<MetaVersions> DecodeLegacyMetaVersions(std::string_view raw);

}  // namespace flashstor::object
