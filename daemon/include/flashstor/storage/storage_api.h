// StorageApi: the per-drive interface (MinIO's StorageAPI, the seed's "vtable"). LocalDisk
// implements it on a directory; a RemoteDisk will implement it over HTTP to a peer.
//
// Design
// - Blocking, Status-returning calls, made only from worker threads (never an event loop).
//   Implementations are thread-safe. No raw fds or pointers to drive state cross the
//   interface: files are handled through FileWriter / FileReader objects.
// - Addressing is (volume, key, file). volume is a bucket or the system volume kSysVolume;
//   key is a user object key ("" = the volume root), escaped on disk by KeyToPath (key_path.h);
//   file is an internal relative name inside the key's directory ("%m.bin",
//   "%d.<uuid>/part.1", "" = the key directory itself). Internal names start with '%' (but
//   never "%e", the escape prefix) so they cannot collide with a key component.
// - Durability: write_all is atomic (temp file in kSysVolume/tmp + fsync + rename + fsync of
//   the parent), except for an object's %m.bin: LocalDisk logs those writes and removals in
//   the drive's metadata journal, syncs the log (shared with concurrent commits), then applies
//   the change without fsyncs, in place when it can (docs/design.md, "The metadata journal").
//   FileWriter::close fsyncs the file and its directory. rename fsyncs the
//   destination's parent (and the source's, unless it is under tmp/). Newly created
//   directories are fsynced into their parents. Under tmp/ (IsTemporary) only file contents
//   are fsynced, never directories: tmp/ is emptied whenever the drive is opened, and what
//   leaves it does so by a rename whose destination directory is then fsynced, which on a
//   journaling file system (ext4, XFS) commits the earlier creations in tmp/ with it, and on
//   btrfs the file fsync already logged the file's name. docs/design.md lists every fsync.
// - Metadata files (%m.bin, object/meta_codec.h) are a fixed preamble, records and a binary
//   payload (inline shard data). The preamble holds the records' length (kMetaPreambleSize,
//   kMetaRecordsLenOffset), so walk() reads and returns the preamble and the records only.
//   A previous release wrote %m.json instead (a JSON header, then a NUL and the inline
//   data): walk() falls back to it where no %m.bin exists and returns its JSON header.
// - Errors: kDiskNotFound (the drive's root vanished or was replaced), kVolumeNotFound,
//   kFileNotFound, kVolumeExists, kVolumeNotEmpty, kDiskFull, kPermissionDenied, kFaultyDisk,
//   kKeyTooLong / kInvalidObjectName (bad key), kTooLarge (read_all beyond kMaxReadAllBytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/common/status.h"
#include "flashstor/meta/meta_codec.h"
#include "flashstor/meta/version_journal.h"

namespace flashstor::storage {

// A file's bytes shared with a cache that holds them (read_all_cached): passed on without a
// copy, never changed once made.
using SharedBytes = std::shared_ptr<const std::string>;

// The system volume: format.json at its root; keys "tmp/..." (temporary files, emptied at
// start-up), "trash/<uuid>" (replaced data dirs waiting out their grace, emptied at start-up),
// "multipart/<sha256 hex>/<upload id>", "buckets" (bucket records).
inline constexpr std::string_view kSysVolume = ".flashstor.sys";
inline constexpr std::string_view kTmpKey = "tmp";
inline constexpr std::string_view kTrashKey = "trash";
inline constexpr std::string_view kMultipartKey = "multipart";
inline constexpr std::string_view kBucketsKey = "buckets";
inline constexpr std::string_view kFormatFile = "format.json";
// Whether (volume, key) lies under kSysVolume's tmp/: emptied whenever the drive is opened,
// so nothing there needs its directory entries made durable (storage_api.h, "Durability").
inline bool IsTemporary(std::string_view volume, std::string_view key) {
  return volume == kSysVolume &&
         (key == kTmpKey ||
          (key.size() > kTmpKey.size() && key.starts_with(kTmpKey) && key[kTmpKey.size()] == '/'));
}
// Inside an object's directory.
inline constexpr std::string_view kMetaFile = "%m.bin";
inline constexpr std::string_view kLegacyMetaFile = "%m.json";  // read only, then replaced
using object::kMetaPreambleSize;                                // meta/meta_codec.h
using object::kMetaRecordsLenOffset;
inline constexpr std::string_view kDataDirPrefix = "%d.";
// Upper bound of one read_all (metadata with inline data and up to 10,000 parts).
inline constexpr size_t kMaxReadAllBytes = 32u << 20;

struct DiskInfo {
  std::string endpoint;
  uint64_t total_bytes = 0;
  uint64_t free_bytes = 0;
  uint64_t total_inodes = 0;
  uint64_t free_inodes = 0;
};

struct VolumeInfo {
  std::string name;
  int64_t created_ns = 0;  // directory ctime (CLOCK_REALTIME)
};

struct FileStat {
  uint64_t size = 0;
  int64_t mod_time_ns = 0;
  bool is_dir = false;
};

// Streaming writer of one new file. Not thread-safe (one owner).
class FileWriter {
 public:
  // Destroying a writer without a successful close() removes the partial file.
  virtual ~FileWriter() = default;
  // Appends all of data or fails.
  virtual Status write(std::span<const uint8_t> data) = 0;
  // Appends buf's bytes after its first `room` (write(buf.subspan(room))), and may overwrite
  // those room bytes: a direct writer puts the bytes it carries from the last call there and
  // writes from buf's start, without a staging copy, when the room is exactly what it carries
  // (storage/shard_file_writer.h). The erasure engine gives each block's shards the room their
  // place in the file needs (ShardWriters::lead).
  virtual Status write_in_place(std::span<uint8_t> buf, size_t room) {
    return write(buf.subspan(room));
  }
  // fsync of the file and its directory, then close. The file is durable after Ok.
  virtual Status close() = 0;
};

// Positional reader of one file. read_at is thread-safe.
class FileReader {
 public:
  virtual ~FileReader() = default;
  virtual uint64_t size() const = 0;
  // Reads up to out.size() bytes at offset; fewer only at end of file.
  virtual Result<size_t> read_at(std::span<uint8_t> out, uint64_t offset) = 0;
  // read_at from the page cache only, else kWouldBlock (see StorageApi::read_all_cached).
  virtual Result<size_t> read_at_cached(std::span<uint8_t> out, uint64_t offset);
};

struct WalkOptions {
  std::string prefix;         // only keys starting with prefix
  std::string start_after;    // only keys (and prefixes) greater than this, byte order
  bool recursive = true;      // false: delimiter "/": return "x/" prefixes without descending
  bool read_metadata = true;  // fill WalkEntry::metadata with the metadata's records
  // Also return keys whose directory holds data dirs but no metadata (a first PUT killed
  // between moving its data in and writing its metadata), with empty metadata. For heal.
  bool include_uncommitted = false;
};

struct WalkEntry {
  std::string key;         // decoded; a prefix ends with '/'
  bool is_prefix = false;  // a common prefix (only when !recursive)
  std::string metadata;    // %m.bin's preamble and records (or a legacy %m.json's header)
};

// A sorted stream of a volume's objects. Keys come in ascending UTF-8 byte order; an object
// whose directory also holds other keys appears as "x" and (non-recursive) as prefix "x/".
// Holds one directory listing per depth level, never all keys. Not thread-safe.
class Walker {
 public:
  virtual ~Walker() = default;
  // Fills entry and returns true, or returns false at the end. Errors are final.
  virtual Result<bool> next(WalkEntry& entry) = 0;
};

// A new version of a key committed on one drive (StorageApi::commit_version): plain values,
// so a remote drive carries them to its node unchanged.
struct VersionCommit {
  std::string volume, key;
  // The new version's data dir, moved in as "%d.<data_dir>" from (src_volume, src_key,
  // src_dir); an empty src_dir moves nothing (inline data, a delete marker, an update).
  std::string src_volume, src_key, src_dir;
  std::string data_dir;
  // The new version as this drive stores it (its shard index, its inline shard); none: the
  // commit only drops versions (a version deleted for good).
  std::optional<object::ObjectMeta> version;
  // The versions that stay behind the new one; the drive drops its other ones.
  std::vector<object::VersionKey> keep;
  // An in-place update: version replaces, at its place in the list, the record `replaces`
  // names; every other version stays and no data dir moves or goes.
  bool in_place = false;
  object::VersionKey replaces;
  // The set's drive count and write quorum: they decide whether the drive keeps what it drops
  // behind the new version until finish_commit (object::MustKeep, MustKeepReplaced).
  int drive_count = 0;
  int write_quorum = 0;
};

// What a drive's commit_version did, for finish_commit or undo_commit.
struct CommitReceipt {
  std::string previous;          // the drive's metadata file before; empty: it had none
  bool previous_legacy = false;  // previous was a legacy %m.json
  bool fallback = false;         // the new file keeps dropped records behind the new version
  bool needs_finish = false;     // finish_commit has work: fallback, legacy file, data dirs
};

class StorageApi {
 public:
  virtual ~StorageApi() = default;

  // The drive's path or URL, for logs.
  virtual const std::string& endpoint() const = 0;
  // Capacity; kDiskNotFound when the drive is gone. Also the cheap health probe.
  virtual Result<DiskInfo> disk_info() = 0;

  // Volumes (buckets and kSysVolume). Names: 1..255 bytes, no '/', not "." or "..".
  virtual Status make_volume(std::string_view volume) = 0;  // kVolumeExists
  virtual Result<std::vector<VolumeInfo>> list_volumes() = 0;
  virtual Result<VolumeInfo> stat_volume(std::string_view volume) = 0;  // kVolumeNotFound
  // kVolumeNotEmpty when it holds anything, unless force (then removed recursively).
  virtual Status delete_volume(std::string_view volume, bool force) = 0;

  // Whole small files (metadata). read_all: kFileNotFound / kVolumeNotFound / kTooLarge.
  virtual Result<std::string> read_all(std::string_view volume, std::string_view key,
                                       std::string_view file) = 0;
  // Atomic and durable replacement of the file; creates missing parent directories.
  virtual Status write_all(std::string_view volume, std::string_view key, std::string_view file,
                           std::string_view data) = 0;

  // Shard files. create_file creates parents and replaces an existing file.
  virtual Result<std::unique_ptr<FileWriter>> create_file(std::string_view volume,
                                                          std::string_view key,
                                                          std::string_view file) = 0;
  virtual Result<std::unique_ptr<FileReader>> open_file(std::string_view volume,
                                                        std::string_view key,
                                                        std::string_view file) = 0;

  // Non-blocking attempts, for a caller that must not wait on a device (a request task on
  // its event loop): they answer from memory only (the kernel's dentry and page caches) and
  // fail with kWouldBlock when the answer needs the device or the network; the caller then
  // makes the blocking call on the I/O pool. The defaults always say kWouldBlock, which is
  // the right answer for a remote drive and for a decorator that cannot tell.
  // read_all_cached answers with the bytes a drive's cache holds, shared, not copied.
  virtual Result<SharedBytes> read_all_cached(std::string_view volume, std::string_view key,
                                              std::string_view file);
  virtual Result<std::unique_ptr<FileReader>> open_file_cached(std::string_view volume,
                                                               std::string_view key,
                                                               std::string_view file);

  // Renames a file or directory (commits a temp data dir into an object's directory).
  // Creates the destination's parents; replaces a destination file or empty directory;
  // kVolumeNotEmpty for a non-empty destination directory. Durable on Ok.
  virtual Status rename(std::string_view src_volume, std::string_view src_key,
                        std::string_view src_file, std::string_view dst_volume,
                        std::string_view dst_key, std::string_view dst_file) = 0;

  // Hard-links the named files of directory src_dir into directory dst_dir (created with its
  // parents), then fsyncs dst_dir once: no data is copied and the source stays intact (a
  // multipart complete stages its parts this way, so a crash never loses the upload).
  // kFileNotFound when a source file is missing.
  virtual Status link_files(std::string_view src_volume, std::string_view src_key,
                            std::string_view src_dir, std::string_view dst_volume,
                            std::string_view dst_key, std::string_view dst_dir,
                            std::span<const std::string> names) = 0;

  // Removes a file, or a directory (recursively when recursive, else only if empty), then
  // removes the now empty parent directories up to the volume (kSysVolume's top-level
  // directories are kept). Missing: kFileNotFound.
  virtual Status delete_path(std::string_view volume, std::string_view key, std::string_view file,
                             bool recursive) = 0;

  virtual Result<FileStat> stat(std::string_view volume, std::string_view key,
                                std::string_view file) = 0;

  // Data dir garbage collection (docs/concurrency.md, "A GET releases its read lock"). Moves the
  // key's data dir "%d.<data_dir>" into the drive's trash in one rename, stamped with the
  // time of the move, and prunes the key's directories left empty. Until collect_trash
  // removes it, open_file(volume, key, "%d.<data_dir>/<file>") keeps finding its files (a
  // GET that resolved the replaced version reads it to its end). Not durable: after a crash
  // the dir is either still in the key's directory (heal removes data dirs no metadata
  // names) or in the trash (collected whatever its age once the drive is opened again).
  // kFileNotFound when absent.
  virtual Status trash_data_dir(std::string_view volume, std::string_view key,
                                std::string_view data_dir) = 0;
  // Removes at most max_entries trash entries moved there before older_than_ns
  // (CLOCK_REALTIME), or before the drive was opened; returns how many it removed. Younger
  // entries stay.
  virtual Result<size_t> collect_trash(int64_t older_than_ns, size_t max_entries) = 0;

  // Version-level calls (MinIO's RenameData): a commit is one call per drive, whatever the
  // drive is. commit_version moves the data dir in and replaces the metadata file with the
  // journal's new list (meta/version_journal.h) in one call, durably; on a failure it moves
  // the data dir back. Once the commit is on a write quorum finish_commit drops the
  // fallback records, a legacy file and the freed data dirs (to the trash; a plaintext one an
  // encrypted version replaced is deleted); when it is not, undo_commit puts the data dir and
  // the previous file back. The defaults apply them with this drive's own calls
  // (version_commit.cc); a remote drive sends the values to its node, which runs them there.
  virtual Result<CommitReceipt> commit_version(const VersionCommit& commit);
  virtual Status finish_commit(const VersionCommit& commit, const CommitReceipt& receipt);
  virtual Status undo_commit(const VersionCommit& commit, const CommitReceipt& receipt);

  // Removes a key from this drive, all its versions (a DeleteObject of an unversioned key,
  // the last version removed for good, heal purging a key no quorum holds), as one call: the
  // metadata first (a legacy %m.json before %m.bin, so no older version can show through in
  // between), so the key is gone from this drive once that is done; then every data dir in
  // the key's directory to the trash (as trash_data_dir: a GET that resolved a version
  // reads on from there), not only those the metadata named, since a commit or delete
  // killed half-way leaves dirs no metadata names. The caller holds the key's write lock, so
  // no commit is in flight. Returns whether the drive held metadata for the key; a data dir
  // that could not be moved is left to heal. The default uses this drive's own calls
  // (key_delete.cc); a remote drive sends (volume, key) to its node.
  virtual Result<bool> delete_key(std::string_view volume, std::string_view key);

  // Raw on-disk names in a directory (unsorted; directories end with '/'), at most limit.
  virtual Result<std::vector<std::string>> list_dir(std::string_view volume, std::string_view key,
                                                    std::string_view file, size_t limit) = 0;

  // Sorted streaming walk of a volume's objects (see Walker). kVolumeNotFound.
  virtual Result<std::unique_ptr<Walker>> walk(std::string_view volume,
                                               const WalkOptions& options) = 0;

 protected:
  // commit_version's writes: the data dir moved in (when commit.src_dir is set), then the new
  // metadata file, durably; on a failure the data dir is moved back. The default makes them
  // with rename and write_all; LocalDisk with one fsync of the object's directory for both.
  virtual Status install_version(const VersionCommit& commit, std::string_view meta);
};

}  // namespace flashstor::storage
