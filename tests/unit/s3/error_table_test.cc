// Error table tests: every internal code maps to an S3 error, statuses are right, messages of
// server errors never leak detail.
#include <string_view>

#include "flashstor/s3/error_table.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::s3;

namespace {

void test_every_code_has_a_row(void** state) {
  (void)state;
  int codes = 0;
  for (int c = 1; c < 256; ++c) {
    Code code = static_cast<Code>(c);
    if (CodeName(code) == "Unknown") break;  // past the last code
    ++codes;
    assert_true(HasErrorRow(IdOf(code)));
    const ErrorInfo& info = LookupError(code);
    assert_false(info.code.empty());
    assert_false(info.message.empty());
    assert_true(info.http_status >= 300 && info.http_status < 600);
  }
  assert_true(codes >= static_cast<int>(Code::kMethodNotAllowed));
  for (int id = static_cast<int>(ErrorId::kMethodNotAllowed); id < static_cast<int>(ErrorId::kLast);
       ++id) {
    assert_true(HasErrorRow(static_cast<ErrorId>(id)));
  }
}

void Expect(ApiError e, std::string_view code, int status) {
  assert_true(e.info().code == code);
  assert_int_equal(e.info().http_status, status);
}

void test_statuses(void** state) {
  (void)state;
  Expect(Code::kNoSuchBucket, "NoSuchBucket", 404);
  Expect(Code::kNoSuchKey, "NoSuchKey", 404);
  Expect(Code::kBucketNotEmpty, "BucketNotEmpty", 409);
  Expect(Code::kBucketExists, "BucketAlreadyOwnedByYou", 409);
  Expect(Code::kInvalidBucketName, "InvalidBucketName", 400);
  Expect(Code::kKeyTooLong, "KeyTooLongError", 400);
  Expect(Code::kNoSuchUpload, "NoSuchUpload", 404);
  Expect(Code::kInvalidPart, "InvalidPart", 400);
  Expect(Code::kInvalidPartOrder, "InvalidPartOrder", 400);
  Expect(Code::kEntityTooSmall, "EntityTooSmall", 400);
  Expect(Code::kEntityTooLarge, "EntityTooLarge", 400);
  Expect(Code::kInvalidRange, "InvalidRange", 416);
  Expect(Code::kPreconditionFailed, "PreconditionFailed", 412);
  Expect(Code::kNotModified, "NotModified", 304);
  Expect(Code::kBadDigest, "BadDigest", 400);
  Expect(Code::kChecksumMismatch, "BadDigest", 400);
  Expect(Code::kInvalidDigest, "InvalidDigest", 400);
  Expect(Code::kContentSha256Mismatch, "XAmzContentSHA256Mismatch", 400);
  Expect(Code::kIncompleteBody, "IncompleteBody", 400);
  Expect(Code::kInvalidRequest, "InvalidRequest", 400);
  Expect(Code::kMalformedXml, "MalformedXML", 400);
  Expect(Code::kSignatureMismatch, "SignatureDoesNotMatch", 403);
  Expect(Code::kInvalidAccessKeyId, "InvalidAccessKeyId", 403);
  Expect(Code::kAccessDenied, "AccessDenied", 403);
  Expect(Code::kRequestTimeTooSkewed, "RequestTimeTooSkewed", 403);
  Expect(Code::kExpiredToken, "ExpiredToken", 400);
  Expect(Code::kAuthorizationHeaderMalformed, "AuthorizationHeaderMalformed", 400);
  Expect(Code::kMissingContentLength, "MissingContentLength", 411);
  Expect(Code::kNotImplemented, "NotImplemented", 501);
  Expect(Code::kInternal, "InternalError", 500);
  Expect(Code::kReadQuorum, "SlowDown", 503);
  Expect(Code::kWriteQuorum, "SlowDown", 503);
  Expect(Code::kDeadlineExceeded, "SlowDown", 503);
  Expect(Code::kTimeout, "RequestTimeout", 400);
  Expect(Code::kDiskFull, "InsufficientStorage", 507);
  Expect(ErrorId::kMethodNotAllowed, "MethodNotAllowed", 405);
  Expect(ErrorId::kNoSuchBucketPolicy, "NoSuchBucketPolicy", 404);
  Expect(ErrorId::kMetadataTooLarge, "MetadataTooLarge", 400);
  // Unknown ids fall back to InternalError.
  Expect(static_cast<ErrorId>(999), "InternalError", 500);
}

void test_messages(void** state) {
  (void)state;
  ApiError specific(Code::kInvalidArgument, "max-keys is bad");
  assert_true(specific.client_message() == "max-keys is bad");
  ApiError plain(Code::kNoSuchKey);
  assert_true(plain.client_message() == "The specified key does not exist.");
  ApiError internal(Code::kIoError, "open /data1/x failed");
  assert_true(internal.client_message().find("/data1") == std::string_view::npos);
  assert_true(internal.detail() == "open /data1/x failed");
  ApiError from_status(Status(Code::kNoSuchBucket));
  assert_true(from_status.info().code == "NoSuchBucket");
  assert_true((LookupError(Code::kNoSuchBucket).flags & kWithBucket) != 0);
  assert_true((LookupError(Code::kNoSuchKey).flags & kWithKey) != 0);
  assert_true(ApiError().ok());
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_code_has_a_row),
      cmocka_unit_test(test_statuses),
      cmocka_unit_test(test_messages),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
