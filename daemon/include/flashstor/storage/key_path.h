// Object key <-> relative directory path on a drive. Each '/'-separated component is kept as
// is unless it is empty, ".", ".." or starts with '%': then it becomes "%e" + lowercase hex of
// its bytes. Internal names (metadata, data dirs) start with '%' but never "%e".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "flashstor/common/status.h"

namespace flashstor::storage {

inline constexpr size_t kMaxKeyBytes = 1024;
// Linux NAME_MAX. MinIO also rejects object key segments longer than 255 bytes. A component
// that needs escaping doubles in size, so such components are limited to 126 bytes.
inline constexpr size_t kMaxComponentBytes = 255;
inline constexpr std::string_view kEscapePrefix = "%e";

// Checks a user object key: 1..kMaxKeyBytes bytes (kKeyTooLong), no NUL
// (kInvalidObjectName), every encoded component <= kMaxComponentBytes (kKeyTooLong).
Status ValidateObjectKey(std::string_view key);

// Relative path for key ("" -> ""), components joined by '/'. Same errors as
// ValidateObjectKey except that the empty key is allowed. Never starts with '/', and no
// component is "", "." or "..", so the result always stays below the volume directory.
Result<std::string> KeyToPath(std::string_view key);

// Encodes one key component (no '/').
std::string EncodeComponent(std::string_view component);

// Decodes one on-disk name back to the key component; nullopt for internal names and
// malformed escapes.
std::optional<std::string> DecodeComponent(std::string_view name);

// True for names the walk must skip: start with '%' but not with kEscapePrefix.
bool IsInternalName(std::string_view name);

// Inverse of KeyToPath; nullopt when a component is internal or malformed.
std::optional<std::string> PathToKey(std::string_view path);

}  // namespace flashstor::storage
