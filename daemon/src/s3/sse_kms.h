// SSE-KMS as requests see it: the x-amz-server-side-encryption-aws-kms-key-id, -context and
// -bucket-key-enabled headers, key ids (name or ARN) resolved to key names, the key ARN of
// answers, and the key manager's errors as S3 answers them.
#pragma once

#include <string>
#include <string_view>

#include "op_context.h"

namespace flashstor::s3::sse {

// The SSE-KMS headers a request sends and a response echoes.
inline constexpr std::string_view kHeaderKmsKeyId = "x-amz-server-side-encryption-aws-kms-key-id";
inline constexpr std::string_view kHeaderKmsContext = "x-amz-server-side-encryption-context";

struct KmsRequest {
  std::string key_id;        // as sent (empty: the bucket default's, else the default key)
  std::string context_json;  // the decoded encryption context (empty when none)
  std::string context_b64;   // as sent, echoed in the answer
};

// Checks the SSE-KMS headers: they need x-amz-server-side-encryption: aws:kms (kms_mode),
// the context is base64 JSON of string pairs (at most 4 KiB decoded; an aws:s3:arn in it must
// name this object), bucket-key-enabled is true or false. 400 InvalidArgument otherwise.
ApiError ReadKmsHeaders(const OpContext& ctx, bool kms_mode, KmsRequest& out);
// A key id (a key name or arn:aws:kms:REGION:ACCOUNT:key/NAME; empty: the default key,
// created on first use) to a key name. 400 KMS.NotFoundException for one that cannot exist.
ApiError ResolveKmsKey(const OpContext& ctx, std::string_view key_id, std::string& name);
// arn:aws:kms:REGION:000000000000:key/NAME, as answers name the key.
std::string KmsKeyArn(const OpContext& ctx, std::string_view name);
// The key manager's errors: 400 KMS.NotFoundException, 400 KMS.DisabledException, else 500
// (503 when the store lost its write quorum).
ApiError KmsError(const Status& s);
// 501 when the server has no key manager (started without a master key).
ApiError RequireKms(const OpContext& ctx);
// As AWS: a caller other than root needs `action` (kms:GenerateDataKey to write,
// kms:Decrypt to read) on the key's ARN from its identity policies (bucket policies do not
// grant KMS rights). 403 AccessDenied otherwise.
ApiError AuthorizeKms(const OpContext& ctx, std::string_view action, std::string_view key_name);

}  // namespace flashstor::s3::sse
