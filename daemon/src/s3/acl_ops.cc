// ACLs under object ownership BucketOwnerEnforced (ACLs disabled, AWS's default since 2023):
// Get*Acl answer the owner with FULL_CONTROL, Put*Acl accept only the forms that keep exactly
// that (the canned private / bucket-owner-full-control ACL, or an AccessControlPolicy granting
// only the owner FULL_CONTROL) and answer AccessControlListNotSupported to anything else;
// Get/Put/DeleteBucketOwnershipControls report and keep BucketOwnerEnforced.
#include <pugixml.hpp>

#include <string>

#include "flashstor/s3/xml_reader.h"
#include "flashstor/s3/xml_writer.h"
#include "op_context.h"
#include "pugi_helpers.h"

namespace flashstor::s3 {
namespace {

constexpr size_t kMaxAclBodyBytes = 64u << 10;
constexpr std::string_view kEnforced = "BucketOwnerEnforced";

// True when the document grants the owner FULL_CONTROL and nothing else.
bool OwnerFullControlOnly(const pugi::xml_document& doc, std::string_view owner_id) {
  pugi::xml_node root = Root(doc, "AccessControlPolicy");
  pugi::xml_node list = Child(root, "AccessControlList");
  if (!root || !list) return false;
  int grants = 0;
  for (pugi::xml_node g = list.first_child(); g; g = g.next_sibling()) {
    if (g.type() != pugi::node_element) continue;
    if (LocalName(g) != "Grant") return false;
    pugi::xml_node grantee = Child(g, "Grantee");
    if (TrimWs(Text(Child(grantee, "ID"))) != owner_id) return false;
    if (TrimWs(Text(Child(g, "Permission"))) != "FULL_CONTROL") return false;
    ++grants;
  }
  return grants > 0;
}

// The body of a Put*Acl (header forms were screened by refused_inputs.cc).
ApiError AcceptOwnerAclOnly(OpContext& ctx) {
  hash::HashingSource body(ctx.body, ctx.base_expect);
  std::string xml;
  FS_S3_RETURN_IF_ERROR(ReadBoundedBody(body, kMaxAclBodyBytes, xml));
  if (ctx.req.has_header("x-amz-acl")) {
    if (!TrimWs(xml).empty()) {
      return ApiError(Code::kInvalidRequest, "Specify either an ACL header or a body, not both");
    }
    return SendEmpty(ctx, 200);
  }
  pugi::xml_document doc;
  if (TrimWs(xml).empty() || !Load(doc, xml)) return Code::kMalformedXml;
  if (!OwnerFullControlOnly(doc, ctx.config.owner_id)) {
    return ErrorId::kAccessControlListNotSupported;
  }
  return SendEmpty(ctx, 200);
}

std::string OwnershipControlsXml() {
  return "<OwnershipControls xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Rule>"
         "<ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>";
}

}  // namespace

ApiError GetBucketAcl(OpContext& ctx) {
  Result<object::BucketInfo> info = ctx.layer.get_bucket_info(ctx.request_ctx, ctx.res.bucket);
  if (!info) return info.error();
  return SendXml(ctx, 200, AclXml(ctx.owner()));
}

ApiError PutBucketAcl(OpContext& ctx) {
  Result<object::BucketInfo> info = ctx.layer.get_bucket_info(ctx.request_ctx, ctx.res.bucket);
  if (!info) return info.error();
  return AcceptOwnerAclOnly(ctx);
}

ApiError GetObjectAcl(OpContext& ctx) {
  Result<object::ObjectInfo> info =
      ctx.layer.get_object_info(ctx.request_ctx, ctx.res.bucket, ctx.res.key);
  if (!info) return info.error();
  return SendXml(ctx, 200, AclXml(ctx.owner()));
}

ApiError PutObjectAcl(OpContext& ctx) {
  Result<object::ObjectInfo> info =
      ctx.layer.get_object_info(ctx.request_ctx, ctx.res.bucket, ctx.res.key);
  if (!info) return info.error();
  return AcceptOwnerAclOnly(ctx);
}

ApiError GetBucketOwnershipControls(OpContext& ctx) {
  Result<object::BucketInfo> info = ctx.layer.get_bucket_info(ctx.request_ctx, ctx.res.bucket);
  if (!info) return info.error();
  return SendXml(ctx, 200, OwnershipControlsXml());
}

ApiError PutBucketOwnershipControls(OpContext& ctx) {
  Result<object::BucketInfo> info = ctx.layer.get_bucket_info(ctx.request_ctx, ctx.res.bucket);
  if (!info) return info.error();
  hash::HashingSource body(ctx.body, ctx.base_expect);
  std::string xml;
  FS_S3_RETURN_IF_ERROR(ReadBoundedBody(body, kMaxAclBodyBytes, xml));
  pugi::xml_document doc;
  if (!Load(doc, xml)) return Code::kMalformedXml;
  std::string_view ownership =
      TrimWs(Text(Child(Child(Root(doc, "OwnershipControls"), "Rule"), "ObjectOwnership")));
  if (ownership == kEnforced) return SendEmpty(ctx, 200);
  if (ownership == "BucketOwnerPreferred" || ownership == "ObjectWriter") {
    return ApiError(Code::kNotImplemented,
                    "Only the object ownership BucketOwnerEnforced is implemented.");
  }
  return Code::kMalformedXml;
}

ApiError DeleteBucketOwnershipControls(OpContext& ctx) {
  Result<object::BucketInfo> info = ctx.layer.get_bucket_info(ctx.request_ctx, ctx.res.bucket);
  if (!info) return info.error();
  // Without controls AWS falls back to ObjectWriter ownership with ACLs: not implemented.
  return ApiError(Code::kNotImplemented,
                  "Only the object ownership BucketOwnerEnforced is implemented.");
}

}  // namespace flashstor::s3
