// Where the packages of an encrypted object lie: its parts in order, each stored as
// CipherSize(plaintext size) bytes back to back, and the package a plaintext offset falls in.
// Pure arithmetic: readers use it to map a range to the stored bytes they must decrypt.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "flashstor/common/status.h"

namespace flashstor::s3::sse {

// One part of an encrypted object: its number (the package nonce's part) and plaintext size.
struct PartPlain {
  uint32_t number = 1;
  uint64_t plain = 0;
};

// One package of an encrypted object.
struct PackageRef {
  size_t part_index = 0;       // into the layout's parts
  uint32_t part_number = 1;    // the nonce's part number
  uint64_t seq = 0;            // from 0 in each part
  bool final = false;          // the last package of its part
  uint64_t plain_offset = 0;   // of its first plaintext byte in the object
  uint64_t plain_len = 0;      // <= kPackagePlain (0 only for an empty part's package)
  uint64_t stored_offset = 0;  // of its first stored byte in the object
  uint64_t stored_len() const;
};

class PackageLayout {
 public:
  // kCorrupt when the parts' stored sizes do not add up to stored_size, or parts is empty.
  static Result<PackageLayout> Make(std::vector<PartPlain> parts, uint64_t stored_size);
  // One part of `plain` bytes (a single PUT's object, or one part read on its own).
  static PackageLayout SinglePart(uint32_t number, uint64_t plain);

  uint64_t plain_size() const { return plain_size_; }
  // The package holding plaintext byte `offset` (offset < plain_size()).
  PackageRef locate(uint64_t offset) const;
  // The package stored right after `p`, across part boundaries (an empty part's package
  // included); false after the object's last package.
  bool next(const PackageRef& p, PackageRef& out) const;
  // The stored bytes [offset, offset + length) holding plaintext [begin, end) (begin < end
  // <= plain_size()): whole packages from begin's to end - 1's.
  std::pair<uint64_t, uint64_t> stored_range(uint64_t begin, uint64_t end) const;

 private:
  PackageRef at(size_t part_index, uint64_t seq) const;

  std::vector<PartPlain> parts_;
  std::vector<uint64_t> plain_starts_, stored_starts_;
  uint64_t plain_size_ = 0;
};

}  // namespace flashstor::s3::sse
