// format.json codec (cJSON) and the start-up placement of drives by their format records.
#include "flashstor/storage/format.h"

#include <cjson/cJSON.h>

#include <map>

#include "flashstor/storage/uuid.h"

namespace flashstor::storage {
namespace {

struct JsonDeleter {
  void operator()(cJSON* j) const { cJSON_Delete(j); }
};
using JsonPtr = std::unique_ptr<cJSON, JsonDeleter>;

const char* GetString(const cJSON* obj, const char* name) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, name);
  return cJSON_IsString(item) ? item->valuestring : nullptr;
}

enum class DriveState { kOffline, kUnformatted, kFormatted };

struct DriveFormat {
  DriveState state = DriveState::kOffline;
  FormatInfo format;
};

std::string LayoutKey(const FormatInfo& f) {
  std::string key = f.deployment_id;
  for (const auto& set : f.sets) {
    key.push_back('|');
    for (const auto& id : set) key.append(id).push_back(',');
  }
  return key;
}

std::string Fail(std::string* detail, std::string text) {
  if (detail != nullptr) *detail = text;
  return text;
}

DriveFormat ReadFormat(StorageApi* drive) {
  DriveFormat out;
  if (drive == nullptr) return out;
  Result<std::string> raw = drive->read_all(kSysVolume, "", kFormatFile);
  if (!raw) {
    Code c = raw.error().code();
    if (c == Code::kFileNotFound || c == Code::kVolumeNotFound) {
      out.state = DriveState::kUnformatted;
    }
    return out;
  }
  Result<FormatInfo> f = DecodeFormat(*raw);
  // A corrupt record is treated like a wiped drive: heal refills it from the others.
  out.state = f ? DriveState::kFormatted : DriveState::kUnformatted;
  if (f) out.format = std::move(*f);
  return out;
}

Status WriteFormat(StorageApi& drive, const FormatInfo& reference, const std::string& id) {
  FormatInfo f = reference;
  f.drive_id = id;
  Status s = drive.make_volume(kSysVolume);
  if (!s.ok() && s != Code::kVolumeExists) return s;
  return drive.write_all(kSysVolume, "", kFormatFile, EncodeFormat(f));
}

Result<FormattedDrives> FreshFormat(const std::vector<std::shared_ptr<StorageApi>>& drives,
                                    const FormatLayout& layout, std::string* detail) {
  FormattedDrives out;
  out.fresh = true;
  out.reference.deployment_id = NewUuid();
  out.reference.parity = layout.parity;
  out.reference.sets.resize(static_cast<size_t>(layout.set_count));
  for (size_t i = 0; i < drives.size(); ++i) {
    out.reference.sets[i / static_cast<size_t>(layout.set_size)].push_back(NewUuid());
  }
  for (size_t i = 0; i < drives.size(); ++i) {
    if (drives[i] == nullptr) {
      Fail(detail, "drive #" + std::to_string(i + 1) +
                       " is offline at first start: every drive must be online to format");
      return Err(Code::kUnformattedDisk, "first start needs every drive online");
    }
    const std::string& id = out.reference.sets[i / static_cast<size_t>(layout.set_size)]
                                              [i % static_cast<size_t>(layout.set_size)];
    if (Status s = WriteFormat(*drives[i], out.reference, id); !s.ok()) {
      Fail(detail, "cannot write format.json on drive " + drives[i]->endpoint());
      return std::unexpected(s);
    }
  }
  out.slots = drives;
  return out;
}

}  // namespace

std::string EncodeFormat(const FormatInfo& format) {
  JsonPtr root(cJSON_CreateObject());
  cJSON_AddNumberToObject(root.get(), "version", format.version);
  cJSON_AddStringToObject(root.get(), "format", "erasure");
  cJSON_AddStringToObject(root.get(), "deployment_id", format.deployment_id.c_str());
  cJSON_AddStringToObject(root.get(), "this", format.drive_id.c_str());
  cJSON_AddNumberToObject(root.get(), "parity", format.parity);
  cJSON* sets = cJSON_AddArrayToObject(root.get(), "sets");
  for (const auto& set : format.sets) {
    cJSON* ids = cJSON_CreateArray();
    for (const auto& id : set) cJSON_AddItemToArray(ids, cJSON_CreateString(id.c_str()));
    cJSON_AddItemToArray(sets, ids);
  }
  char* text = cJSON_PrintUnformatted(root.get());
  std::string out = text != nullptr ? text : "";
  cJSON_free(text);
  return out;
}

Result<FormatInfo> DecodeFormat(std::string_view json) {
  JsonPtr root(cJSON_ParseWithLength(json.data(), json.size()));
  if (!root || !cJSON_IsObject(root.get())) return Err(Code::kCorrupt, "format.json not JSON");
  FormatInfo f;
  const cJSON* version = cJSON_GetObjectItemCaseSensitive(root.get(), "version");
  const cJSON* parity = cJSON_GetObjectItemCaseSensitive(root.get(), "parity");
  const char* kind = GetString(root.get(), "format");
  const char* dep = GetString(root.get(), "deployment_id");
  const char* self = GetString(root.get(), "this");
  const cJSON* sets = cJSON_GetObjectItemCaseSensitive(root.get(), "sets");
  if (!cJSON_IsNumber(version) || version->valueint != kFormatVersion || kind == nullptr ||
      std::string_view(kind) != "erasure" || dep == nullptr || !IsUuid(dep) || self == nullptr ||
      !IsUuid(self) || !cJSON_IsArray(sets) || !cJSON_IsNumber(parity)) {
    return Err(Code::kCorrupt, "format.json fields malformed");
  }
  f.version = version->valueint;
  f.deployment_id = dep;
  f.drive_id = self;
  f.parity = parity->valueint;
  const cJSON* set = nullptr;
  cJSON_ArrayForEach(set, sets) {
    if (!cJSON_IsArray(set)) return Err(Code::kCorrupt, "format.json set malformed");
    auto& ids = f.sets.emplace_back();
    const cJSON* id = nullptr;
    cJSON_ArrayForEach(id, set) {
      if (!cJSON_IsString(id) || !IsUuid(id->valuestring)) {
        return Err(Code::kCorrupt, "format.json drive id malformed");
      }
      ids.emplace_back(id->valuestring);
    }
  }
  return f;
}

namespace {

// Puts every formatted drive into the slot of its id; refuses foreign, mismatched and
// duplicate drives.
Status PlaceFormatted(const std::vector<std::shared_ptr<StorageApi>>& drives,
                      const std::vector<DriveFormat>& formats, const std::string& layout_key,
                      const FormatLayout& layout, FormattedDrives& out, std::string* detail) {
  const FormatInfo& ref = out.reference;
  std::map<std::string, size_t> slot_of;
  for (size_t s = 0; s < ref.sets.size(); ++s) {
    for (size_t d = 0; d < ref.sets[s].size(); ++d) {
      slot_of[ref.sets[s][d]] = s * static_cast<size_t>(layout.set_size) + d;
    }
  }
  out.slots.assign(drives.size(), nullptr);
  for (size_t i = 0; i < drives.size(); ++i) {
    if (formats[i].state != DriveState::kFormatted) continue;
    const FormatInfo& f = formats[i].format;
    const std::string& path = drives[i]->endpoint();
    if (f.deployment_id != ref.deployment_id) {
      Fail(detail, "drive " + path + " belongs to another deployment (" + f.deployment_id +
                       "); replace it or wipe it to let it join this one");
      return Status(Code::kInvalidArgument, "foreign drive");
    }
    auto slot = slot_of.find(f.drive_id);
    if (LayoutKey(f) != layout_key || slot == slot_of.end()) {
      Fail(detail, "drive " + path +
                       " has a different set layout than the other drives; wipe it to let it "
                       "be re-formatted");
      return Status(Code::kInvalidArgument, "mismatched drive layout");
    }
    if (out.slots[slot->second] != nullptr) {
      Fail(detail, "drives " + out.slots[slot->second]->endpoint() + " and " + path +
                       " carry the same drive id; wipe one of them");
      return Status(Code::kInvalidArgument, "duplicate drive id");
    }
    out.slots[slot->second] = drives[i];
  }
  return Status::Ok();
}

// Wiped drives take the slot of their command-line position when free (drives are formatted
// in that order), else, only when no formatted drive is offline (no ambiguity), any free one.
void PlaceWiped(const std::vector<std::shared_ptr<StorageApi>>& drives,
                std::vector<DriveFormat>& formats, const FormatLayout& layout,
                FormattedDrives& out) {
  const size_t n = drives.size();
  bool any_offline = false;
  for (size_t i = 0; i < n; ++i) any_offline |= formats[i].state == DriveState::kOffline;
  for (int pass = 0; pass < 2; ++pass) {
    size_t next_free = 0;
    for (size_t i = 0; i < n; ++i) {
      if (formats[i].state != DriveState::kUnformatted) continue;
      size_t slot = i;
      if (out.slots[slot] != nullptr) {
        if (pass == 0 || any_offline) continue;
        while (next_free < n && out.slots[next_free] != nullptr) ++next_free;
        if (next_free == n) break;
        slot = next_free;
      }
      const size_t size = static_cast<size_t>(layout.set_size);
      const std::string& id = out.reference.sets[slot / size][slot % size];
      if (!WriteFormat(*drives[i], out.reference, id).ok()) continue;  // stays offline
      out.slots[slot] = drives[i];
      out.reformatted.push_back(slot);
      formats[i].state = DriveState::kFormatted;
    }
  }
}

bool LayoutMatches(const FormatInfo& ref, const FormatLayout& layout) {
  if (ref.sets.size() != static_cast<size_t>(layout.set_count)) return false;
  for (const auto& set : ref.sets) {
    if (set.size() != static_cast<size_t>(layout.set_size)) return false;
  }
  return true;
}

}  // namespace

Result<FormattedDrives> LoadFormats(const std::vector<std::shared_ptr<StorageApi>>& drives,
                                    const FormatLayout& layout, std::string* detail) {
  const size_t n = drives.size();
  if (n == 0 || static_cast<size_t>(layout.set_count) * layout.set_size != n) {
    Fail(detail, "set layout does not match the drive count");
    return Err(Code::kInvalidArgument, "bad layout");
  }
  std::vector<DriveFormat> formats(n);
  std::map<std::string, size_t> votes;
  for (size_t i = 0; i < n; ++i) {
    formats[i] = ReadFormat(drives[i].get());
    if (formats[i].state == DriveState::kFormatted) ++votes[LayoutKey(formats[i].format)];
  }
  if (votes.empty()) return FreshFormat(drives, layout, detail);
  auto best = votes.begin();
  for (auto it = votes.begin(); it != votes.end(); ++it) {
    if (it->second > best->second) best = it;
  }
  if (best->second * 2 <= n) {
    Fail(detail, "format quorum not reached: " + std::to_string(best->second) + " of " +
                     std::to_string(n) + " drives agree; bring the missing drives back online");
    return Err(Code::kUnformattedDisk, "format quorum not reached");
  }
  FormattedDrives out;
  for (size_t i = 0; i < n; ++i) {
    if (formats[i].state == DriveState::kFormatted && LayoutKey(formats[i].format) == best->first) {
      out.reference = formats[i].format;
      out.reference.drive_id.clear();
      break;
    }
  }
  if (!LayoutMatches(out.reference, layout)) {
    Fail(detail, "drive layout changed: format.json has " +
                     std::to_string(out.reference.sets.size()) +
                     " set(s) but the command line gives " + std::to_string(n) +
                     " drives; start with the original drive list");
    return Err(Code::kInvalidArgument, "drive layout changed");
  }
  if (Status s = PlaceFormatted(drives, formats, best->first, layout, out, detail); !s.ok()) {
    return std::unexpected(s);
  }
  PlaceWiped(drives, formats, layout, out);
  return out;
}

Result<bool> AdoptDrive(StorageApi& drive, const FormatInfo& reference, const std::string& drive_id,
                        std::string* detail) {
  Result<std::string> raw = drive.read_all(kSysVolume, "", kFormatFile);
  if (!raw && raw.error() != Code::kFileNotFound && raw.error() != Code::kVolumeNotFound) {
    return std::unexpected(raw.error());
  }
  Result<FormatInfo> f = raw ? DecodeFormat(*raw) : Err(Code::kCorrupt, "no format");
  if (f) {
    if (f->deployment_id != reference.deployment_id) {
      Fail(detail, "drive " + drive.endpoint() + " belongs to another deployment (" +
                       f->deployment_id + ")");
      return Err(Code::kInvalidArgument, "foreign drive");
    }
    if (f->drive_id != drive_id || LayoutKey(*f) != LayoutKey(reference)) {
      Fail(detail, "drive " + drive.endpoint() + " carries drive id " + f->drive_id +
                       " of another slot; put it back where it was");
      return Err(Code::kInvalidArgument, "drive of another slot");
    }
    return false;
  }
  // Empty (or a corrupt record, treated as wiped as at start-up): take the slot.
  FS_RETURN_IF_ERROR(WriteFormat(drive, reference, drive_id));
  return true;
}

}  // namespace flashstor::storage
