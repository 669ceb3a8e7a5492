// A bucket's default encryption (its stored ServerSideEncryptionConfiguration) as new
// objects without SSE headers see it.
#pragma once

#include "op_context.h"

namespace flashstor::s3::sse {

enum class BucketDefault : uint8_t { kNone, kAes256, kKms };

// The default of the request's bucket; kNoSuchBucket when it does not exist.
Result<BucketDefault> ReadBucketDefault(OpContext& ctx);
// The default a stored document names (kNone for none or a malformed one).
BucketDefault ParseBucketDefault(std::string_view doc);

}  // namespace flashstor::s3::sse

namespace flashstor::s3 {

// Put/Get/DeleteBucketEncryption (?encryption). Only SSEAlgorithm AES256 is accepted yet
// (aws:kms: 501); GetBucketEncryption: 404 ServerSideEncryptionConfigurationNotFoundError.
ApiError PutBucketEncryption(OpContext& ctx);
ApiError GetBucketEncryption(OpContext& ctx);
ApiError DeleteBucketEncryption(OpContext& ctx);

}  // namespace flashstor::s3
