// Erasure set layout (MinIO's rule): drives split into equal sets of 2..16, the largest size
// that divides the drive count; one drive is a set of one. Default parity by set size.
#pragma once

#include <string_view>

#include "flashstor/common/status.h"

namespace flashstor::object {

inline constexpr int kMaxSetSize = 16;

struct SetLayout {
  int set_count = 1;
  int set_size = 1;
};

// kInvalidArgument when no size in 2..16 divides drive_count (e.g. 17) or drive_count < 1.
Result<SetLayout> ComputeSetLayout(int drive_count);

// 1 drive: 0; 2-3: 1; 4-5: 2; 6-7: 3; 8-16: 4.
int DefaultParity(int set_size);

// Parity for a new object: REDUCED_REDUNDANCY uses max(1, parity / 2) on sets of >= 4
// drives; every other class uses parity.
int ParityForClass(std::string_view storage_class, int set_size, int parity);

// Write quorum of an object with k data and m parity shards: k, or k + 1 when k == m (so two
// disjoint halves can never both commit).
inline int WriteQuorum(int k, int m) {
  return k == m ? k + 1 : k;
}

// Set index for a key: crc32_gzip_refl(0, key) % set_count.
int SetForKey(std::string_view key, int set_count);

}  // namespace flashstor::object
