// libFuzzer harness for the object metadata codecs (%m.bin, and the legacy %m.json reader).
// Input: a u16 (little-endian) record length, then records and inline bytes; the harness
// frames them with a valid preamble and checksum so the fuzzer reaches the record decoder
// (random bytes would fail the checksum), and also decodes the raw input as it is. Any input
// must decode or fail cleanly; what decodes must hold the codec's invariants and round trip.
#include <isa-l/crc.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "flashstor/meta/meta_codec.h"

using namespace flashstor::object;

namespace {

std::string Frame(std::string_view records, std::string_view tail) {
  std::string out(kMetaMagic);
  out.push_back(static_cast<char>(kMetaMajor));
  out.append(3, '\0');
  const uint32_t len = static_cast<uint32_t>(records.size());
  const uint32_t crc =
      crc32_gzip_refl(0, reinterpret_cast<const unsigned char*>(records.data()), records.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(len >> (8 * i)));
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(crc >> (8 * i)));
  out.append(records);
  out.append(tail);
  return out;
}

void Check(std::string_view file) {
  auto full = DecodeMetaVersions(file, MetaDecode::kFull);
  auto records = DecodeMetaVersions(file, MetaDecode::kRecords);
  auto listing = DecodeMetaVersions(file, MetaDecode::kListing);
  if (full && !records) abort();     // the records of a whole file always decode
  if (records && !listing) abort();  // a listing decodes less, so it refuses less
  if (!full) return;
  if (full->empty() || full->size() > kMaxFileVersions) abort();
  for (const ObjectMeta& m : *full) {
    if (!m.delete_marker && (m.parts.empty() || m.inlined == !m.data_dir.empty())) abort();
    if (!m.inlined && !m.inline_data.empty()) abort();
  }
  if (records->size() != full->size()) abort();
  // What decodes re-encodes to a file that decodes to the same versions.
  auto again = DecodeBinaryMeta(EncodeBinaryMeta(*full));
  if (!again || *again != *full) abort();
  for (size_t i = 0; listing && i < listing->size(); ++i) {
    ObjectMeta m = (*full)[i];
    m.inline_data.clear();
    if (IsBinaryMeta(file)) m.parts.clear(), m.metadata.clear(), m.tags.clear();
    if ((*listing)[i] != m) abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Check(in);
  if (size < 2) return 0;
  const size_t len =
      std::min<size_t>(static_cast<uint8_t>(in[0]) | static_cast<uint8_t>(in[1]) << 8, size - 2);
  Check(Frame(in.substr(2, len), in.substr(2 + len)));
  return 0;
}
