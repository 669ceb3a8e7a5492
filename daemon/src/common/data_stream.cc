// ReadFull: the one loop every block-oriented consumer of a DataSource needs.
#include "flashstor/common/data_stream.h"

namespace flashstor {

Result<size_t> ReadFull(DataSource& src, std::span<char> out) {
  size_t done = 0;
  while (done < out.size()) {
    Result<size_t> n = src.read(out.subspan(done));
    if (!n) return std::unexpected(n.error());
    if (*n == 0) break;
    done += *n;
  }
  return done;
}

}  // namespace flashstor
