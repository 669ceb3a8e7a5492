// S3Action: the exceptions to "s3:" + operation name, from AWS's list of actions per S3 API
// operation (Amazon S3 User Guide, "Required permissions for Amazon S3 API operations").
#include "op_actions.h"

#include <array>
#include <utility>

namespace flashstor::s3 {
namespace {

constexpr auto kOperationActions = std::to_array<std::pair<std::string_view, std::string_view>>({
    {"ListBuckets", "s3:ListAllMyBuckets"},
    {"HeadBucket", "s3:ListBucket"},
    {"ListObjects", "s3:ListBucket"},
    {"ListObjectsV1", "s3:ListBucket"},
    {"ListObjectsV2", "s3:ListBucket"},
    {"ListObjectVersions", "s3:ListBucketVersions"},
    {"ListMultipartUploads", "s3:ListBucketMultipartUploads"},
    {"ListParts", "s3:ListMultipartUploadParts"},
    {"HeadObject", "s3:GetObject"},
    {"GetObjectAttributes", "s3:GetObjectAttributes"},
    {"CopyObject", "s3:PutObject"},
    {"DeleteObjects", "s3:DeleteObject"},
    {"CreateMultipartUpload", "s3:PutObject"},
    {"UploadPart", "s3:PutObject"},
    {"UploadPartCopy", "s3:PutObject"},
    {"CompleteMultipartUpload", "s3:PutObject"},
    {"GetBucketCors", "s3:GetBucketCORS"},
    {"PutBucketCors", "s3:PutBucketCORS"},
    {"DeleteBucketCors", "s3:PutBucketCORS"},
    {"GetBucketLifecycleConfiguration", "s3:GetLifecycleConfiguration"},
    {"PutBucketLifecycleConfiguration", "s3:PutLifecycleConfiguration"},
    {"DeleteBucketLifecycle", "s3:PutLifecycleConfiguration"},
    {"GetBucketEncryption", "s3:GetEncryptionConfiguration"},
    {"PutBucketEncryption", "s3:PutEncryptionConfiguration"},
    {"DeleteBucketEncryption", "s3:PutEncryptionConfiguration"},
    {"GetObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration"},
    {"PutObjectLockConfiguration", "s3:PutBucketObjectLockConfiguration"},
    {"GetBucketReplication", "s3:GetReplicationConfiguration"},
    {"PutBucketReplication", "s3:PutReplicationConfiguration"},
    {"DeleteBucketReplication", "s3:PutReplicationConfiguration"},
    {"GetPublicAccessBlock", "s3:GetBucketPublicAccessBlock"},
    {"PutPublicAccessBlock", "s3:PutBucketPublicAccessBlock"},
    {"DeletePublicAccessBlock", "s3:PutBucketPublicAccessBlock"},
    {"GetBucketNotificationConfiguration", "s3:GetBucketNotification"},
    {"PutBucketNotificationConfiguration", "s3:PutBucketNotification"},
    {"GetBucketAccelerateConfiguration", "s3:GetAccelerateConfiguration"},
    {"PutBucketAccelerateConfiguration", "s3:PutAccelerateConfiguration"},
    {"DeleteBucketTagging", "s3:PutBucketTagging"},
    {"DeleteBucketWebsite", "s3:DeleteBucketWebsite"},
    {"DeleteBucketOwnershipControls", "s3:PutBucketOwnershipControls"},
    {"GetBucketLogging", "s3:GetBucketLogging"},
    {"PutBucketLogging", "s3:PutBucketLogging"},
    {"PutBucketVersioning", "s3:PutBucketVersioning"},
});

// Object operations whose action gains "Version" when a version is named.
constexpr auto kVersioned = std::to_array<std::string_view>({
    "s3:GetObject",
    "s3:DeleteObject",
    "s3:GetObjectTagging",
    "s3:PutObjectTagging",
    "s3:DeleteObjectTagging",
    "s3:GetObjectAcl",
    "s3:PutObjectAcl",
    "s3:GetObjectAttributes",
});

}  // namespace

std::string S3Action(std::string_view op_name, bool version_id) {
  std::string action;
  for (const auto& [name, a] : kOperationActions) {
    if (name == op_name) {
      action = a;
      break;
    }
  }
  if (action.empty()) action = "s3:" + std::string(op_name);
  if (version_id) {
    for (std::string_view v : kVersioned) {
      if (action == v) return action.insert(action.find("Object") + 6, "Version");
    }
  }
  return action;
}

}  // namespace flashstor::s3
