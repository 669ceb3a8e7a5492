// Which version of a key the drives of a set agree on. GET, HEAD, heal and listing share
// this one rule, so a listing never shows what a GET cannot read.
//
// Each drive answers with the versions its metadata file holds (MetaVersions), with "none"
// (no metadata file: known absent) or not at all (offline, unreadable, corrupt: unknown). A version
// is held by a drive when it is anywhere in the drive's list.
//
// Candidates are taken newest first:
// - held by at least k drives (its erasure.data): readable, it wins;
// - else held + unknown >= its write quorum: it may have been acknowledged, with the
//   missing holders behind the unknown drives, so nothing older may be served: kNoQuorum;
// - else it can never have reached its write quorum, so it was never acknowledged: it is
//   dangling (a commit or delete cut short) and the next older candidate is considered.
// With no candidate left the key is kAbsent, unless the unknown drives alone could hold
// a write quorum of a version nobody else has seen (kNoQuorum).
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <vector>

#include "flashstor/object/object_metadata.h"

namespace flashstor::object {

struct VersionPick {
  enum class Verdict { kFound, kAbsent, kNoQuorum };
  Verdict verdict = Verdict::kAbsent;
  size_t drive = 0;       // kFound: a drive holding the winner ...
  size_t slot = 0;        // ... and its position in that drive's list
  int holders = 0;        // kFound: drives holding the winner
  bool dangling = false;  // some drive holds a version found dangling
};

// drives[d]: drive d's versions (empty: known absent), or nullptr when unknown.
// min_write_quorum: the smallest write quorum a version in this set can have.
// wanted (optional): only versions it accepts are candidates (a GET by version id).
VersionPick PickVersion(std::span<const MetaVersions* const> drives, int min_write_quorum,
                        const std::function<bool(const ObjectMeta&)>& wanted = {});

// A version in one drive's list.
struct VersionRef {
  size_t drive = 0;
  size_t slot = 0;
};

// The key's versions, newest first: every version held by at least k drives (its
// erasure.data), and of several with one version id (a replaced "null" version an
// interrupted commit kept behind the new one) only the newest. Dangling versions and the
// fallbacks a commit keeps until it reaches its quorum are left out.
std::vector<VersionRef> LiveVersions(std::span<const MetaVersions* const> drives);

// Position of a version in one drive's list, or -1.
int FindVersion(const MetaVersions& versions, const ObjectMeta& version);

}  // namespace flashstor::object
