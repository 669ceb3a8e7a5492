// Version journal rules (version_journal.h).
#include "flashstor/meta/version_journal.h"

namespace flashstor::object {

VersionKey KeyOf(const ObjectMeta& m) {
  return {m.mod_time_ns, m.etag, m.data_dir, m.version_id, m.delete_marker, m.lock()};
}

bool IsLive(const std::vector<VersionKey>& live, const ObjectMeta& m) {
  for (const VersionKey& k : live) {
    if (k.same(m)) return true;
  }
  return false;
}

MetaVersions CommitFile(const ObjectMeta* version, const MetaVersions& held,
                        const std::vector<VersionKey>& keep, bool fallback) {
  MetaVersions file;
  if (version != nullptr) file.push_back(*version);
  for (const ObjectMeta& v : held) {
    if (version != nullptr && SameVersion(v, *version)) continue;
    if (IsLive(keep, v) || (fallback && file.size() < kMaxFileVersions)) file.push_back(v);
  }
  return file;
}

std::optional<MetaVersions> ReplaceVersion(const MetaVersions& held, const VersionKey& old,
                                           const ObjectMeta& updated, bool fallback) {
  MetaVersions file;
  file.reserve(held.size() + 1);
  bool found = false;
  for (const ObjectMeta& v : held) {
    if (!found && old.same(v)) {
      found = true;
      file.push_back(updated);
      if (!fallback) continue;
    }
    file.push_back(v);
  }
  if (!found) return std::nullopt;
  return file;
}

bool MustKeepReplaced(const ObjectMeta& updated, size_t drives, int write_quorum) {
  return static_cast<int>(drives) - write_quorum + 1 < updated.erasure.data;
}

bool MustKeep(const MetaVersions& held, const std::vector<VersionKey>& keep, size_t drives,
              int write_quorum) {
  const int untouched = static_cast<int>(drives) - write_quorum + 1;
  for (const ObjectMeta& v : held) {
    if (untouched < v.erasure.data && !IsLive(keep, v)) return true;
  }
  return false;
}

std::vector<std::string> DataDirsNotIn(const MetaVersions& held, const MetaVersions& file) {
  std::vector<std::string> out;
  for (const ObjectMeta& v : held) {
    if (v.data_dir.empty()) continue;
    bool named = false;
    for (const ObjectMeta& f : file) named = named || f.data_dir == v.data_dir;
    for (const std::string& d : out) named = named || d == v.data_dir;
    if (!named) out.push_back(v.data_dir);
  }
  return out;
}

}  // namespace flashstor::object
