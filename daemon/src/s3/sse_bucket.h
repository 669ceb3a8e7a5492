// A bucket's default encryption (its stored ServerSideEncryptionConfiguration) as new
// objects without SSE headers see it.
#pragma once

#include "op_context.h"

namespace flashstor::s3::sse {

enum class BucketDefault : uint8_t { kNone, kAes256, kKms };

// The default of the request's bucket; kNoSuchBucket when it does not exist. kms_key, when
// given, gets the KMSMasterKeyID of a kKms default (empty: the default key).
Result<BucketDefault> ReadBucketDefault(OpContext& ctx, std::string* kms_key = nullptr);
// The default a stored document names (kNone for none or a malformed one).
BucketDefault ParseBucketDefault(std::string_view doc, std::string* kms_key = nullptr);

}  // namespace flashstor::s3::sse

namespace flashstor::s3 {

// Put/Get/DeleteBucketEncryption (?encryption). SSEAlgorithm AES256, or aws:kms with an
// optional KMSMasterKeyID (aws:kms:dsse: 501); GetBucketEncryption: 404
// ServerSideEncryptionConfigurationNotFoundError.
ApiError PutBucketEncryption(OpContext& ctx);
ApiError GetBucketEncryption(OpContext& ctx);
ApiError DeleteBucketEncryption(OpContext& ctx);

}  // namespace flashstor::s3
