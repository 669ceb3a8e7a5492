// EntryStream: a sorted stream of listing entries (objects with their metadata header, or
// common prefixes), produced by merging drives' walks within a set and sets' streams.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "flashstor/common/status.h"
#include "flashstor/object/object_metadata.h"

namespace flashstor::object {

struct ListEntry {
  std::string key;  // object key, or a prefix ending with the delimiter
  bool is_prefix = false;
  ObjectMeta meta;  // objects only: no inline data, parts, user metadata or tags
  // A walk of all versions: the key's versions (LiveVersions), newest first; meta is empty.
  std::vector<ObjectMeta> versions;
};

class EntryStream {
 public:
  virtual ~EntryStream() = default;
  // Fills entry and returns true; false at the end. Errors are final.
  virtual Result<bool> next(ListEntry& entry) = 0;
};

}  // namespace flashstor::object
