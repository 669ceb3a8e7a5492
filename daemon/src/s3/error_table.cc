// The one table from internal status codes (and S3-only errors) to S3 error responses.
// Disk full answers 507 InsufficientStorage (not retried by SDKs, unlike 503 SlowDown, which
// is kept for lost quorum and the server's own deadline, where a retry can succeed).
#include "flashstor/s3/error_table.h"

#include <array>

namespace flashstor::s3 {
namespace {

constexpr std::string_view kInternalMsg = "We encountered an internal error. Please try again.";

constexpr ErrorInfo Row(Code c, std::string_view code, int status, std::string_view msg,
                        uint8_t flags = 0) {
  return ErrorInfo{IdOf(c), code, status, msg, flags};
}
constexpr ErrorInfo Row(ErrorId id, std::string_view code, int status, std::string_view msg,
                        uint8_t flags = 0) {
  return ErrorInfo{id, code, status, msg, flags};
}

constexpr auto kTable = std::to_array<ErrorInfo>({
    // generic
    Row(Code::kInvalidArgument, "InvalidArgument", 400, "Invalid Argument"),
    Row(Code::kNotFound, "NoSuchKey", 404, "The specified key does not exist.", kWithKey),
    Row(Code::kAlreadyExists, "BucketAlreadyOwnedByYou", 409,
        "Your previous request to create the named bucket succeeded and you already own it.",
        kWithBucket),
    Row(Code::kPermissionDenied, "AccessDenied", 403, "Access Denied"),
    Row(Code::kIoError, "InternalError", 500, kInternalMsg),
    Row(Code::kNoSpace, "InsufficientStorage", 507,
        "The storage is full. Delete objects to free space and retry."),
    Row(Code::kCorrupt, "InternalError", 500, kInternalMsg),
    Row(Code::kTimeout, "RequestTimeout", 400,
        "Your socket connection to the server was not read from or written to within the "
        "timeout period."),
    Row(Code::kTooLarge, "EntityTooLarge", 400,
        "Your proposed upload exceeds the maximum allowed object size."),
    Row(Code::kUnavailable, "ServiceUnavailable", 503, "Please reduce your request rate."),
    Row(Code::kNotImplemented, "NotImplemented", 501,
        "A header you provided implies functionality that is not implemented."),
    Row(Code::kInternal, "InternalError", 500, kInternalMsg),
    // Never reaches the client (it left); 499 keeps metrics honest.
    Row(Code::kCancelled, "ClientClosedRequest", 499, "The client closed the connection."),
    // An engine-internal answer (a non-blocking read attempt); a bug if it reaches a client.
    Row(Code::kWouldBlock, "InternalError", 500, kInternalMsg),
    // storage / quorum
    Row(Code::kDiskNotFound, "InternalError", 500, kInternalMsg),
    Row(Code::kDiskFull, "InsufficientStorage", 507,
        "The storage is full. Delete objects to free space and retry."),
    Row(Code::kFileNotFound, "NoSuchKey", 404, "The specified key does not exist.", kWithKey),
    Row(Code::kVolumeNotFound, "NoSuchBucket", 404, "The specified bucket does not exist",
        kWithBucket),
    Row(Code::kVolumeExists, "BucketAlreadyOwnedByYou", 409,
        "Your previous request to create the named bucket succeeded and you already own it.",
        kWithBucket),
    Row(Code::kVolumeNotEmpty, "BucketNotEmpty", 409, "The bucket you tried to delete is not empty",
        kWithBucket),
    Row(Code::kFileNameTooLong, "KeyTooLongError", 400, "Your key is too long", kWithKey),
    Row(Code::kFaultyDisk, "InternalError", 500, kInternalMsg),
    Row(Code::kUnformattedDisk, "InternalError", 500, kInternalMsg),
    Row(Code::kReadQuorum, "SlowDown", 503,
        "Resource requested is unreadable, please reduce your request rate"),
    Row(Code::kWriteQuorum, "SlowDown", 503,
        "Resource requested is unwritable, please reduce your request rate"),
    // object / S3 semantics
    Row(Code::kNoSuchBucket, "NoSuchBucket", 404, "The specified bucket does not exist",
        kWithBucket),
    Row(Code::kBucketExists, "BucketAlreadyOwnedByYou", 409,
        "Your previous request to create the named bucket succeeded and you already own it.",
        kWithBucket),
    Row(Code::kBucketNotEmpty, "BucketNotEmpty", 409, "The bucket you tried to delete is not empty",
        kWithBucket),
    Row(Code::kInvalidBucketName, "InvalidBucketName", 400, "The specified bucket is not valid.",
        kWithBucket),
    Row(Code::kNoSuchKey, "NoSuchKey", 404, "The specified key does not exist.", kWithKey),
    Row(Code::kNoSuchVersion, "NoSuchVersion", 404,
        "The version ID specified in the request does not match an existing version.", kWithKey),
    Row(Code::kInvalidObjectName, "InvalidArgument", 400,
        "Object name contains unsupported characters.", kWithKey),
    Row(Code::kKeyTooLong, "KeyTooLongError", 400, "Your key is too long", kWithKey),
    Row(Code::kNoSuchUpload, "NoSuchUpload", 404,
        "The specified multipart upload does not exist. The upload ID may be invalid, or the "
        "upload may have been aborted or completed."),
    Row(Code::kInvalidPart, "InvalidPart", 400,
        "One or more of the specified parts could not be found. The part may not have been "
        "uploaded, or the specified entity tag may not match the part's entity tag."),
    Row(Code::kInvalidPartOrder, "InvalidPartOrder", 400,
        "The list of parts was not in ascending order. The parts list must be specified in "
        "order by part number."),
    Row(Code::kEntityTooSmall, "EntityTooSmall", 400,
        "Your proposed upload is smaller than the minimum allowed object size."),
    Row(Code::kEntityTooLarge, "EntityTooLarge", 400,
        "Your proposed upload exceeds the maximum allowed object size."),
    Row(Code::kInvalidRange, "InvalidRange", 416, "The requested range is not satisfiable"),
    Row(Code::kPreconditionFailed, "PreconditionFailed", 412,
        "At least one of the pre-conditions you specified did not hold"),
    Row(Code::kNotModified, "NotModified", 304, "Not Modified"),
    Row(Code::kBadDigest, "BadDigest", 400,
        "The Content-MD5 you specified did not match what we received."),
    Row(Code::kInvalidDigest, "InvalidDigest", 400, "The Content-MD5 you specified is not valid."),
    Row(Code::kContentSha256Mismatch, "XAmzContentSHA256Mismatch", 400,
        "The provided 'x-amz-content-sha256' header does not match what was computed."),
    Row(Code::kChecksumMismatch, "BadDigest", 400,
        "The checksum you specified did not match the calculated checksum."),
    Row(Code::kIncompleteBody, "IncompleteBody", 400,
        "You did not provide the number of bytes specified by the Content-Length HTTP header."),
    Row(Code::kInvalidRequest, "InvalidRequest", 400, "Invalid Request"),
    Row(Code::kMalformedXml, "MalformedXML", 400,
        "The XML you provided was not well-formed or did not validate against our published "
        "schema."),
    Row(Code::kSignatureMismatch, "SignatureDoesNotMatch", 403,
        "The request signature we calculated does not match the signature you provided. Check "
        "your key and signing method."),
    Row(Code::kInvalidAccessKeyId, "InvalidAccessKeyId", 403,
        "The AWS Access Key Id you provided does not exist in our records."),
    Row(Code::kAccessDenied, "AccessDenied", 403, "Access Denied"),
    Row(Code::kRequestTimeTooSkewed, "RequestTimeTooSkewed", 403,
        "The difference between the request time and the server's time is too large."),
    Row(Code::kExpiredToken, "ExpiredToken", 400, "The provided token has expired."),
    Row(Code::kInvalidToken, "InvalidToken", 400,
        "The provided token is malformed or otherwise invalid."),
    Row(Code::kAuthorizationHeaderMalformed, "AuthorizationHeaderMalformed", 400,
        "The authorization header is malformed."),
    Row(Code::kMissingContentLength, "MissingContentLength", 411,
        "You must provide the Content-Length HTTP header."),
    Row(Code::kMethodNotAllowed, "MethodNotAllowed", 405,
        "The specified method is not allowed against this resource."),
    // The server ran out of its time for the request (a lock held too long, drives that did
    // not answer): 503 SlowDown, which SDKs retry, unlike 400 RequestTimeout (kTimeout: the
    // client's socket was too slow).
    Row(Code::kDeadlineExceeded, "SlowDown", 503, "Please reduce your request rate."),
    // Errors only the S3 layer raises.
    Row(ErrorId::kMethodNotAllowed, "MethodNotAllowed", 405,
        "The specified method is not allowed against this resource."),
    Row(ErrorId::kInvalidBucketState, "InvalidBucketState", 409,
        "The request is not valid with the current state of the bucket.", kWithBucket),
    Row(ErrorId::kNoSuchBucketPolicy, "NoSuchBucketPolicy", 404, "The bucket policy does not exist",
        kWithBucket),
    Row(ErrorId::kMetadataTooLarge, "MetadataTooLarge", 400,
        "Your metadata headers exceed the maximum allowed metadata size."),
    Row(ErrorId::kInvalidPartNumber, "InvalidPartNumber", 416,
        "The requested partnumber is not satisfiable"),
    Row(ErrorId::kMaxMessageLengthExceeded, "MaxMessageLengthExceeded", 400,
        "Your request was too big."),
    Row(ErrorId::kInvalidUri, "InvalidURI", 400, "Couldn't parse the specified URI."),
    Row(ErrorId::kIllegalLocationConstraint, "IllegalLocationConstraintException", 400,
        "The location constraint is incompatible for the region specific endpoint this request "
        "was sent to."),
    Row(ErrorId::kInvalidStorageClass, "InvalidStorageClass", 400,
        "The storage class you specified is not valid"),
    // A bucket feature that was never configured (we configure none of them).
    Row(ErrorId::kNoSuchCorsConfiguration, "NoSuchCORSConfiguration", 404,
        "The CORS configuration does not exist", kWithBucket),
    Row(ErrorId::kNoSuchTagSet, "NoSuchTagSet", 404, "The TagSet does not exist", kWithBucket),
    Row(ErrorId::kNoSuchLifecycleConfiguration, "NoSuchLifecycleConfiguration", 404,
        "The lifecycle configuration does not exist", kWithBucket),
    Row(ErrorId::kNoEncryptionConfiguration, "ServerSideEncryptionConfigurationNotFoundError", 404,
        "The server side encryption configuration was not found", kWithBucket),
    Row(ErrorId::kNoObjectLockConfiguration, "ObjectLockConfigurationNotFoundError", 404,
        "Object Lock configuration does not exist for this bucket", kWithBucket),
    Row(ErrorId::kAccessControlListNotSupported, "AccessControlListNotSupported", 400,
        "The bucket does not allow ACLs"),
    // SSE-KMS: the key manager's errors as S3 passes them on.
    Row(ErrorId::kKmsNotFound, "KMS.NotFoundException", 400, "Invalid keyId"),
    Row(ErrorId::kKmsDisabled, "KMS.DisabledException", 400, "The KMS key is disabled."),
    Row(ErrorId::kNoSuchObjectLockConfiguration, "NoSuchObjectLockConfiguration", 404,
        "The specified object does not have a ObjectLock configuration", kWithKey),
    Row(ErrorId::kNoSuchWebsiteConfiguration, "NoSuchWebsiteConfiguration", 404,
        "The specified bucket does not have a website configuration", kWithBucket),
    Row(ErrorId::kNoReplicationConfiguration, "ReplicationConfigurationNotFoundError", 404,
        "The replication configuration was not found", kWithBucket),
    Row(ErrorId::kNoOwnershipControls, "OwnershipControlsNotFoundError", 404,
        "The bucket ownership controls were not found", kWithBucket),
    Row(ErrorId::kNoPublicAccessBlock, "NoSuchPublicAccessBlockConfiguration", 404,
        "The public access block configuration was not found", kWithBucket),
    Row(ErrorId::kAuthorizationQueryParametersError, "AuthorizationQueryParametersError", 400,
        "Error parsing the query-string authentication parameters."),
    Row(ErrorId::kInvalidTag, "InvalidTag", 400, "The tag provided was not a valid tag."),
    Row(ErrorId::kBadRequest, "BadRequest", 400, "Bad Request"),
    Row(ErrorId::kCorsForbidden, "AccessForbidden", 403,
        "CORSResponse: This CORS request is not allowed. This is usually because the evalution "
        "of Origin, request method / Access-Control-Request-Method or "
        "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."),
    Row(ErrorId::kMalformedPolicy, "MalformedPolicy", 400, "Policies must be valid JSON"),
    Row(ErrorId::kMalformedPostRequest, "MalformedPOSTRequest", 400,
        "The body of your POST request is not well-formed multipart/form-data."),
    Row(ErrorId::kInvalidPolicyDocument, "InvalidPolicyDocument", 400,
        "The content of the form does not meet the conditions specified in the policy document."),
    Row(ErrorId::kMaxPostPreDataLengthExceeded, "MaxPostPreDataLengthExceeded", 400,
        "Your POST request fields preceeding the upload file was too large."),
});

constexpr ErrorInfo kInternalRow = Row(Code::kInternal, "InternalError", 500, kInternalMsg);

const ErrorInfo* Find(ErrorId id) {
  for (const ErrorInfo& row : kTable) {
    if (row.id == id) return &row;
  }
  return nullptr;
}

}  // namespace

const ErrorInfo& LookupError(ErrorId id) {
  const ErrorInfo* row = Find(id);
  return row != nullptr ? *row : kInternalRow;
}

bool HasErrorRow(ErrorId id) {
  return Find(id) != nullptr;
}

std::string_view ApiError::client_message() const {
  const ErrorInfo& row = info();
  if (row.http_status >= 500 || message_.empty()) return row.message;
  return message_;
}

}  // namespace flashstor::s3
