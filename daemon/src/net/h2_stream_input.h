// StreamInput: the request body bytes of one HTTP/2 stream that arrived in DATA frames and
// the handler has not read yet. A ring of fixed capacity (the stream's flow-control window)
// whose 64 KiB segments come lazily from the stream's arena, so a small body touches one.
#pragma once

#include <cstddef>
#include <span>

#include "flashstor/mem/arena.h"

namespace flashstor::net {

class StreamInput {
 public:
  static constexpr size_t kSegment = mem::Arena::kBlockSize;
  static constexpr size_t kMaxSegments = 16;

  // capacity: rounded up to whole segments, at most kMaxSegments of them. Segments are taken
  // from arena when first written, and live as long as its blocks do.
  StreamInput(mem::Arena& arena, size_t capacity);

  // Appends all of data, or nothing: false when it does not fit (the peer sent more than the
  // window allowed) or the arena is out of memory.
  bool push(std::span<const char> data);
  // Moves up to out.size() bytes out; returns how many.
  size_t pop(std::span<char> out);
  // Forgets every buffered byte; returns how many there were.
  size_t clear();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return capacity_; }

 private:
  char* segment(size_t pos);

  mem::Arena& arena_;
  size_t capacity_;
  size_t head_ = 0;  // position of the first buffered byte, in [0, capacity_)
  size_t size_ = 0;
  char* segments_[kMaxSegments] = {};
};

}  // namespace flashstor::net
