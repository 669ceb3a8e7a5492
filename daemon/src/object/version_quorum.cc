// The quorum rule over drives' version lists (see version_quorum.h).
#include "flashstor/object/version_quorum.h"

#include <algorithm>
#include <tuple>
#include <unordered_set>
#include <vector>

#include "flashstor/object/set_layout.h"

namespace flashstor::object {
namespace {

struct Candidate {
  const ObjectMeta* version;
  size_t drive;
  size_t slot;
};

// Newest first; equal mod times (two writers in the same nanosecond) ordered by ETag and
// data dir so every node and every call picks the same one.
bool Newer(const Candidate& a, const Candidate& b) {
  const ObjectMeta& x = *a.version;
  const ObjectMeta& y = *b.version;
  return std::tie(x.mod_time_ns, x.etag, x.data_dir) > std::tie(y.mod_time_ns, y.etag, y.data_dir);
}

}  // namespace

int FindVersion(const MetaVersions& versions, const ObjectMeta& version) {
  for (size_t i = 0; i < versions.size(); ++i) {
    if (SameVersion(versions[i], version)) return static_cast<int>(i);
  }
  return -1;
}

VersionPick PickVersion(std::span<const MetaVersions* const> drives, int min_write_quorum,
                        const std::function<bool(const ObjectMeta&)>& wanted) {
  int unknown = 0;
  std::vector<Candidate> candidates;
  for (size_t d = 0; d < drives.size(); ++d) {
    if (drives[d] == nullptr) {
      ++unknown;
      continue;
    }
    for (size_t s = 0; s < drives[d]->size(); ++s) {
      const ObjectMeta& v = (*drives[d])[s];
      if (!wanted || wanted(v)) candidates.push_back({&v, d, s});
    }
  }
  // Sorted, then the copies of one version (adjacent: Newer orders by what SameVersion
  // compares) collapse into the first: O(n log n) for keys with many versions.
  std::stable_sort(candidates.begin(), candidates.end(), Newer);
  candidates.erase(std::unique(candidates.begin(), candidates.end(),
                               [](const Candidate& a, const Candidate& b) {
                                 return SameVersion(*a.version, *b.version);
                               }),
                   candidates.end());
  VersionPick pick;
  for (const Candidate& c : candidates) {
    int holders = 0;
    for (const MetaVersions* list : drives)
      holders += list != nullptr && FindVersion(*list, *c.version) >= 0;
    const ErasureInfo& e = c.version->erasure;
    if (holders >= e.data) {
      pick.verdict = VersionPick::Verdict::kFound;
      pick.drive = c.drive;
      pick.slot = c.slot;
      pick.holders = holders;
      return pick;
    }
    if (holders + unknown >= WriteQuorum(e.data, e.parity)) {
      pick.verdict = VersionPick::Verdict::kNoQuorum;
      return pick;
    }
    pick.dangling = true;
  }
  pick.verdict =
      unknown >= min_write_quorum ? VersionPick::Verdict::kNoQuorum : VersionPick::Verdict::kAbsent;
  return pick;
}

std::vector<VersionRef> LiveVersions(std::span<const MetaVersions* const> drives) {
  std::vector<Candidate> all;
  for (size_t d = 0; d < drives.size(); ++d) {
    if (drives[d] == nullptr) continue;
    for (size_t s = 0; s < drives[d]->size(); ++s) all.push_back({&(*drives[d])[s], d, s});
  }
  std::stable_sort(all.begin(), all.end(), Newer);
  std::vector<VersionRef> live;
  std::unordered_set<std::string_view> ids;
  for (size_t i = 0; i < all.size();) {
    size_t j = i;
    while (j < all.size() && SameVersion(*all[i].version, *all[j].version)) ++j;
    const ObjectMeta& v = *all[i].version;
    // Copies on j - i drives (a drive holds a version at most once).
    if (static_cast<int>(j - i) >= v.erasure.data && ids.insert(v.version_id).second) {
      live.push_back({all[i].drive, all[i].slot});
    }
    i = j;
  }
  return live;
}

}  // namespace flashstor::object
