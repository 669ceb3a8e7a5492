// Status helpers: errno mapping and code names for logs.
#include "flashstor/common/status.h"

#include <cerrno>

namespace flashstor {

Status StatusFromErrno(int err, std::string_view message) {
  switch (err) {
    case ENOENT:
      return Status(Code::kFileNotFound, message, err);
    case EEXIST:
      return Status(Code::kAlreadyExists, message, err);
    case ENOSPC:
    case EDQUOT:
      return Status(Code::kDiskFull, message, err);
    case EACCES:
    case EPERM:
    case EROFS:
      return Status(Code::kPermissionDenied, message, err);
    case ENAMETOOLONG:
      return Status(Code::kFileNameTooLong, message, err);
    case ENOTEMPTY:
      return Status(Code::kVolumeNotEmpty, message, err);
    case EIO:
      return Status(Code::kFaultyDisk, message, err);
    default:
      return Status(Code::kIoError, message, err);
  }
}

std::string_view CodeName(Code code) {
  switch (code) {
#define FS_CODE(name) \
  case Code::k##name: \
    return #name;
    FS_CODE(Ok)
    FS_CODE(InvalidArgument)
    FS_CODE(NotFound)
    FS_CODE(AlreadyExists)
    FS_CODE(PermissionDenied)
    FS_CODE(IoError)
    FS_CODE(NoSpace)
    FS_CODE(Corrupt)
    FS_CODE(Timeout)
    FS_CODE(TooLarge)
    FS_CODE(Unavailable)
    FS_CODE(NotImplemented)
    FS_CODE(Internal)
    FS_CODE(Cancelled)
    FS_CODE(WouldBlock)
    FS_CODE(DiskNotFound)
    FS_CODE(DiskFull)
    FS_CODE(FileNotFound)
    FS_CODE(VolumeNotFound)
    FS_CODE(VolumeExists)
    FS_CODE(VolumeNotEmpty)
    FS_CODE(FileNameTooLong)
    FS_CODE(FaultyDisk)
    FS_CODE(UnformattedDisk)
    FS_CODE(ReadQuorum)
    FS_CODE(WriteQuorum)
    FS_CODE(NoSuchBucket)
    FS_CODE(BucketExists)
    FS_CODE(BucketNotEmpty)
    FS_CODE(InvalidBucketName)
    FS_CODE(NoSuchKey)
    FS_CODE(NoSuchVersion)
    FS_CODE(InvalidObjectName)
    FS_CODE(KeyTooLong)
    FS_CODE(NoSuchUpload)
    FS_CODE(InvalidPart)
    FS_CODE(InvalidPartOrder)
    FS_CODE(EntityTooSmall)
    FS_CODE(EntityTooLarge)
    FS_CODE(InvalidRange)
    FS_CODE(PreconditionFailed)
    FS_CODE(NotModified)
    FS_CODE(BadDigest)
    FS_CODE(InvalidDigest)
    FS_CODE(ContentSha256Mismatch)
    FS_CODE(ChecksumMismatch)
    FS_CODE(IncompleteBody)
    FS_CODE(InvalidRequest)
    FS_CODE(MalformedXml)
    FS_CODE(SignatureMismatch)
    FS_CODE(InvalidAccessKeyId)
    FS_CODE(AccessDenied)
    FS_CODE(RequestTimeTooSkewed)
    FS_CODE(ExpiredToken)
    FS_CODE(InvalidToken)
    FS_CODE(AuthorizationHeaderMalformed)
    FS_CODE(MissingContentLength)
    FS_CODE(MethodNotAllowed)
    FS_CODE(DeadlineExceeded)
#undef FS_CODE
  }
  return "Unknown";
}

}  // namespace flashstor
