// EarlyErrorBody: the S3 <Error> document for requests the event loop rejects before any
// handler runs (malformed, oversized or too slow heads).
#include "flashstor/server/early_errors.h"

#include "flashstor/s3/error_table.h"
#include "flashstor/s3/xml_writer.h"

namespace flashstor::server {

std::pair<std::string, std::string> EarlyErrorBody(int status) {
  s3::ApiError error;
  switch (status) {
    case 408:
      error = s3::ApiError(Code::kTimeout);
      break;
    case 413:
      error = s3::ApiError(Code::kEntityTooLarge);
      break;
    case 414:
      error = s3::ApiError(s3::ErrorId::kInvalidUri, "The request URI is too long.");
      break;
    case 431:
      error = s3::ApiError(s3::ErrorId::kMaxMessageLengthExceeded,
                           "The request header section is too large.");
      break;
    case 503:
      // Too many requests in flight from one address: SDKs back off and retry.
      error = s3::ApiError(Code::kWriteQuorum, "Please reduce your request rate.");
      break;
    case 501:
      error = s3::ApiError(Code::kNotImplemented,
                           "A header you provided implies functionality "
                           "that is not implemented.");
      break;
    case 505:
      error = s3::ApiError(Code::kNotImplemented, "HTTP version not supported.");
      break;
    default:
      error = s3::ApiError(Code::kInvalidRequest, "The request is malformed.");
      break;
  }
  s3::ErrorContext ctx;
  ctx.request_id = "0000000000000000";
  return {"application/xml", s3::ErrorXml(error, ctx)};
}

}  // namespace flashstor::server
