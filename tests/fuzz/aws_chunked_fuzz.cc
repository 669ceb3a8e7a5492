// libFuzzer harness: AwsChunkedBody layered on ContentLengthBody over an in-memory transport;
// the observer checks the call order and that data never exceeds the decoded length.
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

class CheckingObserver final : public AwsChunkObserver {
 public:
  explicit CheckingObserver(uint64_t decoded) : decoded_(decoded) {}
  Status on_chunk_begin(std::string_view sig, uint64_t size) override {
    if (in_chunk_ || ended_ || (sig.size() != 0 && sig.size() != 64)) abort();
    in_chunk_ = true;
    left_ = size;
    return Status::Ok();
  }
  void on_chunk_data(std::span<const char> data) override {
    if (!in_chunk_ || data.size() > left_ || data.empty()) abort();
    left_ -= data.size();
    seen_ += data.size();
    if (seen_ > decoded_) abort();
  }
  Status on_chunk_end() override {
    if (!in_chunk_ || left_ != 0) abort();
    in_chunk_ = false;
    return Status::Ok();
  }
  Status on_trailer(std::string_view name, std::string_view) override {
    if (in_chunk_ || ended_ || name.empty()) abort();
    return Status::Ok();
  }
  Status on_trailers_end(std::string_view sig) override {
    if (in_chunk_ || ended_ || seen_ != decoded_ || (sig.size() != 0 && sig.size() != 64)) {
      abort();
    }
    ended_ = true;
    return Status::Ok();
  }
  bool ended() const { return ended_; }
  uint64_t seen() const { return seen_; }

 private:
  uint64_t decoded_;
  uint64_t left_ = 0;
  uint64_t seen_ = 0;
  bool in_chunk_ = false;
  bool ended_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  size_t piece = (data[0] & 0x1f) + 1;
  uint64_t decoded = data[1] | (uint64_t{data[2]} << 8);
  std::string_view wire(reinterpret_cast<const char*>(data + 3), size - 3);
  MemoryTransport transport(wire, piece);
  char buffer[64];
  ConnectionInput input(buffer, {}, transport);
  ContentLengthBody entity(input, wire.size());
  CheckingObserver observer(decoded);
  AwsChunkedBody body(entity, observer, decoded);
  char out[61];
  uint64_t total = 0;
  size_t step = (data[0] >> 5) * 8 + 1;
  for (;;) {
    Result<size_t> n = body.read(std::span<char>(out, step));
    if (!n) {
      if (body.read(std::span<char>(out, step)).has_value()) abort();  // errors are final
      return 0;
    }
    total += *n;
    if (*n == 0) break;
  }
  if (!observer.ended() || total != decoded || observer.seen() != decoded) abort();
  if (entity.remaining() != 0) abort();
  return 0;
}
