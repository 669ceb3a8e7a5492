// VerifyPostFormSignature: which signature version the form uses, the credential scope checks
// and the constant-time comparison of the signature over the policy.
#include "post_form_signature.h"

#include <openssl/crypto.h>

#include <ctime>
#include <optional>
#include <string>

#include "amz_date.h"
#include "credential_lookup.h"
#include "signature_params.h"
#include "signing.h"
#include "sigv2.h"

namespace flashstor::auth {
namespace {

// Long-term and temporary (STS) keys, the latter validated from the form's
// x-amz-security-token as SigV4 headers are.
Result<Credential> LookUp(const CredentialProvider& credentials, std::string_view access_key,
                          std::string_view token) {
  return LookUpCredential(credentials, access_key, token, std::time(nullptr));
}

constexpr std::string_view kMismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "key and signing method.";

Result<AuthContext> VerifyV4(const CredentialProvider& credentials, const VerifyOptions& options,
                             const PostFormSignature& form) {
  if (form.algorithm != kAlgorithm) {
    return Err(Code::kInvalidArgument, "Only the AWS4-HMAC-SHA256 algorithm is supported.");
  }
  if (form.credential.empty() || form.amz_date.empty() || form.signature.empty()) {
    return Err(Code::kInvalidArgument,
               "POST requires the x-amz-credential, x-amz-date and x-amz-signature fields");
  }
  Result<CredentialScope> scope = ParseCredential(form.credential);
  if (!scope) return std::unexpected(scope.error());
  if (scope->service != "s3" || (!options.region.empty() && scope->region != options.region)) {
    return Err(Code::kAuthorizationHeaderMalformed,
               "the region or service in the x-amz-credential is wrong for this endpoint");
  }
  if (!ParseAmzDate(form.amz_date) || !form.amz_date.starts_with(scope->date)) {
    return Err(Code::kInvalidArgument, "x-amz-date is invalid or differs from the credential date");
  }
  Result<Credential> cred = LookUp(credentials, scope->access_key, form.security_token);
  if (!cred) return std::unexpected(cred.error());
  Digest key = DeriveSigningKey(cred->secret_key, scope->date, scope->region, scope->service);
  HexDigest expected = ToHex(HmacSha256(key, form.policy_b64));
  OPENSSL_cleanse(key.data(), key.size());
  if (!SignatureEquals(expected, form.signature)) return Err(Code::kSignatureMismatch, kMismatch);
  AuthContext ctx;
  ctx.anonymous = false;
  ctx.access_key = std::move(cred->access_key);
  ctx.is_root = cred->is_root;
  ctx.session_token = std::move(cred->session_token);
  ctx.method = AuthMethod::kPostForm;
  return ctx;
}

Result<AuthContext> VerifyV2(const CredentialProvider& credentials, const VerifyOptions& options,
                             const PostFormSignature& form) {
  if (!options.allow_sigv2) return Err(Code::kInvalidArgument, kSigV2NotSupported);
  if (form.v2_signature.empty()) {
    return Err(Code::kInvalidArgument, "POST requires a signature field with AWSAccessKeyId");
  }
  Result<Credential> cred = LookUp(credentials, form.access_key_id, form.security_token);
  if (!cred) return std::unexpected(cred.error());
  std::string expected = SigV2Signature(cred->secret_key, form.policy_b64);
  if (!SigV2SignatureEquals(expected, form.v2_signature)) {
    return Err(Code::kSignatureMismatch, kMismatch);
  }
  AuthContext ctx;
  ctx.anonymous = false;
  ctx.access_key = std::move(cred->access_key);
  ctx.is_root = cred->is_root;
  ctx.session_token = std::move(cred->session_token);
  ctx.sigv2 = true;
  ctx.method = AuthMethod::kPostForm;
  return ctx;
}

}  // namespace

Result<AuthContext> VerifyPostFormSignature(const CredentialProvider& credentials,
                                            const VerifyOptions& options,
                                            const PostFormSignature& form) {
  if (!form.access_key_id.empty()) return VerifyV2(credentials, options, form);
  return VerifyV4(credentials, options, form);
}

}  // namespace flashstor::auth
