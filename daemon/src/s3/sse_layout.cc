// PackageLayout: prefix sums of the parts' plaintext and stored sizes, and the package a
// plaintext offset falls in (empty parts hold one empty package and no plaintext offset).
#include "flashstor/s3/sse_layout.h"

#include <algorithm>

#include "flashstor/s3/sse_package.h"

namespace flashstor::s3::sse {

uint64_t PackageRef::stored_len() const {
  return plain_len + kTagBytes;
}

Result<PackageLayout> PackageLayout::Make(std::vector<PartPlain> parts, uint64_t stored_size) {
  if (parts.empty()) return Err(Code::kCorrupt, "encrypted object without parts");
  PackageLayout l;
  uint64_t plain = 0, stored = 0;
  for (const PartPlain& p : parts) {
    l.plain_starts_.push_back(plain);
    l.stored_starts_.push_back(stored);
    plain += p.plain;
    stored += CipherSize(p.plain);
  }
  if (stored != stored_size) {
    return Err(Code::kCorrupt, "encrypted object's stored size does not match its parts");
  }
  l.parts_ = std::move(parts);
  l.plain_size_ = plain;
  return l;
}

PackageLayout PackageLayout::SinglePart(uint32_t number, uint64_t plain) {
  PackageLayout l;
  l.parts_.push_back({number, plain});
  l.plain_starts_.push_back(0);
  l.stored_starts_.push_back(0);
  l.plain_size_ = plain;
  return l;
}

PackageRef PackageLayout::at(size_t part_index, uint64_t seq) const {
  const PartPlain& part = parts_[part_index];
  PackageRef r;
  r.part_index = part_index;
  r.part_number = part.number;
  r.seq = seq;
  r.final = seq + 1 == PackageCount(part.plain);
  r.plain_offset = plain_starts_[part_index] + seq * kPackagePlain;
  r.plain_len = std::min<uint64_t>(kPackagePlain, part.plain - seq * kPackagePlain);
  r.stored_offset = stored_starts_[part_index] + seq * kPackageCipher;
  return r;
}

PackageRef PackageLayout::locate(uint64_t offset) const {
  // The last part starting at or before offset: parts before it that start at the same
  // offset are empty and hold no byte.
  auto it = std::upper_bound(plain_starts_.begin(), plain_starts_.end(), offset);
  const size_t index = static_cast<size_t>(it - plain_starts_.begin()) - 1;
  return at(index, (offset - plain_starts_[index]) / kPackagePlain);
}

bool PackageLayout::next(const PackageRef& p, PackageRef& out) const {
  if (!p.final) {
    out = at(p.part_index, p.seq + 1);
    return true;
  }
  if (p.part_index + 1 >= parts_.size()) return false;
  out = at(p.part_index + 1, 0);
  return true;
}

std::pair<uint64_t, uint64_t> PackageLayout::stored_range(uint64_t begin, uint64_t end) const {
  const PackageRef first = locate(begin);
  const PackageRef last = locate(end - 1);
  return {first.stored_offset, last.stored_offset + last.stored_len() - first.stored_offset};
}

}  // namespace flashstor::s3::sse
