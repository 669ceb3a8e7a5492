// StorageApi's default non-blocking attempts: a drive that cannot answer from memory (a
// remote drive, a decorator that cannot tell) always says kWouldBlock, and the caller makes
// the blocking call on the I/O pool instead.
#include "flashstor/storage/storage_api.h"

namespace flashstor::storage {

Result<SharedBytes> StorageApi::read_all_cached(std::string_view, std::string_view,
                                                std::string_view) {
  return Err(Code::kWouldBlock, "no non-blocking read on this drive");
}

Result<std::unique_ptr<FileReader>> StorageApi::open_file_cached(std::string_view, std::string_view,
                                                                 std::string_view) {
  return Err(Code::kWouldBlock, "no non-blocking open on this drive");
}

Result<size_t> FileReader::read_at_cached(std::span<uint8_t>, uint64_t) {
  return Err(Code::kWouldBlock, "no non-blocking read on this file");
}

}  // namespace flashstor::storage
