// StorageApi's version-level calls (commit_version, finish_commit, undo_commit) as a drive
// applies them to its own files: the metadata file is read, changed by the version journal's
// rules (meta/version_journal.h) and replaced, next to the data dir's rename. A remote drive
// sends the same plain values to its node, which runs this code against its local drive.
#include "flashstor/meta/version_journal.h"
#include "flashstor/storage/meta_file.h"

namespace flashstor::storage {
namespace {

std::string DataDir(std::string_view uuid) {
  std::string out(kDataDirPrefix);
  out.append(uuid);
  return out;
}

// The versions a drive held before a commit; a file that does not decode counts as none
// (heal rewrites it from the quorum).
object::MetaVersions Held(const CommitReceipt& r) {
  if (r.previous.empty()) return {};
  auto versions = object::DecodeMetaVersions(r.previous);
  return versions ? std::move(*versions) : object::MetaVersions{};
}

// The file the drive holds once the commit is final (no fallback records).
std::optional<object::MetaVersions> FinalFile(const VersionCommit& c,
                                              const object::MetaVersions& held) {
  const object::ObjectMeta* version = c.version ? &*c.version : nullptr;
  if (c.in_place) {
    if (version == nullptr) return std::nullopt;
    return object::ReplaceVersion(held, c.replaces, *version, false);
  }
  return object::CommitFile(version, held, c.keep, false);
}

}  // namespace

Result<MetaFile> ReadMetaFile(StorageApi& drive, std::string_view volume, std::string_view key,
                              bool cached) {
  auto read = [&](std::string_view file, bool legacy) -> Result<MetaFile> {
    if (cached) {
      auto shared = drive.read_all_cached(volume, key, file);
      if (!shared) return std::unexpected(shared.error());
      return MetaFile{{}, std::move(*shared), legacy};
    }
    auto raw = drive.read_all(volume, key, file);
    if (!raw) return std::unexpected(raw.error());
    return MetaFile{std::move(*raw), nullptr, legacy};
  };
  auto file = read(kMetaFile, false);
  if (file || file.error() != Code::kFileNotFound) return file;
  // One more failed open per drive for a key without metadata (a first PUT, a 404).
  return read(kLegacyMetaFile, true);
}

void FreeDataDirs(StorageApi& drive, std::string_view volume, std::string_view key,
                  const object::MetaVersions& held, const object::MetaVersions& file) {
  const bool encrypting = !file.empty() && file.front().actual_size.has_value();
  for (const std::string& dir : object::DataDirsNotIn(held, file)) {
    bool plaintext = false;
    for (const object::ObjectMeta& v : held) plaintext |= v.data_dir == dir && !v.actual_size;
    if (encrypting && plaintext) {
      (void)drive.delete_path(volume, key, DataDir(dir), true);
    } else {
      (void)drive.trash_data_dir(volume, key, dir);
    }
  }
}

Status StorageApi::install_version(const VersionCommit& c, std::string_view meta) {
  if (!c.src_dir.empty()) {
    FS_RETURN_IF_ERROR(
        rename(c.src_volume, c.src_key, c.src_dir, c.volume, c.key, DataDir(c.data_dir)));
  }
  Status wrote = write_all(c.volume, c.key, kMetaFile, meta);
  if (!wrote.ok() && !c.src_dir.empty()) {
    (void)rename(c.volume, c.key, DataDir(c.data_dir), c.src_volume, c.src_key, c.src_dir);
  }
  return wrote;
}

Result<CommitReceipt> StorageApi::commit_version(const VersionCommit& c) {
  if (c.in_place && !c.version)
    return Err(Code::kInvalidArgument, "in-place commit without a version");
  CommitReceipt receipt;
  auto prev = ReadMetaFile(*this, c.volume, c.key);
  if (!prev && prev.error() != Code::kFileNotFound) return std::unexpected(prev.error());
  if (prev) {
    receipt.previous = std::move(prev->raw);
    receipt.previous_legacy = prev->legacy;
  }
  const object::MetaVersions held = Held(receipt);
  const size_t drives = static_cast<size_t>(std::max(c.drive_count, 0));
  object::MetaVersions file;
  if (c.in_place) {
    receipt.fallback = object::MustKeepReplaced(*c.version, drives, c.write_quorum);
    auto replaced = object::ReplaceVersion(held, c.replaces, *c.version, receipt.fallback);
    if (!replaced) return Err(Code::kFileNotFound, "the drive lost the version");
    file = std::move(*replaced);
  } else {
    receipt.fallback = object::MustKeep(held, c.keep, drives, c.write_quorum);
    file = object::CommitFile(c.version ? &*c.version : nullptr, held, c.keep, receipt.fallback);
  }
  if (Status installed = install_version(c, object::EncodeMetaVersions(file)); !installed.ok()) {
    return std::unexpected(installed);
  }
  // What finish_commit will have to do: drop the fallback records, a legacy file, data dirs
  // no version names any more (with no fallback the new file is the final one).
  receipt.needs_finish =
      receipt.fallback ||
      (!c.in_place && (receipt.previous_legacy || !object::DataDirsNotIn(held, file).empty()));
  return receipt;
}

Status StorageApi::finish_commit(const VersionCommit& c, const CommitReceipt& r) {
  if (!r.needs_finish) return Status::Ok();
  const object::MetaVersions held = Held(r);
  auto file = FinalFile(c, held);
  if (!file) return Status(Code::kFileNotFound, "the drive lost the version");
  if (r.fallback) {
    // Else the fallback records stay until heal drops them.
    FS_RETURN_IF_ERROR(write_all(c.volume, c.key, kMetaFile, object::EncodeMetaVersions(*file)));
  }
  if (c.in_place) return Status::Ok();  // no data dir moves or goes
  if (r.previous_legacy) (void)delete_path(c.volume, c.key, kLegacyMetaFile, false);
  FreeDataDirs(*this, c.volume, c.key, held, *file);
  return Status::Ok();
}

Status StorageApi::undo_commit(const VersionCommit& c, const CommitReceipt& r) {
  // The data dir back to where it came from (its caller removes it there), then the previous
  // file; delete_path prunes the key's directories a first version left empty.
  Status back = Status::Ok();
  if (!c.src_dir.empty()) {
    back = rename(c.volume, c.key, DataDir(c.data_dir), c.src_volume, c.src_key, c.src_dir);
  }
  Status restored = !r.previous.empty() && !r.previous_legacy
                        ? write_all(c.volume, c.key, kMetaFile, r.previous)
                        // A legacy %m.json, left untouched, is the drive's file again.
                        : delete_path(c.volume, c.key, kMetaFile, false);
  if (restored == Code::kFileNotFound) restored = Status::Ok();
  if (back == Code::kFileNotFound) back = Status::Ok();
  return !restored.ok() ? restored : back;
}

}  // namespace flashstor::storage
