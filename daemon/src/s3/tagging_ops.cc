// Tagging operations: Get/Put/DeleteObjectTagging (the tags of one version, changed in
// place) and Get/Put/DeleteBucketTagging (a canonical <Tagging> document in the
// bucket's settings), plus the x-amz-tagging header shared by PutObject, CopyObject and
// CreateMultipartUpload.
#include <string>

#include "authorizer.h"
#include "flashstor/s3/tagging.h"
#include "flashstor/s3/xml_reader.h"
#include "op_context.h"

namespace flashstor::s3 {
namespace {

// Reads a Tagging body, verifying Content-MD5 / x-amz-checksum-* when sent.
ApiError ReadTaggingBody(OpContext& ctx, TagScope scope, object::Metadata& tags) {
  hash::Expectations expect;
  FS_S3_RETURN_IF_ERROR(BuildPutExpectations(ctx, expect));
  hash::HashingSource body(ctx.body, std::move(expect));
  std::string xml;
  FS_S3_RETURN_IF_ERROR(ReadBoundedBody(body, kMaxTaggingBodyBytes, xml));
  return ParseTaggingXml(xml, scope, tags);
}

ApiError SetObjectTags(OpContext& ctx, const object::Metadata& tags, int status) {
  object::VersionUpdate update;
  update.tags = tags;
  Result<object::ObjectInfo> info = ctx.layer.update_version(
      ctx.request_ctx, ctx.res.bucket, ctx.res.key, ctx.param_value("versionId"), update);
  if (!info) return info.error();
  // PutObjectTagging answers 200, DeleteObjectTagging 204.
  PublishObjectEvent(ctx, status == 204 ? "ObjectTagging:Delete" : "ObjectTagging:Put", ctx.res.key,
                     &*info, info->version_id);
  return SendEmpty(ctx, status);
}

}  // namespace

ApiError ReadTaggingHeader(OpContext& ctx, object::Metadata& tags) {
  if (!ctx.req.has_header("x-amz-tagging")) return {};
  return ParseTaggingHeader(ctx.header("x-amz-tagging"), ctx.ex.arena(), tags);
}

ApiError GetObjectTagging(OpContext& ctx) {
  // Any version by id ("null" included); a delete marker has no tags (405, as AWS).
  Result<object::ObjectInfo> info =
      ctx.layer.get_object_info(ctx.request_ctx, ctx.res.bucket, ctx.res.key,
                                ctx.param_value("versionId"), /*current_marker_ok=*/false);
  if (!info) return info.error();
  if (info->delete_marker) return ErrorId::kMethodNotAllowed;
  return SendXml(ctx, 200, TaggingXml(info->tags));
}

ApiError PutObjectTagging(OpContext& ctx) {
  object::Metadata tags;
  FS_S3_RETURN_IF_ERROR(ReadTaggingBody(ctx, TagScope::kObject, tags));
  // Authorised here: policies may read the new tags (s3:RequestObjectTag/<key>).
  iam::RequestContext::keys_type body_keys;
  AddRequestTagKeys(tags, body_keys);
  FS_S3_RETURN_IF_ERROR(AuthorizeRouteInOperation(ctx, &body_keys));
  return SetObjectTags(ctx, tags, 200);
}

ApiError DeleteObjectTagging(OpContext& ctx) {
  return SetObjectTags(ctx, {}, 204);
}

ApiError GetBucketTagging(OpContext& ctx) {
  Result<std::shared_ptr<const object::BucketMetadata>> meta =
      ctx.layer.get_bucket_metadata(ctx.request_ctx, ctx.res.bucket);
  if (!meta) return meta.error();
  const std::string* doc = (*meta)->config(object::kConfigTagging);
  if (doc == nullptr) return ErrorId::kNoSuchTagSet;
  return SendXml(ctx, 200, *doc);
}

ApiError PutBucketTagging(OpContext& ctx) {
  object::Metadata tags;
  FS_S3_RETURN_IF_ERROR(ReadTaggingBody(ctx, TagScope::kBucket, tags));
  std::string canonical = TaggingXml(tags);
  FS_S3_RETURN_IF_ERROR(ctx.layer.update_bucket_metadata(
      ctx.request_ctx, ctx.res.bucket, [&](object::BucketMetadata& meta) {
        // An empty TagSet leaves the bucket without tags, as DeleteBucketTagging does.
        if (tags.empty()) {
          meta.configs.erase(std::string(object::kConfigTagging));
        } else {
          meta.configs[std::string(object::kConfigTagging)] = canonical;
        }
        return Status::Ok();
      }));
  return SendEmpty(ctx, 204);
}

ApiError DeleteBucketTagging(OpContext& ctx) {
  FS_S3_RETURN_IF_ERROR(ctx.layer.update_bucket_metadata(
      ctx.request_ctx, ctx.res.bucket, [](object::BucketMetadata& meta) {
        meta.configs.erase(std::string(object::kConfigTagging));
        return Status::Ok();
      }));
  return SendEmpty(ctx, 204);
}

}  // namespace flashstor::s3
