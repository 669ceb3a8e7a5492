// Put/Get/DeletePublicAccessBlock (`?publicAccessBlock`): the bucket's Block Public Access
// settings, stored canonical under object::kConfigPublicAccessBlock. Changing them bumps the
// authorisation epoch (through the bucket settings store), so RestrictPublicBuckets applies
// from the next request on.
#include "flashstor/object/bucket_metadata.h"
#include "flashstor/s3/xml_reader.h"
#include "op_context.h"
#include "public_access_block.h"

namespace flashstor::s3 {

namespace {
constexpr size_t kMaxPublicAccessBlockBytes = 4096;
}  // namespace

ApiError PutPublicAccessBlock(OpContext& ctx) {
  hash::HashingSource body(ctx.body, ctx.base_expect);
  std::string xml;
  ApiError read = ReadBoundedBody(body, kMaxPublicAccessBlockBytes, xml);
  if (read.id() == ErrorId::kMaxMessageLengthExceeded) return Code::kMalformedXml;
  FS_S3_RETURN_IF_ERROR(read);
  auto pab = ParsePublicAccessBlock(xml);
  if (!pab) return pab.error();
  const std::string canonical = PublicAccessBlockXml(*pab);
  FS_S3_RETURN_IF_ERROR(ctx.layer.update_bucket_metadata(
      ctx.request_ctx, ctx.res.bucket, [&](object::BucketMetadata& m) {
        m.configs[std::string(object::kConfigPublicAccessBlock)] = canonical;
        return Status::Ok();
      }));
  return SendEmpty(ctx, 200);
}

ApiError GetPublicAccessBlock(OpContext& ctx) {
  auto meta = ctx.layer.get_bucket_metadata(ctx.request_ctx, ctx.res.bucket);
  if (!meta) return meta.error();
  auto pab = BucketPublicAccessBlock(**meta);
  if (!pab) return ErrorId::kNoPublicAccessBlock;
  return SendXml(ctx, 200, PublicAccessBlockXml(*pab));
}

ApiError DeletePublicAccessBlock(OpContext& ctx) {
  FS_S3_RETURN_IF_ERROR(ctx.layer.update_bucket_metadata(
      ctx.request_ctx, ctx.res.bucket, [](object::BucketMetadata& m) {
        auto it = m.configs.find(object::kConfigPublicAccessBlock);
        if (it != m.configs.end()) m.configs.erase(it);
        return Status::Ok();
      }));
  return SendEmpty(ctx, 204);
}

}  // namespace flashstor::s3
