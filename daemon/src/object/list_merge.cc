// Listing merges and page building: drive walks -> set stream -> merged sets -> one page.
#include "flashstor/object/list_merge.h"

#include "flashstor/object/version_quorum.h"

#include <algorithm>
#include <optional>

namespace flashstor::object {
namespace {

class DriveMerge final : public EntryStream {
 public:
  DriveMerge(std::vector<std::unique_ptr<storage::Walker>> walks, int min_write_quorum,
             bool any_version, bool all_versions)
      : walks_(std::move(walks)),
        heads_(walks_.size()),
        unknown_(walks_.size()),
        min_write_quorum_(min_write_quorum),
        any_version_(any_version),
        all_versions_(all_versions) {
    for (size_t i = 0; i < walks_.size(); ++i) {
      unknown_[i] = walks_[i] == nullptr;
      opened_ += walks_[i] != nullptr;
    }
  }

  Result<bool> next(ListEntry& out) override {
    if (!started_) {
      started_ = true;
      for (size_t i = 0; i < walks_.size(); ++i) advance(i);
    }
    while (true) {
      const std::string* min = nullptr;
      for (const auto& h : heads_) {
        if (h && (min == nullptr || h->key < *min)) min = &h->key;
      }
      if (min == nullptr) {
        if (failed_ == opened_ && opened_ > 0) return std::unexpected(error_);
        return false;
      }
      std::string key = *min;
      bool is_prefix = false;
      // A drive whose walk went past the key without it is known not to have it; a drive
      // whose walk is offline or failed, or whose metadata is unreadable, is unknown.
      std::vector<std::optional<MetaVersions>> lists(heads_.size());
      for (size_t i = 0; i < heads_.size(); ++i) {
        if (unknown_[i]) continue;
        if (!heads_[i] || heads_[i]->key != key) {
          lists[i].emplace();
          continue;
        }
        is_prefix |= heads_[i]->is_prefix;
        // Empty metadata (a keys-only walk, an uncommitted key) leaves the drive unknown.
        if (!heads_[i]->is_prefix && !heads_[i]->metadata.empty()) {
          // A page needs neither parts nor user metadata: they are skipped, not decoded.
          auto v = DecodeMetaVersions(heads_[i]->metadata, MetaDecode::kListing);
          if (v) lists[i] = std::move(*v);
        }
        advance(i);
      }
      if (is_prefix) {
        out.key = std::move(key);
        out.is_prefix = true;
        return true;
      }
      // The same quorum rule as GET: dangling leftovers of a crash or a missed delete stay
      // invisible.
      std::vector<const MetaVersions*> view(lists.size(), nullptr);
      for (size_t i = 0; i < lists.size(); ++i) {
        if (lists[i]) view[i] = &*lists[i];
      }
      VersionPick pick = PickVersion(view, min_write_quorum_);
      // A key the known drives cannot decide (a version may have been acknowledged with its
      // holders among the unknown drives) is what a GET answers 503 for. Left out, it would
      // make a short listing look complete (and an emptied-looking bucket deletable): the
      // listing fails instead. The healer's walk (any_version) sees it to repair it.
      if (pick.verdict == VersionPick::Verdict::kNoQuorum && !any_version_) {
        return std::unexpected(
            Status(Code::kReadQuorum, "a listed key has no read quorum on the drives known"));
      }
      if (all_versions_) {
        if (pick.verdict != VersionPick::Verdict::kFound) continue;
        out.key = std::move(key);
        out.is_prefix = false;
        out.meta = ObjectMeta();
        out.versions.clear();
        for (const VersionRef& r : LiveVersions(view)) {
          out.versions.push_back(std::move((*lists[r.drive])[r.slot]));
        }
        return true;
      }
      ObjectMeta* chosen = nullptr;
      if (pick.verdict == VersionPick::Verdict::kFound) {
        chosen = &(*lists[pick.drive])[pick.slot];
        // A key whose current version is a delete marker is not listed (it is deleted).
        if (chosen->delete_marker && !any_version_) chosen = nullptr;
      } else if (any_version_) {
        chosen = Newest(lists);
      }
      if (chosen != nullptr || any_version_) {
        out.key = std::move(key);
        out.is_prefix = false;
        out.meta = chosen != nullptr ? std::move(*chosen) : ObjectMeta();
        return true;
      }
    }
  }

 private:
  static ObjectMeta* Newest(std::vector<std::optional<MetaVersions>>& lists) {
    ObjectMeta* best = nullptr;
    for (auto& list : lists) {
      if (!list) continue;
      for (ObjectMeta& v : *list) {
        if (best == nullptr || v.mod_time_ns > best->mod_time_ns) best = &v;
      }
    }
    return best;
  }

  void advance(size_t i) {
    if (!walks_[i]) {
      heads_[i].reset();
      return;
    }
    if (!heads_[i]) heads_[i].emplace();
    auto more = walks_[i]->next(*heads_[i]);
    if (!more || !*more) {
      if (!more) {
        ++failed_;
        error_ = more.error();
        unknown_[i] = true;
      }
      heads_[i].reset();
      walks_[i].reset();
    }
  }

  std::vector<std::unique_ptr<storage::Walker>> walks_;
  std::vector<std::optional<storage::WalkEntry>> heads_;
  std::vector<bool> unknown_;  // offline or failed: says nothing about any key
  int min_write_quorum_;
  size_t opened_ = 0;
  bool any_version_ = false;
  bool all_versions_ = false;
  bool started_ = false;
  size_t failed_ = 0;
  Status error_;
};

class StreamMerge final : public EntryStream {
 public:
  explicit StreamMerge(std::vector<std::unique_ptr<EntryStream>> streams)
      : streams_(std::move(streams)), heads_(streams_.size()) {}

  Result<bool> next(ListEntry& out) override {
    if (!started_) {
      started_ = true;
      for (size_t i = 0; i < streams_.size(); ++i) {
        if (Status s = advance(i); !s.ok()) return std::unexpected(s);
      }
    }
    int best = -1;
    for (size_t i = 0; i < heads_.size(); ++i) {
      if (heads_[i] && (best < 0 || heads_[i]->key < heads_[static_cast<size_t>(best)]->key)) {
        best = static_cast<int>(i);
      }
    }
    if (best < 0) return false;
    out = std::move(*heads_[static_cast<size_t>(best)]);
    for (size_t i = 0; i < heads_.size(); ++i) {
      bool same = static_cast<int>(i) == best || (heads_[i] && heads_[i]->key == out.key);
      if (!same) continue;
      if (Status s = advance(i); !s.ok()) return std::unexpected(s);
    }
    return true;
  }

 private:
  Status advance(size_t i) {
    if (!heads_[i]) heads_[i].emplace();
    auto more = streams_[i]->next(*heads_[i]);
    if (!more) return more.error();
    if (!*more) heads_[i].reset();
    return Status::Ok();
  }

  std::vector<std::unique_ptr<EntryStream>> streams_;
  std::vector<std::optional<ListEntry>> heads_;
  bool started_ = false;
};

// Applies a non-"/" delimiter over a recursive stream: keys with the delimiter after the
// prefix roll up into one common prefix each.
class PageSource {
 public:
  PageSource(EntryStream& stream, const ListOptions& opt) : stream_(stream), opt_(opt) {
    custom_ = !opt.delimiter.empty() && opt.delimiter != "/";
  }

  Result<bool> next(ListEntry& e) {
    while (true) {
      auto more = stream_.next(e);
      if (!more || !*more) return more;
      if (!custom_ || e.is_prefix) return true;
      size_t pos = e.key.find(opt_.delimiter, opt_.prefix.size());
      if (pos == std::string::npos) return true;
      std::string cp = e.key.substr(0, pos + opt_.delimiter.size());
      if (cp == last_prefix_ || cp <= opt_.start_after) continue;
      last_prefix_ = cp;
      e.key = std::move(cp);
      e.is_prefix = true;
      return true;
    }
  }

 private:
  EntryStream& stream_;
  const ListOptions& opt_;
  bool custom_ = false;
  std::string last_prefix_;
};

}  // namespace

std::unique_ptr<EntryStream> MergeDriveWalks(std::vector<std::unique_ptr<storage::Walker>> walks,
                                             int min_write_quorum, bool any_version,
                                             bool all_versions) {
  return std::make_unique<DriveMerge>(std::move(walks), min_write_quorum, any_version,
                                      all_versions);
}

std::unique_ptr<EntryStream> MergeStreams(std::vector<std::unique_ptr<EntryStream>> streams) {
  return std::make_unique<StreamMerge>(std::move(streams));
}

Result<ListResult> BuildListPage(EntryStream& stream, std::string_view bucket,
                                 const ListOptions& options) {
  ListResult result;
  const int max_keys = std::clamp(options.max_keys, 0, 1000);
  if (max_keys == 0) return result;
  PageSource source(stream, options);
  ListEntry e;
  int count = 0;
  std::string last;
  while (true) {
    auto more = source.next(e);
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
    if (count == max_keys) {
      result.truncated = true;
      result.next_marker = last;
      break;
    }
    last = e.key;
    if (e.is_prefix) {
      result.common_prefixes.push_back(std::move(e.key));
    } else {
      result.objects.push_back(TakeObjectInfo(e.meta, bucket, e.key));
      result.objects.back().parts.clear();  // a listing never needs the part table
    }
    ++count;
  }
  return result;
}

std::string VersionsWalkStart(const ListOptions& options) {
  if (options.version_id_marker.empty() || options.start_after.empty()) return options.start_after;
  // A strict prefix of the key marker sorts before it: the marker's key is walked again.
  return options.start_after.substr(0, options.start_after.size() - 1);
}

Result<ListResult> BuildVersionsPage(EntryStream& stream, std::string_view bucket,
                                     const ListOptions& options) {
  ListResult result;
  const int max_keys = std::clamp(options.max_keys, 0, 1000);
  if (max_keys == 0) return result;
  const std::string& key_marker = options.start_after;
  const std::string& id_marker = options.version_id_marker;
  PageSource source(stream, options);
  ListEntry e;
  int count = 0;
  std::string last_key, last_id;
  auto full = [&] {
    if (count < max_keys) return false;
    result.truncated = true;
    result.next_marker = last_key;
    result.next_version_id_marker = last_id;
    return true;
  };
  while (true) {
    auto more = source.next(e);
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
    // The walk may start before the key marker (VersionsWalkStart).
    if (!key_marker.empty() && (e.key < key_marker || (e.key == key_marker && e.is_prefix))) {
      continue;
    }
    if (e.is_prefix) {
      if (e.key == last_key) continue;  // a custom delimiter's prefix, already listed
      if (full()) break;
      last_key = e.key;
      last_id.clear();
      result.common_prefixes.push_back(std::move(e.key));
      ++count;
      continue;
    }
    size_t first = 0;
    if (!key_marker.empty() && e.key == key_marker) {
      if (id_marker.empty()) continue;  // the whole key was listed before
      first = e.versions.size();
      for (size_t i = 0; i < e.versions.size(); ++i) {
        if (e.versions[i].version_id == id_marker) first = i + 1;
      }
    }
    bool stop = false;
    for (size_t i = first; i < e.versions.size(); ++i) {
      if (full()) {
        stop = true;
        break;
      }
      last_key = e.key;
      last_id = e.versions[i].version_id;
      ObjectInfo info = TakeObjectInfo(e.versions[i], bucket, e.key);
      info.parts.clear();
      info.is_latest = i == 0;
      result.objects.push_back(std::move(info));
      ++count;
    }
    if (stop) break;
  }
  return result;
}

}  // namespace flashstor::object
