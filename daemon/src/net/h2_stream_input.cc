// StreamInput: a segmented ring buffer over arena blocks.
#include "h2_stream_input.h"

#include <algorithm>
#include <cstring>

namespace flashstor::net {

StreamInput::StreamInput(mem::Arena& arena, size_t capacity) : arena_(arena) {
  size_t segments = std::clamp<size_t>((capacity + kSegment - 1) / kSegment, 1, kMaxSegments);
  capacity_ = segments * kSegment;
}

char* StreamInput::segment(size_t pos) {
  char*& s = segments_[pos / kSegment];
  if (s == nullptr) s = static_cast<char*>(arena_.allocate_scoped(kSegment, 16));
  return s;
}

bool StreamInput::push(std::span<const char> data) {
  if (data.size() > capacity_ - size_) return false;
  size_t pos = (head_ + size_) % capacity_;
  size_t done = 0;
  while (done < data.size()) {
    char* seg = segment(pos);
    if (seg == nullptr) return false;
    const size_t off = pos % kSegment;
    const size_t n = std::min(data.size() - done, kSegment - off);
    std::memcpy(seg + off, data.data() + done, n);
    done += n;
    pos = (pos + n) % capacity_;
  }
  size_ += data.size();
  return true;
}

size_t StreamInput::pop(std::span<char> out) {
  const size_t want = std::min(out.size(), size_);
  size_t done = 0;
  while (done < want) {
    const size_t off = head_ % kSegment;
    const size_t n = std::min(want - done, kSegment - off);
    std::memcpy(out.data() + done, segments_[head_ / kSegment] + off, n);
    done += n;
    head_ = (head_ + n) % capacity_;
  }
  size_ -= want;
  if (size_ == 0) head_ = 0;  // restart at the segments already touched
  return want;
}

size_t StreamInput::clear() {
  const size_t n = size_;
  size_ = 0;
  head_ = 0;
  return n;
}

}  // namespace flashstor::net
