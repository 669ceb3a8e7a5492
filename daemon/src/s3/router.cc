// The S3 route table and its matcher: most specific entry wins; known-but-unsupported
// subresources answer NotImplemented, wrong methods MethodNotAllowed.
#include "flashstor/s3/router.h"

#include <array>

namespace flashstor::s3 {
namespace {

using http::Method;
using enum ResourceKind;

constexpr auto kRoutes = std::to_array<RouteEntry>({
    {Method::kGet, kService, {}, false, OpId::kListBuckets, "ListBuckets"},
    // bucket
    {Method::kPut, kBucket, {}, false, OpId::kCreateBucket, "CreateBucket"},
    {Method::kHead, kBucket, {}, false, OpId::kHeadBucket, "HeadBucket"},
    {Method::kDelete, kBucket, {}, false, OpId::kDeleteBucket, "DeleteBucket"},
    {Method::kGet, kBucket, {"location"}, false, OpId::kGetBucketLocation, "GetBucketLocation"},
    {Method::kGet,
     kBucket,
     {"versioning"},
     false,
     OpId::kGetBucketVersioning,
     "GetBucketVersioning"},
    {Method::kPut,
     kBucket,
     {"versioning"},
     false,
     OpId::kPutBucketVersioning,
     "PutBucketVersioning"},
    {Method::kGet, kBucket, {"acl"}, false, OpId::kGetBucketAcl, "GetBucketAcl"},
    {Method::kPut, kBucket, {"acl"}, false, OpId::kPutBucketAcl, "PutBucketAcl"},
    {Method::kGet, kBucket, {"policy"}, false, OpId::kGetBucketPolicy, "GetBucketPolicy"},
    {Method::kPut, kBucket, {"policy"}, false, OpId::kPutBucketPolicy, "PutBucketPolicy"},
    {Method::kDelete, kBucket, {"policy"}, false, OpId::kDeleteBucketPolicy, "DeleteBucketPolicy"},
    {Method::kGet,
     kBucket,
     {"policyStatus"},
     false,
     OpId::kGetBucketPolicyStatus,
     "GetBucketPolicyStatus"},
    {Method::kGet, kBucket, {"cors"}, false, OpId::kGetBucketCors, "GetBucketCors"},
    {Method::kPut, kBucket, {"cors"}, false, OpId::kPutBucketCors, "PutBucketCors"},
    {Method::kDelete, kBucket, {"cors"}, false, OpId::kDeleteBucketCors, "DeleteBucketCors"},
    {Method::kGet, kBucket, {"tagging"}, false, OpId::kGetBucketTagging, "GetBucketTagging"},
    {Method::kPut, kBucket, {"tagging"}, false, OpId::kPutBucketTagging, "PutBucketTagging"},
    {Method::kDelete,
     kBucket,
     {"tagging"},
     false,
     OpId::kDeleteBucketTagging,
     "DeleteBucketTagging"},
    {Method::kGet,
     kBucket,
     {"lifecycle"},
     false,
     OpId::kGetBucketLifecycle,
     "GetBucketLifecycleConfiguration"},
    {Method::kPut,
     kBucket,
     {"lifecycle"},
     false,
     OpId::kPutBucketLifecycle,
     "PutBucketLifecycleConfiguration"},
    {Method::kDelete,
     kBucket,
     {"lifecycle"},
     false,
     OpId::kDeleteBucketLifecycle,
     "DeleteBucketLifecycle"},
    {Method::kGet,
     kBucket,
     {"encryption"},
     false,
     OpId::kGetBucketEncryption,
     "GetBucketEncryption"},
    {Method::kPut,
     kBucket,
     {"encryption"},
     false,
     OpId::kPutBucketEncryption,
     "PutBucketEncryption"},
    {Method::kDelete,
     kBucket,
     {"encryption"},
     false,
     OpId::kDeleteBucketEncryption,
     "DeleteBucketEncryption"},
    {Method::kGet,
     kBucket,
     {"object-lock"},
     false,
     OpId::kGetObjectLockConfiguration,
     "GetObjectLockConfiguration"},
    {Method::kPut,
     kBucket,
     {"object-lock"},
     false,
     OpId::kPutObjectLockConfiguration,
     "PutObjectLockConfiguration"},
    {Method::kGet, kBucket, {"website"}, false, OpId::kGetBucketWebsite, "GetBucketWebsite"},
    {Method::kGet,
     kBucket,
     {"replication"},
     false,
     OpId::kGetBucketReplication,
     "GetBucketReplication"},
    {Method::kGet,
     kBucket,
     {"ownershipControls"},
     false,
     OpId::kGetBucketOwnershipControls,
     "GetBucketOwnershipControls"},
    {Method::kPut,
     kBucket,
     {"ownershipControls"},
     false,
     OpId::kPutBucketOwnershipControls,
     "PutBucketOwnershipControls"},
    {Method::kDelete,
     kBucket,
     {"ownershipControls"},
     false,
     OpId::kDeleteBucketOwnershipControls,
     "DeleteBucketOwnershipControls"},
    {Method::kGet,
     kBucket,
     {"publicAccessBlock"},
     false,
     OpId::kGetPublicAccessBlock,
     "GetPublicAccessBlock"},
    {Method::kPut,
     kBucket,
     {"publicAccessBlock"},
     false,
     OpId::kPutPublicAccessBlock,
     "PutPublicAccessBlock"},
    {Method::kDelete,
     kBucket,
     {"publicAccessBlock"},
     false,
     OpId::kDeletePublicAccessBlock,
     "DeletePublicAccessBlock"},
    {Method::kGet, kBucket, {"logging"}, false, OpId::kGetBucketLogging, "GetBucketLogging"},
    {Method::kGet,
     kBucket,
     {"notification"},
     false,
     OpId::kGetBucketNotification,
     "GetBucketNotificationConfiguration"},
    {Method::kPut,
     kBucket,
     {"notification"},
     false,
     OpId::kPutBucketNotification,
     "PutBucketNotificationConfiguration"},
    {Method::kGet,
     kBucket,
     {"accelerate"},
     false,
     OpId::kGetBucketAccelerate,
     "GetBucketAccelerateConfiguration"},
    {Method::kGet,
     kBucket,
     {"requestPayment"},
     false,
     OpId::kGetBucketRequestPayment,
     "GetBucketRequestPayment"},
    {Method::kGet,
     kBucket,
     {"uploads"},
     false,
     OpId::kListMultipartUploads,
     "ListMultipartUploads"},
    {Method::kGet, kBucket, {"list-type=2"}, false, OpId::kListObjectsV2, "ListObjectsV2"},
    {Method::kGet, kBucket, {"versions"}, false, OpId::kListObjectVersions, "ListObjectVersions"},
    {Method::kGet, kBucket, {}, false, OpId::kListObjectsV1, "ListObjects"},
    {Method::kPost, kBucket, {"delete"}, false, OpId::kDeleteObjects, "DeleteObjects"},
    // object
    {Method::kPut, kObject, {}, false, OpId::kPutObject, "PutObject"},
    {Method::kPut, kObject, {}, true, OpId::kCopyObject, "CopyObject"},
    {Method::kGet, kObject, {}, false, OpId::kGetObject, "GetObject"},
    {Method::kHead, kObject, {}, false, OpId::kHeadObject, "HeadObject"},
    {Method::kDelete, kObject, {}, false, OpId::kDeleteObject, "DeleteObject"},
    {Method::kGet, kObject, {"acl"}, false, OpId::kGetObjectAcl, "GetObjectAcl"},
    {Method::kPut, kObject, {"acl"}, false, OpId::kPutObjectAcl, "PutObjectAcl"},
    {Method::kGet, kObject, {"tagging"}, false, OpId::kGetObjectTagging, "GetObjectTagging"},
    {Method::kPut, kObject, {"tagging"}, false, OpId::kPutObjectTagging, "PutObjectTagging"},
    {Method::kDelete,
     kObject,
     {"tagging"},
     false,
     OpId::kDeleteObjectTagging,
     "DeleteObjectTagging"},
    {Method::kGet, kObject, {"retention"}, false, OpId::kGetObjectRetention, "GetObjectRetention"},
    {Method::kPut, kObject, {"retention"}, false, OpId::kPutObjectRetention, "PutObjectRetention"},
    {Method::kGet, kObject, {"legal-hold"}, false, OpId::kGetObjectLegalHold, "GetObjectLegalHold"},
    {Method::kPut, kObject, {"legal-hold"}, false, OpId::kPutObjectLegalHold, "PutObjectLegalHold"},
    {Method::kPost,
     kObject,
     {"uploads"},
     false,
     OpId::kCreateMultipartUpload,
     "CreateMultipartUpload"},
    {Method::kPut, kObject, {"partNumber", "uploadId"}, false, OpId::kUploadPart, "UploadPart"},
    {Method::kPut,
     kObject,
     {"partNumber", "uploadId"},
     true,
     OpId::kUploadPartCopy,
     "UploadPartCopy"},
    {Method::kPost,
     kObject,
     {"uploadId"},
     false,
     OpId::kCompleteMultipartUpload,
     "CompleteMultipartUpload"},
    {Method::kDelete,
     kObject,
     {"uploadId"},
     false,
     OpId::kAbortMultipartUpload,
     "AbortMultipartUpload"},
    {Method::kGet, kObject, {"uploadId"}, false, OpId::kListParts, "ListParts"},
    {Method::kGet,
     kObject,
     {"attributes"},
     false,
     OpId::kGetObjectAttributes,
     "GetObjectAttributes"},
});

// Subresources S3 defines that we do not implement (beyond the GETs in the table above):
// any request naming one of them answers NotImplemented instead of falling through to a
// plain object/bucket operation (GET ?tagging must not return the object).
constexpr auto kUnsupportedSubresources = std::to_array<std::string_view>({
    "accelerate",
    "acl",
    "analytics",
    "attributes",
    "cors",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "tagging",
    "torrent",
    "uploads",
    "versioning",
    "versions",
    "website",
    "uploadId",
    "delete",
    "location",
});

const http::QueryParam* Find(std::span<const http::QueryParam> query, std::string_view name) {
  for (const http::QueryParam& p : query) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// True when the requirement ("name" or "name=value") holds.
bool Satisfies(std::span<const http::QueryParam> query, std::string_view req) {
  size_t eq = req.find('=');
  const http::QueryParam* p = Find(query, req.substr(0, eq));
  if (p == nullptr) return false;
  return eq == std::string_view::npos || p->value == req.substr(eq + 1);
}

bool Matches(const RouteEntry& e, std::span<const http::QueryParam> query, bool copy_source) {
  if (e.copy_source && !copy_source) return false;
  for (std::string_view req : e.query) {
    if (!req.empty() && !Satisfies(query, req)) return false;
  }
  return true;
}

int Specificity(const RouteEntry& e) {
  int s = e.copy_source ? 1 : 0;
  for (std::string_view req : e.query) s += req.empty() ? 0 : 2;
  return s;
}

bool Requires(const RouteEntry& e, std::string_view name) {
  for (std::string_view req : e.query) {
    if (!req.empty() && req.substr(0, req.find('=')) == name) return true;
  }
  return false;
}

// An unsupported subresource in the query that the chosen entry does not consume.
bool HasUnhandledSubresource(const RouteEntry* e, std::span<const http::QueryParam> query) {
  for (const http::QueryParam& p : query) {
    for (std::string_view sub : kUnsupportedSubresources) {
      if (p.name == sub && (e == nullptr || !Requires(*e, sub))) return true;
    }
  }
  return false;
}

}  // namespace

std::span<const RouteEntry> RouteTable() {
  return kRoutes;
}

std::string_view OpName(OpId op) {
  for (const RouteEntry& e : kRoutes) {
    if (e.op == op) return e.name;
  }
  return "Unknown";
}

RouteMatch Route(Method method, ResourceKind kind, std::span<const http::QueryParam> query,
                 bool copy_source) {
  const RouteEntry* best = nullptr;
  const RouteEntry* other_method = nullptr;
  for (const RouteEntry& e : kRoutes) {
    if (e.kind != kind || !Matches(e, query, copy_source)) continue;
    if (e.method != method) {
      if (other_method == nullptr || Specificity(e) > Specificity(*other_method)) other_method = &e;
      continue;
    }
    if (best == nullptr || Specificity(e) > Specificity(*best)) best = &e;
  }
  RouteMatch m;
  if (HasUnhandledSubresource(best, query)) {
    m.error = ApiError(Code::kNotImplemented);
    m.name = "NotImplemented";
    return m;
  }
  if (best == nullptr) {
    // A method no entry of this resource kind answers (POST /bucket/key, PATCH, ...).
    m.error = method == Method::kOther ? ApiError(Code::kNotImplemented)
                                       : ApiError(ErrorId::kMethodNotAllowed);
    m.name = other_method != nullptr ? other_method->name : std::string_view("Unknown");
    return m;
  }
  m.entry = best;
  m.name = best->name;
  return m;
}

}  // namespace flashstor::s3
