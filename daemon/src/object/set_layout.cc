// Set layout, default parity and key-to-set routing (ISA-L CRC32).
#include "flashstor/object/set_layout.h"

#include <isa-l/crc.h>

#include <algorithm>

namespace flashstor::object {

Result<SetLayout> ComputeSetLayout(int drive_count) {
  if (drive_count < 1) return Err(Code::kInvalidArgument, "no drives");
  if (drive_count == 1) return SetLayout{1, 1};
  for (int size = kMaxSetSize; size >= 2; --size) {
    if (drive_count % size == 0) return SetLayout{drive_count / size, size};
  }
  return Err(Code::kInvalidArgument, "drive count not divisible into sets of 2..16");
}

int DefaultParity(int set_size) {
  if (set_size <= 1) return 0;
  if (set_size <= 3) return 1;
  if (set_size <= 5) return 2;
  if (set_size <= 7) return 3;
  return 4;
}

int ParityForClass(std::string_view storage_class, int set_size, int parity) {
  if (storage_class == "REDUCED_REDUNDANCY" && set_size >= 4) return std::max(1, parity / 2);
  return parity;
}

int SetForKey(std::string_view key, int set_count) {
  if (set_count <= 1) return 0;
  uint32_t crc = crc32_gzip_refl(0, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  return static_cast<int>(crc % static_cast<uint32_t>(set_count));
}

}  // namespace flashstor::object
