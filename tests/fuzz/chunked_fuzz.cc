// libFuzzer harness: ChunkedBody over an in-memory transport with fuzzed recv() piece and
// read() sizes; checks it never over-reads and only ends at a well-formed final CRLF.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "flashstor/http/body.h"
#include "memory_transport.h"

using namespace flashstor;
using namespace flashstor::http;

using flashstor::fuzz::MemoryTransport;

namespace {

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t piece = (data[0] & 0x1f) + 1;
  size_t step = (data[1] & 0x3f) + 1;
  std::string_view wire(reinterpret_cast<const char*>(data + 2), size - 2);
  MemoryTransport transport(wire, piece);
  char buffer[64];
  ConnectionInput input(buffer, {}, transport);
  ChunkedBody body(input, 1 << 20);
  char out[64];
  uint64_t total = 0;
  for (;;) {
    Result<size_t> n = body.read(std::span<char>(out, step));
    if (!n) {
      if (n.error().code() != Code::kInvalidRequest && n.error().code() != Code::kIncompleteBody &&
          n.error().code() != Code::kTooLarge) {
        abort();
      }
      if (body.read(std::span<char>(out, step)).has_value()) abort();  // errors are final
      return 0;
    }
    if (*n > step) abort();
    total += *n;
    if (*n == 0) break;
  }
  if (!body.done() || total > wire.size()) abort();
  // Whatever was not consumed is exactly the tail of the input.
  std::string rest = std::string(input.leftover()) + std::string(transport.remaining());
  if (!wire.ends_with(rest)) abort();
  std::string_view used = wire.substr(0, wire.size() - rest.size());
  if (!used.ends_with("\r\n")) abort();
  return 0;
}
