// S3 route table: (HTTP method, resource kind, required query keys, required header) ->
// operation. Dispatch is data, like redis's command table; matching picks the most specific
// entry and answers NotImplemented / MethodNotAllowed for the rest.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "flashstor/http/request.h"
#include "flashstor/http/uri.h"
#include "flashstor/s3/error_table.h"

namespace flashstor::s3 {

enum class ResourceKind : uint8_t { kService, kBucket, kObject };

enum class OpId : uint8_t {
  kListBuckets,
  kCreateBucket,
  kHeadBucket,
  kDeleteBucket,
  kGetBucketLocation,
  kGetBucketVersioning,
  kPutBucketVersioning,
  kGetBucketAcl,
  kPutBucketAcl,
  kGetBucketPolicy,
  kPutBucketPolicy,
  kDeleteBucketPolicy,
  kGetBucketPolicyStatus,
  kGetBucketCors,
  kGetBucketTagging,
  kGetBucketLifecycle,
  kPutBucketLifecycle,
  kDeleteBucketLifecycle,
  kGetBucketEncryption,
  kGetObjectLockConfiguration,
  kGetBucketWebsite,
  kGetBucketReplication,
  kGetBucketOwnershipControls,
  kGetPublicAccessBlock,
  kPutPublicAccessBlock,
  kDeletePublicAccessBlock,
  kGetBucketLogging,
  kGetBucketNotification,
  kPutBucketNotification,
  kGetBucketAccelerate,
  kGetBucketRequestPayment,
  kListObjectsV1,
  kListObjectsV2,
  kListObjectVersions,
  kListMultipartUploads,
  kDeleteObjects,
  kPutObject,
  kCopyObject,
  kGetObject,
  kHeadObject,
  kDeleteObject,
  kGetObjectAcl,
  kPutObjectAcl,
  kGetObjectTagging,
  kCreateMultipartUpload,
  kUploadPart,
  kUploadPartCopy,
  kCompleteMultipartUpload,
  kAbortMultipartUpload,
  kListParts,
  kGetObjectAttributes,
  kPutBucketTagging,
  kDeleteBucketTagging,
  kPutObjectTagging,
  kDeleteObjectTagging,
  kPutBucketCors,
  kDeleteBucketCors,
  kPutBucketEncryption,
  kDeleteBucketEncryption,
  kPutObjectLockConfiguration,
  kGetObjectRetention,
  kPutObjectRetention,
  kGetObjectLegalHold,
  kPutObjectLegalHold,
  kPutBucketOwnershipControls,
  kDeleteBucketOwnershipControls,
  kCount,
};

struct RouteEntry {
  http::Method method;
  ResourceKind kind;
  // Required query parameters: "name" (present, any value) or "name=value" (exact value).
  std::string_view query[2];
  bool copy_source;  // requires the x-amz-copy-source header
  OpId op;
  std::string_view name;  // for logs and metrics: "PutObject"
};

struct RouteMatch {
  const RouteEntry* entry = nullptr;  // null when error is set
  ApiError error;                     // NotImplemented or MethodNotAllowed
  std::string_view name;              // operation name, also for unmatched requests
};

// The whole table, for tests and metrics registration.
std::span<const RouteEntry> RouteTable();

// Picks the operation for a request: `query` is the decoded query string, `copy_source`
// whether the x-amz-copy-source header is present (the only header routing looks at).
RouteMatch Route(http::Method method, ResourceKind kind, std::span<const http::QueryParam> query,
                 bool copy_source);

// Name of an operation ("GetObject").
std::string_view OpName(OpId op);

}  // namespace flashstor::s3
