// JSON string escaping for arbitrary bytes: always yields valid JSON, even for binary keys.
#pragma once

#include <string>
#include <string_view>

namespace flashstor::obs {

// Appends s to out as a quoted JSON string. Escapes '"', '\\', control characters (U+0000..
// U+001F) and DEL; passes valid UTF-8 through; replaces every byte of an invalid sequence
// (stray continuation, overlong form, surrogate, > U+10FFFF, truncated) with U+FFFD, as
// Go's encoding/json does, because JSON text cannot carry raw non-UTF-8 bytes.
void AppendJsonString(std::string& out, std::string_view s);

// Length of the valid UTF-8 sequence starting at s[0], or 0 when it is invalid.
size_t Utf8SequenceLength(std::string_view s);

}  // namespace flashstor::obs
