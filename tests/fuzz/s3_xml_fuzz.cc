// libFuzzer harness for the S3 request XML parsers (CompleteMultipartUpload, Delete,
// CreateBucketConfiguration): any input must parse or fail cleanly, and accepted results
// must respect the documented limits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "flashstor/s3/xml_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > flashstor::s3::kMaxCompleteBodyBytes) return 0;
  std::string_view xml(reinterpret_cast<const char*>(data), size);

  auto parts = flashstor::s3::ParseCompleteMultipartUpload(xml);
  if (parts) {
    if (parts->empty() || parts->size() > static_cast<size_t>(flashstor::s3::kMaxParts)) abort();
    int last = 0;
    for (const auto& p : *parts) {
      if (p.number <= last || p.number > flashstor::s3::kMaxParts || p.etag.empty()) abort();
      last = p.number;
    }
  }
  auto del = flashstor::s3::ParseDeleteObjects(xml);
  if (del && (del->objects.empty() || del->objects.size() > flashstor::s3::kMaxDeleteKeys)) {
    abort();
  }
  auto location = flashstor::s3::ParseCreateBucketConfiguration(xml);
  (void)location;
  return 0;
}
