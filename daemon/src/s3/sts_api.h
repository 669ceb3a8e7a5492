// StsApi: the AWS STS query API (POST form body Action=...&Version=2011-06-15) on the S3
// endpoint: AssumeRole and GetCallerIdentity (SigV4, service "sts"), and the unsigned
// AssumeRoleWithWebIdentity (an OIDC token verified against the configured issuer's JWKS).
// Issues stateless temporary credentials (iam/session_token.h). STS's XML and error codes.
#pragma once

#include <memory>
#include <string_view>

#include "authorizer.h"
#include "flashstor/http/exchange.h"
#include "flashstor/iam/iam_store.h"
#include "flashstor/iam/jwt_verifier.h"
#include "flashstor/s3/error_table.h"

namespace flashstor::s3 {

inline constexpr std::string_view kStsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/";
inline constexpr int64_t kDefaultStsMinDurationSeconds = 900;

struct StsConfig {
  // Shortest DurationSeconds accepted: 900 as AWS; tests lower it to see sessions expire.
  int64_t min_duration_seconds = kDefaultStsMinDurationSeconds;
  // AssumeRoleWithWebIdentity; nullptr: not configured (the action is refused).
  std::shared_ptr<const iam::JwtVerifier> web_identity;
};

class StsApi {
 public:
  StsApi(iam::IamStore& store, Authorizer& authorizer, StsConfig config)
      : store_(store), authorizer_(authorizer), config_(std::move(config)) {}

  // A verified call (auth not anonymous) or, with auth anonymous, the unsigned
  // AssumeRoleWithWebIdentity. Sends the response; see IamApi::serve for the return value.
  ApiError serve(http::Exchange& ex, const auth::AuthContext& auth, std::string_view form,
                 std::string_view request_id, std::string_view& op_name);

 private:
  iam::IamStore& store_;
  Authorizer& authorizer_;
  StsConfig config_;
};

}  // namespace flashstor::s3
