// PostObject: the browser form upload (POST /<bucket> with multipart/form-data). The form,
// not the request headers, carries the credentials: S3Handler hands such requests here
// before SigV4 verification of headers.
#pragma once

#include <span>
#include <string_view>

#include "authorizer.h"
#include "flashstor/auth/sigv4.h"
#include "flashstor/http/exchange.h"
#include "flashstor/http/uri.h"
#include "flashstor/object/object_layer.h"
#include "flashstor/s3/error_table.h"
#include "flashstor/s3/resource.h"
#include "flashstor/s3/s3_handler.h"

namespace flashstor::s3 {

inline constexpr size_t kMaxPostFieldBytes = 20 * 1024;    // one field before the file
inline constexpr size_t kMaxPostPreDataBytes = 64 * 1024;  // all fields before the file
inline constexpr size_t kMaxPostFields = 128;

// POST to a bucket, no sub-resource in the query, multipart/form-data body, no Authorization.
bool IsPostObject(const http::Request& req, const Resource& res,
                  std::span<const http::QueryParam> query);

struct PostObjectRequest {
  http::Exchange& ex;
  const Resource& res;
  object::ObjectLayer& layer;
  object::RequestContext& request_ctx;  // its principal is set once the form is verified
  const S3Config& config;
  const auth::SigV4Verifier& verifier;
  Authorizer* authorizer;  // null: no IAM, only signed forms
  DataSource& body;
  std::string_view trace_id;
  auth::AuthContext& auth;  // filled once the form's signature is verified
};

// Reads the fields, verifies signature and policy, authorises s3:PutObject, streams the file
// part into the object layer and answers (204 default, 200, 201 with XML, 303 redirect).
ApiError PostObject(PostObjectRequest& r);

}  // namespace flashstor::s3
