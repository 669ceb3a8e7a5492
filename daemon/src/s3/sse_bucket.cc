// ReadBucketDefault: the SSEAlgorithm of the bucket's stored encryption configuration.
#include "sse_bucket.h"

#include <pugixml.hpp>

#include "pugi_helpers.h"

namespace flashstor::s3::sse {

BucketDefault ParseBucketDefault(std::string_view doc) {
  pugi::xml_document xml;
  if (!xml.load_buffer(doc.data(), doc.size())) return BucketDefault::kNone;
  pugi::xml_node algo = xml.child("ServerSideEncryptionConfiguration")
                            .child("Rule")
                            .child("ApplyServerSideEncryptionByDefault")
                            .child("SSEAlgorithm");
  std::string_view value = algo.text().get();
  if (value == "AES256") return BucketDefault::kAes256;
  if (value == "aws:kms" || value == "aws:kms:dsse") return BucketDefault::kKms;
  return BucketDefault::kNone;
}

Result<BucketDefault> ReadBucketDefault(OpContext& ctx) {
  Result<std::shared_ptr<const object::BucketMetadata>> meta =
      ctx.layer.get_bucket_metadata(ctx.res.bucket);
  if (!meta) return std::unexpected(meta.error());
  const std::string* doc = (*meta)->config(object::kConfigEncryption);
  return doc == nullptr ? BucketDefault::kNone : ParseBucketDefault(*doc);
}

}  // namespace flashstor::s3::sse
