// AuthorizeInOperation: the authorisations an operation makes itself (a DeleteObjects key,
// a copy source, a body's condition keys), through the same Authorizer as every request.
#include "authorizer.h"
#include "op_context.h"

namespace flashstor::s3 {

ApiError AuthorizeInOperation(OpContext& ctx, const OpAuthz& what) {
  if (ctx.authorizer == nullptr) return {};  // without IAM, signed requests may do anything
  AuthzRequest r = S3AuthzRequest(ctx.auth, ctx.ex, ctx.query, what.action, what.bucket, what.key);
  r.version_id = what.version_id;
  r.body_keys = what.body_keys;
  r.object_ctx = &ctx.request_ctx;
  AuthzVerdict verdict = ctx.authorizer->decide(r);
  if (verdict.allowed) return {};
  if (ctx.denial != nullptr && !ctx.denial->has_value()) {
    *ctx.denial = AuthzDenial{std::move(verdict.principal), std::string(what.action),
                              std::move(r.resource), std::move(verdict.deciding)};
  }
  return Code::kAccessDenied;
}

ApiError AuthorizeRouteInOperation(OpContext& ctx,
                                   const iam::RequestContext::keys_type* body_keys) {
  return AuthorizeInOperation(ctx, {.action = ctx.action,
                                    .bucket = ctx.res.bucket,
                                    .key = ctx.res.key,
                                    .version_id = ctx.param_value("versionId"),
                                    .body_keys = body_keys});
}

}  // namespace flashstor::s3
