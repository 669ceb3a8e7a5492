// Listing: merges the sorted walks of a set's drives (dedupe, newest metadata wins), merges
// sets' streams (k-way), and cuts one page (delimiter, start_after, max_keys, truncation)
// while holding only that page in memory.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "flashstor/object/entry_stream.h"
#include "flashstor/object/object_layer.h"
#include "flashstor/storage/storage_api.h"

namespace flashstor::object {

// One stream from the walks of one set's drives, in drive order; a null walk is an offline
// drive. An object is listed with the version the drives agree on (PickVersion, the rule
// GET uses, with min_write_quorum as there), so crash leftovers never show. A walker that
// fails counts as offline from then on; the stream fails only when every walker has failed.
// any_version (the scanner): also report keys without a quorum version (newest metadata,
// possibly empty), so heal can clean them up.
// all_versions (ListObjectVersions): each key with its versions (ListEntry::versions), also
// when the current one is a delete marker (otherwise such a key is not listed).
std::unique_ptr<EntryStream> MergeDriveWalks(std::vector<std::unique_ptr<storage::Walker>> walks,
                                             int min_write_quorum, bool any_version = false,
                                             bool all_versions = false);

// k-way merge of sorted streams with distinct object keys (sets); equal prefixes collapse.
std::unique_ptr<EntryStream> MergeStreams(std::vector<std::unique_ptr<EntryStream>> streams);

// One page from a stream that was walked with options.prefix / start_after (recursive unless
// the delimiter is "/"). Other delimiters are applied here over the recursive walk.
Result<ListResult> BuildListPage(EntryStream& stream, std::string_view bucket,
                                 const ListOptions& options);

// The walk's start_after for a versions page: before options.start_after when a version id
// marker resumes inside that key (BuildVersionsPage skips what comes before).
std::string VersionsWalkStart(const ListOptions& options);
// A ListObjectVersions page from an all_versions stream.
Result<ListResult> BuildVersionsPage(EntryStream& stream, std::string_view bucket,
                                     const ListOptions& options);

}  // namespace flashstor::object
