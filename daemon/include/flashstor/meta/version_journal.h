// The rules a version commit applies to one drive's metadata file (all versions of a key,
// newest first): which versions stay behind a new one, and which a drive keeps as a fallback
// until the commit is known to be on a write quorum. Pure functions over plain values: the
// object layer plans a commit with them and a drive applies it (StorageApi::commit_version).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "flashstor/meta/object_meta.h"

namespace flashstor::object {

// One of a key's versions, by what identifies it (SameVersion) and its id.
struct VersionKey {
  int64_t mod_time_ns = 0;
  std::string etag, data_dir, version_id;
  bool delete_marker = false;
  ObjectLock lock;  // the version's object lock (delete_object_version checks it)
  bool same(const ObjectMeta& m) const {
    return m.mod_time_ns == mod_time_ns && m.etag == etag && m.data_dir == data_dir;
  }
};
VersionKey KeyOf(const ObjectMeta& m);
// Whether m is one of the versions named.
bool IsLive(const std::vector<VersionKey>& live, const ObjectMeta& m);

// The file a commit writes on one drive: the new version (if any) in front of the drive's
// copies of the versions that stay, and with fallback also the versions it drops (at most
// kMaxFileVersions in all), so an interrupted commit can fall back to them.
MetaVersions CommitFile(const ObjectMeta* version, const MetaVersions& held,
                        const std::vector<VersionKey>& keep, bool fallback);

// The file an in-place update writes on one drive: its versions as it holds them, the
// updated one in its place, and with fallback the old record right behind it (until the
// update is on a write quorum). nullopt when the drive does not hold that version.
std::optional<MetaVersions> ReplaceVersion(const MetaVersions& held, const VersionKey& old,
                                           const ObjectMeta& updated, bool fallback);

// Whether an in-place update must keep the old record behind the updated one: a cut-short
// update leaves the old record untouched on at least n - (quorum - 1) drives, and the
// updated one (a version of its own until the quorum) on the others; when neither side could
// reach the version's k (16 drives at default parity), both records are needed to read it.
bool MustKeepReplaced(const ObjectMeta& updated, size_t drives, int write_quorum);

// Whether a commit must keep the versions a drive drops behind the new one. A commit cut
// short before its write quorum leaves the old versions untouched on at least n - (quorum -
// 1) drives; when that still covers a version's k (always when k <= m + 1: 4, 6 and 8
// drives at default parity) nothing is lost by dropping them, and the commit saves a rewrite.
bool MustKeep(const MetaVersions& held, const std::vector<VersionKey>& keep, size_t drives,
              int write_quorum);

// The data dirs of versions in held that file does not name (what a commit frees).
std::vector<std::string> DataDirsNotIn(const MetaVersions& held, const MetaVersions& file);

}  // namespace flashstor::object
