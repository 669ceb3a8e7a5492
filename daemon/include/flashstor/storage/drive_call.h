// DriveCall: the kinds of call a drive answers (StorageApi methods plus the FileWriter,
// FileReader and Walker calls), shared by the fault injector and the health tracker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace flashstor::storage {

enum class DriveCall : uint8_t {
  kDiskInfo,
  kMakeVolume,
  kListVolumes,
  kStatVolume,
  kDeleteVolume,
  kReadAll,
  kWriteAll,
  kCreateFile,
  kWrite,  // FileWriter::write
  kClose,  // FileWriter::close
  kOpenFile,
  kReadAt,  // FileReader::read_at
  kRename,
  kLinkFiles,
  kDeletePath,
  kStat,
  kListDir,
  kWalk,
  kWalkNext,  // Walker::next
  kTrashDataDir,
  kCollectTrash,
  kCommitVersion,
  kFinishCommit,
  kUndoCommit,
  kDeleteKey,
  kCount,
};

inline constexpr size_t kDriveCallCount = static_cast<size_t>(DriveCall::kCount);

// Lower-case names for metrics labels and logs ("read_all", "write", ...).
std::string_view DriveCallName(DriveCall call);

// Calls that move file data or fsync (held to the data deadline); the rest are metadata
// calls (held to the shorter metadata deadline).
constexpr bool IsDataCall(DriveCall call) {
  switch (call) {
    case DriveCall::kWriteAll:
    case DriveCall::kCreateFile:
    case DriveCall::kWrite:
    case DriveCall::kClose:
    case DriveCall::kReadAt:
    case DriveCall::kRename:
    case DriveCall::kLinkFiles:
    case DriveCall::kDeletePath:
    case DriveCall::kDeleteVolume:
    case DriveCall::kMakeVolume:
    case DriveCall::kWalkNext:
    case DriveCall::kTrashDataDir:
    case DriveCall::kCollectTrash:
    case DriveCall::kCommitVersion:
    case DriveCall::kFinishCommit:
    case DriveCall::kUndoCommit:
    case DriveCall::kDeleteKey:
      return true;
    default:
      return false;
  }
}

}  // namespace flashstor::storage
