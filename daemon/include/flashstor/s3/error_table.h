// S3 errors: the one table that maps internal status codes (plus a few errors that only the
// S3 layer raises) to S3 error codes, HTTP statuses and default messages.
#pragma once

#include <cstdint>
#include <string_view>

#include "flashstor/common/status.h"

namespace flashstor::s3 {

// Values 0..255 are flashstor::Code; values from 256 are errors only the S3 layer raises.
enum class ErrorId : uint16_t {
  kOk = 0,
  kMethodNotAllowed = 256,
  kNoSuchBucketPolicy,
  kMetadataTooLarge,
  kInvalidPartNumber,
  kMaxMessageLengthExceeded,
  kInvalidUri,
  kIllegalLocationConstraint,
  kInvalidStorageClass,
  kNoSuchCorsConfiguration,
  kNoSuchTagSet,
  kNoSuchLifecycleConfiguration,
  kNoEncryptionConfiguration,
  kNoObjectLockConfiguration,
  kNoSuchWebsiteConfiguration,
  kNoReplicationConfiguration,
  kNoOwnershipControls,
  kNoPublicAccessBlock,
  kAuthorizationQueryParametersError,  // malformed presign query parameters
  kInvalidTag,                         // a tag breaks AWS's tag rules
  kBadRequest,                         // too many tags; a preflight without Origin
  kCorsForbidden,                      // a CORS preflight no rule allows (AccessForbidden)
  kMalformedPolicy,                    // a bucket policy document refused
  kInvalidBucketState,                 // e.g. suspending versioning under object lock
  kMalformedPostRequest,               // POST Object: not well-formed multipart/form-data
  kInvalidPolicyDocument,              // POST Object: the form's policy is not valid
  kMaxPostPreDataLengthExceeded,       // POST Object: fields before the file too large
  kNoSuchObjectLockConfiguration,      // a version without retention
  kAccessControlListNotSupported,      // an ACL other than owner-full-control (ACLs disabled)
  kKmsNotFound,                        // SSE-KMS: no such key (KMS.NotFoundException)
  kKmsDisabled,                        // SSE-KMS: the key is disabled (KMS.DisabledException)
  kLast,                               // sentinel, not an error
};

constexpr ErrorId IdOf(Code code) {
  return static_cast<ErrorId>(static_cast<uint16_t>(code));
}

// Which extra elements AWS adds to the <Error> body for this error.
enum ErrorFlags : uint8_t { kWithBucket = 1, kWithKey = 2 };

struct ErrorInfo {
  ErrorId id = ErrorId::kOk;
  std::string_view code;  // "NoSuchKey"
  int http_status = 500;
  std::string_view message;  // default message
  uint8_t flags = 0;
};

// The table row for id; InternalError's row for ids without one (never null).
const ErrorInfo& LookupError(ErrorId id);
inline const ErrorInfo& LookupError(Code code) {
  return LookupError(IdOf(code));
}
// True when the table has a row of its own for id (tests check completeness with it).
bool HasErrorRow(ErrorId id);

// The error a handler returns: ok, or an id with an optional specific message (static text or
// text that outlives the response, e.g. in the arena).
class ApiError {
 public:
  constexpr ApiError() = default;
  ApiError(const Status& status)  // NOLINT: implicit on purpose, ObjectLayer errors flow in
      : id_(IdOf(status.code())), message_(status.message()) {}
  ApiError(Code code, std::string_view message = {})  // NOLINT
      : id_(IdOf(code)), message_(message) {}
  ApiError(ErrorId id, std::string_view message = {})  // NOLINT
      : id_(id), message_(message) {}

  bool ok() const { return id_ == ErrorId::kOk; }
  ErrorId id() const { return id_; }
  const ErrorInfo& info() const { return LookupError(id_); }
  // Message for the client: the specific one, else the table default. Server-side errors
  // (5xx) always use the default so internal detail never leaks.
  std::string_view client_message() const;
  std::string_view detail() const { return message_; }

 private:
  ErrorId id_ = ErrorId::kOk;
  std::string_view message_;
};

}  // namespace flashstor::s3

// Propagates a non-ok ApiError out of the current function.
#define FS_S3_RETURN_IF_ERROR(expr)                  \
  do {                                               \
    ::flashstor::s3::ApiError fs_s3_error_ = (expr); \
    if (!fs_s3_error_.ok()) return fs_s3_error_;     \
  } while (0)
