// Block Public Access at bucket level: the four settings (stored in the bucket settings as
// object::kConfigPublicAccessBlock, AWS's XML), AWS's definition of a public bucket policy
// (shared with GetBucketPolicyStatus) and of a public ACL in request headers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "flashstor/http/request.h"
#include "flashstor/iam/policy.h"
#include "flashstor/object/bucket_metadata.h"
#include "flashstor/object/object_layer.h"
#include "flashstor/s3/error_table.h"

namespace flashstor::s3 {

struct PublicAccessBlock {
  bool block_public_acls = false;
  bool ignore_public_acls = false;
  bool block_public_policy = false;
  bool restrict_public_buckets = false;
};

// <PublicAccessBlockConfiguration> with any of its four boolean elements (absent: false).
// kMalformedXml for anything else.
Result<PublicAccessBlock> ParsePublicAccessBlock(std::string_view xml);
// The canonical document (all four elements), as stored and as GetPublicAccessBlock answers.
std::string PublicAccessBlockXml(const PublicAccessBlock& pab);
// The bucket's settings, nullopt when it has none (or the stored record is damaged).
std::optional<PublicAccessBlock> BucketPublicAccessBlock(const object::BucketMetadata& meta);

// AWS's "public": some Allow statement grants to Principal "*" (or through NotPrincipal)
// without a condition that fixes the caller: an aws:SourceIp CIDR set, or a fixed value of
// aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceOwner, aws:SourceAccount,
// s3:x-amz-server-side-encryption-aws-kms-key-id or aws:userid.
bool PolicyIsPublic(const iam::Policy& policy);

// The request carries a public ACL: x-amz-acl public-read, public-read-write or
// authenticated-read, or an x-amz-grant-* header naming the AllUsers or AuthenticatedUsers
// group.
bool RequestHasPublicAcl(const http::Request& req);

// BlockPublicAcls: a write to an existing bucket whose settings block public ACLs, carrying
// a public ACL in its headers, is refused with 403 AccessDenied (AWS's answer).
ApiError CheckPublicAclWrite(const http::Request& req, std::string_view bucket,
                             object::ObjectLayer& layer, const object::RequestContext& rctx);

}  // namespace flashstor::s3
