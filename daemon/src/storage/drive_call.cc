// Names of the kinds of drive call, for metrics labels and logs.
#include "flashstor/storage/drive_call.h"

#include <array>

namespace flashstor::storage {

std::string_view DriveCallName(DriveCall call) {
  static constexpr std::array<std::string_view, kDriveCallCount> kNames = {
      "disk_info",     "make_volume",    "list_volumes",  "stat_volume", "delete_volume",
      "read_all",      "write_all",      "create_file",   "write",       "close",
      "open_file",     "read_at",        "rename",        "link_files",  "delete_path",
      "stat",          "list_dir",       "walk",          "walk_next",   "trash_data_dir",
      "collect_trash", "commit_version", "finish_commit", "undo_commit", "delete_key"};
  size_t i = static_cast<size_t>(call);
  return i < kNames.size() ? kNames[i] : "unknown";
}

}  // namespace flashstor::storage
