// Request bodies S3 sends as XML (CompleteMultipartUpload, Delete, CreateBucketConfiguration),
// parsed with pugixml from bounded buffers. No DTDs, no external entities: pugixml never
// fetches or expands them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "flashstor/common/data_stream.h"
#include "flashstor/object/object_layer.h"
#include "flashstor/s3/error_table.h"

namespace flashstor::s3 {

inline constexpr size_t kMaxCompleteBodyBytes = 4u << 20;  // 10,000 parts with checksums
inline constexpr size_t kMaxDeleteBodyBytes = 2u << 20;
inline constexpr size_t kMaxBucketConfigBytes = 64u << 10;
inline constexpr int kMaxParts = 10000;
inline constexpr size_t kMaxDeleteKeys = 1000;

// Reads src to EOF into out; kMaxMessageLengthExceeded past max_bytes.
ApiError ReadBoundedBody(DataSource& src, size_t max_bytes, std::string& out);

// CompleteMultipartUpload: 1..10,000 <Part>s with PartNumber 1..10,000 in strictly ascending
// order (kInvalidPartOrder) and an ETag (quotes stripped). kMalformedXml otherwise.
Result<std::vector<object::CompletePart>> ParseCompleteMultipartUpload(std::string_view xml);

struct DeleteRequest {
  bool quiet = false;
  struct Entry {
    std::string key;
    std::string version_id;
    std::string etag;  // <ETag>: delete only if the object's ETag is this (quotes stripped)
  };
  std::vector<Entry> objects;  // 1..1000
};
Result<DeleteRequest> ParseDeleteObjects(std::string_view xml);

// VersioningConfiguration: Status "Enabled" / "Suspended" ("" when absent: no change);
// kMalformedXml for another status; kNotImplemented for MfaDelete Enabled (MFA delete).
Result<std::string> ParseVersioningConfiguration(std::string_view xml);

// CreateBucketConfiguration: the LocationConstraint ("" when the body is empty or has none);
// kNotImplemented when it holds any other element (Location, Bucket, Tags).
Result<std::string> ParseCreateBucketConfiguration(std::string_view xml);

}  // namespace flashstor::s3
