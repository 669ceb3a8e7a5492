// Response helpers every S3 operation shares: XML and empty responses, checksum headers.
#include <string>

#include "op_context.h"

namespace flashstor::s3 {

ApiError SendXml(OpContext& ctx, int status, std::string_view xml) {
  http::ResponseWriter& resp = ctx.response();
  resp.set_status(status);
  resp.add_header("Content-Type", "application/xml");
  return resp.send(xml);
}

ApiError SendEmpty(OpContext& ctx, int status) {
  ctx.response().set_status(status);
  return ctx.response().send({});
}

void AddChecksumHeader(OpContext& ctx, hash::ChecksumAlgo algo, std::string_view b64) {
  if (algo == hash::ChecksumAlgo::kNone || b64.empty()) return;
  ctx.response().add_header(hash::ChecksumHeader(algo), b64);
  // A multipart COMPOSITE value ends in "-<parts>"; anything else covers the whole object.
  const bool composite = b64.find('-') != std::string_view::npos;
  ctx.response().add_header("x-amz-checksum-type", composite ? "COMPOSITE" : "FULL_OBJECT");
}

}  // namespace flashstor::s3
