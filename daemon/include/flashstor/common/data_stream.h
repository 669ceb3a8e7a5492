// Byte streams that connect layers: a request body flows into the object layer as a
// DataSource; an object flows out of it the same way. Pull-based, so back-pressure is free.
#pragma once

#include <cstddef>
#include <span>

#include "flashstor/common/status.h"

namespace flashstor {

class DataSource {
 public:
  virtual ~DataSource() = default;
  // Reads up to out.size() bytes. Returns the count read; 0 means end of stream. An error
  // (client gone, bad chunk signature, digest mismatch at end) is final. May block: call it
  // only from a worker thread, never from an event loop.
  virtual Result<size_t> read(std::span<char> out) = 0;
};

class DataSink {
 public:
  virtual ~DataSink() = default;
  // Writes all of data or fails. May block (back-pressure from a slow reader).
  virtual Status write(std::span<const char> data) = 0;
};

// Reads from src until out is full or the stream ends; returns bytes read.
Result<size_t> ReadFull(DataSource& src, std::span<char> out);

}  // namespace flashstor
