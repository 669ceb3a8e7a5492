// IamApi: the AWS IAM query API (POST form body Action=...&Version=2010-05-08, SigV4 with
// service "iam") on the S3 endpoint: users, access keys, inline and managed policies, groups.
// Answers with IAM's XML documents and error codes; only root or a principal whose policies
// allow the iam:<Action> may call it.
#pragma once

#include <optional>
#include <string_view>

#include "authorizer.h"
#include "flashstor/common/data_stream.h"
#include "flashstor/http/exchange.h"
#include "flashstor/iam/iam_store.h"
#include "flashstor/s3/error_table.h"
#include "sts_api.h"

namespace flashstor::s3 {

inline constexpr std::string_view kIamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/";
inline constexpr size_t kMaxIamRequestBytes = 64 * 1024;

class IamApi {
 public:
  IamApi(iam::IamStore& store, Authorizer& authorizer) : store_(store), authorizer_(authorizer) {}

  // Answers the call in form (the request body, read and verified by the caller). Sends the
  // response itself; the returned error is non-ok only when nothing was sent (S3's error
  // document then goes out). op_name receives "iam:<Action>" for logs and metrics; denial
  // what refused the call when the authorizer did.
  ApiError serve(http::Exchange& ex, const auth::AuthContext& auth, std::string_view form,
                 std::string_view request_id, std::string_view& op_name,
                 std::optional<AuthzDenial>& denial);

  // The STS API served beside it (same store and authorizer).
  void set_sts(StsConfig config) {
    sts_ = std::make_unique<StsApi>(store_, authorizer_, std::move(config));
  }
  StsApi& sts() { return *sts_; }

 private:
  iam::IamStore& store_;
  Authorizer& authorizer_;
  std::unique_ptr<StsApi> sts_ = std::make_unique<StsApi>(store_, authorizer_, StsConfig{});
};

// The service of a verified request's credential scope ("yyyymmdd/region/iam/aws4_request").
std::string_view ScopeService(std::string_view scope);

}  // namespace flashstor::s3
