// The table of request headers and query parameters Flashstor refuses, per operation, and
// the check that applies it. Adding a feature means deleting its rows here and in
// docs/s3-compatibility.md.
#include "flashstor/s3/refused_inputs.h"

#include "flashstor/s3/headers.h"

namespace flashstor::s3 {
namespace {

using enum OpId;
using enum RefusalKind;

constexpr OpMask Ops(std::initializer_list<OpId> ops) {
  OpMask bits;
  for (OpId op : ops) bits = bits | OpBit(op);
  return bits;
}

// Operations that create an object's data or metadata.
constexpr OpMask kObjectWrites = Ops({kPutObject, kCopyObject, kCreateMultipartUpload});
constexpr OpMask kGrantOps = kObjectWrites | Ops({kCreateBucket, kPutBucketAcl, kPutObjectAcl});

constexpr std::string_view kNoAcl = "The bucket does not allow ACLs";

constexpr auto kRefused = std::to_array<RefusedInput>({
    // SSE-S3 / SSE-KMS. Parts are encrypted as their upload says (AWS refuses the header).
    {"x-amz-server-side-encryption",
     false,
     Ops({kUploadPart, kUploadPartCopy}),
     {},
     kNotSupportedHere,
     "x-amz-server-side-encryption header is not supported for this operation."},
    // ACLs: object ownership is BucketOwnerEnforced (ACLs disabled, AWS's default): the
    // owner-full-control forms are what every bucket and object has; anything else is
    // AWS's AccessControlListNotSupported.
    {"x-amz-acl",
     false,
     kObjectWrites | Ops({kPutObjectAcl}),
     {"private", "bucket-owner-full-control"},
     kAclsDisabled,
     kNoAcl},
    {"x-amz-acl", false, Ops({kCreateBucket, kPutBucketAcl}), {"private"}, kAclsDisabled, kNoAcl},
    {"x-amz-grant-full-control", false, kGrantOps, {}, kAclsDisabled, kNoAcl},
    {"x-amz-grant-read", false, kGrantOps, {}, kAclsDisabled, kNoAcl},
    {"x-amz-grant-read-acp", false, kGrantOps, {}, kAclsDisabled, kNoAcl},
    {"x-amz-grant-write", false, kGrantOps, {}, kAclsDisabled, kNoAcl},
    {"x-amz-grant-write-acp", false, kGrantOps, {}, kAclsDisabled, kNoAcl},
    {"x-amz-object-ownership",
     false,
     Ops({kCreateBucket}),
     {"BucketOwnerEnforced"},
     kNotImplemented,
     "Only the object ownership BucketOwnerEnforced is implemented."},
    // Other object features
    {"x-amz-website-redirect-location",
     false,
     kObjectWrites,
     {},
     kNotImplemented,
     "Website redirects are not implemented."},
    {"x-amz-write-offset-bytes",
     false,
     Ops({kPutObject}),
     {},
     kNotImplemented,
     "Appending to objects is not implemented."},
    {"x-amz-mp-object-size",
     false,
     Ops({kCompleteMultipartUpload}),
     {},
     kNotImplemented,
     "x-amz-mp-object-size is not implemented."},
    // Conditional deletes beyond If-Match.
    {"if-none-match",
     false,
     Ops({kDeleteObject}),
     {},
     kNotImplemented,
     "Conditional deletes take If-Match only."},
    {"x-amz-if-match-last-modified-time",
     false,
     Ops({kDeleteObject}),
     {},
     kNotImplemented,
     "Conditional deletes take If-Match only."},
    {"x-amz-if-match-size",
     false,
     Ops({kDeleteObject}),
     {},
     kNotImplemented,
     "Conditional deletes take If-Match only."},
    {"x-amz-mfa",
     false,
     Ops({kDeleteObject, kDeleteObjects}),
     {},
     kNotImplemented,
     "MFA delete is not implemented."},
    // Listing
    {"x-amz-optional-object-attributes",
     false,
     Ops({kListObjectsV1, kListObjectsV2}),
     {},
     kNotImplemented,
     "Optional object attributes are not implemented."},
});

ApiError Refuse(const RefusedInput& row) {
  switch (row.kind) {
    case kNotImplemented:
      return ApiError(Code::kNotImplemented, row.message);
    case kNotSupportedHere:
      return ApiError(Code::kInvalidArgument, row.message);
    case kAclsDisabled:
      return ApiError(ErrorId::kAccessControlListNotSupported, row.message);
  }
  return ApiError(Code::kNotImplemented, row.message);
}

bool Allowed(const RefusedInput& row, std::string_view value) {
  if (value.empty()) return true;
  for (std::string_view ok : row.allowed) {
    if (!ok.empty() && IEquals(value, ok)) return true;
  }
  return false;
}

std::string_view QueryValue(std::span<const http::QueryParam> query, std::string_view name,
                            bool& present) {
  for (const http::QueryParam& p : query) {
    if (p.name == name) {
      present = true;
      return p.value;
    }
  }
  present = false;
  return {};
}

}  // namespace

std::span<const RefusedInput> RefusedInputs() {
  return kRefused;
}

ApiError CheckRefusedInputs(OpId op, const http::Request& request,
                            std::span<const http::QueryParam> query, std::string_view owner_id) {
  for (const RefusedInput& row : kRefused) {
    if (!row.ops.has(op)) continue;
    if (row.query) {
      bool present = false;
      std::string_view value = QueryValue(query, row.name, present);
      // A query parameter asks for the feature by being there, even without a value.
      if (present && (value.empty() || !Allowed(row, value))) return Refuse(row);
    } else if (request.has_header(row.name) && !Allowed(row, request.header(row.name))) {
      return Refuse(row);
    }
  }
  for (std::string_view name :
       {"x-amz-expected-bucket-owner", "x-amz-source-expected-bucket-owner"}) {
    std::string_view want = request.header(name);
    if (!want.empty() && want != owner_id) return Code::kAccessDenied;
  }
  return {};
}

}  // namespace flashstor::s3
