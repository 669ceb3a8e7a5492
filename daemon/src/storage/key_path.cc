// Key escaping for the on-disk layout: keeps ordinary components readable and turns the
// dangerous ones ("", ".", "..", leading '%') into "%e<hex>".
#include "flashstor/storage/key_path.h"

namespace flashstor::storage {
namespace {

constexpr char kHex[] = "0123456789abcdef";

bool NeedsEscape(std::string_view c) {
  return c.empty() || c == "." || c == ".." || c.front() == '%';
}

size_t EncodedSize(std::string_view c) {
  return NeedsEscape(c) ? kEscapePrefix.size() + 2 * c.size() : c.size();
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Calls fn(component) for every '/'-separated component of key (at least one).
template <typename Fn>
bool ForEachComponent(std::string_view key, Fn fn) {
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    std::string_view c =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!fn(c)) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

Status CheckComponents(std::string_view key) {
  if (key.size() > kMaxKeyBytes) return Status(Code::kKeyTooLong, "object key longer than 1024");
  if (key.find('\0') != std::string_view::npos) {
    return Status(Code::kInvalidObjectName, "object key contains NUL");
  }
  bool ok = ForEachComponent(
      key, [](std::string_view c) { return EncodedSize(c) <= kMaxComponentBytes; });
  if (!ok) return Status(Code::kKeyTooLong, "object key component longer than 255 bytes");
  return Status::Ok();
}

}  // namespace

Status ValidateObjectKey(std::string_view key) {
  if (key.empty()) return Status(Code::kInvalidObjectName, "empty object key");
  return CheckComponents(key);
}

std::string EncodeComponent(std::string_view component) {
  if (!NeedsEscape(component)) return std::string(component);
  std::string out(kEscapePrefix);
  out.reserve(EncodedSize(component));
  for (unsigned char b : component) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

Result<std::string> KeyToPath(std::string_view key) {
  if (key.empty()) return std::string();
  if (Status st = CheckComponents(key); !st.ok()) return std::unexpected(st);
  std::string out;
  out.reserve(key.size() + 8);
  bool first = true;
  ForEachComponent(key, [&](std::string_view c) {
    if (!first) out.push_back('/');
    first = false;
    out += EncodeComponent(c);
    return true;
  });
  return out;
}

bool IsInternalName(std::string_view name) {
  return !name.empty() && name.front() == '%' && !name.starts_with(kEscapePrefix);
}

std::optional<std::string> DecodeComponent(std::string_view name) {
  if (name.empty() || IsInternalName(name)) return std::nullopt;
  if (!name.starts_with(kEscapePrefix)) return std::string(name);
  std::string_view hex = name.substr(kEscapePrefix.size());
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexValue(hex[i]), lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  // Only escaped forms the encoder produces are valid, so every key has one path.
  if (!NeedsEscape(out)) return std::nullopt;
  return out;
}

std::optional<std::string> PathToKey(std::string_view path) {
  if (path.empty()) return std::string();
  std::string out;
  bool first = true;
  bool ok = ForEachComponent(path, [&](std::string_view name) {
    std::optional<std::string> c = DecodeComponent(name);
    if (!c) return false;
    if (!first) out.push_back('/');
    first = false;
    out += *c;
    return true;
  });
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace flashstor::storage
