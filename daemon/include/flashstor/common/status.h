// Status and Result<T>: cheap error values used by every layer instead of exceptions.
// A Status never allocates: an enum code, an optional errno and a static message.
#pragma once

#include <cstdint>
#include <expected>
#include <string_view>

namespace flashstor {

// One code space for all layers. Storage codes are reduced to quorum results in object/,
// object codes become S3 error codes in exactly one table (s3/error_table.cc).
enum class Code : uint8_t {
  kOk = 0,
  // generic
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kIoError,
  kNoSpace,
  kCorrupt,
  kTimeout,
  kTooLarge,
  kUnavailable,
  kNotImplemented,
  kInternal,
  kCancelled,   // peer went away (client disconnect)
  kWouldBlock,  // a non-blocking attempt needs a device or the network: retry where blocking is
                // fine
  // storage / quorum
  kDiskNotFound,
  kDiskFull,
  kFileNotFound,
  kVolumeNotFound,
  kVolumeExists,
  kVolumeNotEmpty,
  kFileNameTooLong,
  kFaultyDisk,
  kUnformattedDisk,
  kReadQuorum,
  kWriteQuorum,
  // object / S3 semantics
  kNoSuchBucket,
  kBucketExists,  // owned by you
  kBucketNotEmpty,
  kInvalidBucketName,
  kNoSuchKey,
  kNoSuchVersion,
  kInvalidObjectName,
  kKeyTooLong,
  kNoSuchUpload,
  kInvalidPart,
  kInvalidPartOrder,
  kEntityTooSmall,
  kEntityTooLarge,
  kInvalidRange,
  kPreconditionFailed,
  kNotModified,
  kBadDigest,              // Content-MD5 mismatch
  kInvalidDigest,          // Content-MD5 malformed
  kContentSha256Mismatch,  // x-amz-content-sha256 mismatch
  kChecksumMismatch,       // x-amz-checksum-* mismatch
  kIncompleteBody,         // body shorter than announced
  kInvalidRequest,
  kMalformedXml,
  kSignatureMismatch,
  kInvalidAccessKeyId,
  kAccessDenied,
  kRequestTimeTooSkewed,
  kExpiredToken,
  kInvalidToken,  // STS session token missing, malformed, forged or for another key
  kAuthorizationHeaderMalformed,
  kMissingContentLength,
  kMethodNotAllowed,  // e.g. object lock or tags of a delete marker
  // The server's own deadline for the request passed while it waited (a lock, a quorum of
  // drives): a retry may succeed. Not kTimeout, which is the client being too slow.
  kDeadlineExceeded,
};

class Status {
 public:
  constexpr Status() = default;
  constexpr Status(Code code, std::string_view message = {}, int err = 0)
      : code_(code), errno_(err), message_(message) {}

  static constexpr Status Ok() { return Status(); }

  constexpr bool ok() const { return code_ == Code::kOk; }
  constexpr Code code() const { return code_; }
  // errno that caused the error (positive), 0 when not from a syscall.
  constexpr int sys_errno() const { return errno_; }
  // Static text; never contains secrets. May be empty.
  constexpr std::string_view message() const { return message_; }

  friend constexpr bool operator==(const Status& a, Code c) { return a.code_ == c; }

 private:
  Code code_ = Code::kOk;
  int errno_ = 0;
  std::string_view message_;
};

template <typename T>
using Result = std::expected<T, Status>;

inline std::unexpected<Status> Err(Code code, std::string_view message = {}, int err = 0) {
  return std::unexpected<Status>(Status(code, message, err));
}

// Maps an errno (positive) from a filesystem call to a storage Status.
Status StatusFromErrno(int err, std::string_view message);

// Name of a code for logs ("kNoSuchKey" -> "NoSuchKey").
std::string_view CodeName(Code code);

namespace internal {
// What FS_RETURN_IF_ERROR returns: converts to Status or to any Result<T>, so the macro works
// in both kinds of function.
struct ErrorReturn {
  Status status;
  operator Status() const { return status; }  // NOLINT: implicit by design
  template <typename T>
  operator std::expected<T, Status>() const {  // NOLINT
    return std::unexpected<Status>(status);
  }
};
}  // namespace internal

}  // namespace flashstor

// Propagates a non-ok Status out of the current function (returning Status or Result<T>).
#define FS_RETURN_IF_ERROR(expr)                                                 \
  do {                                                                           \
    ::flashstor::Status fs_status_ = (expr);                                     \
    if (!fs_status_.ok()) return ::flashstor::internal::ErrorReturn{fs_status_}; \
  } while (0)
