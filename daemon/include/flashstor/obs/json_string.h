// Text for the audit log's JSON and the metrics exposition: JSON string escaping for arbitrary
// bytes (always valid JSON, even for binary keys) and decimal integers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace flashstor::obs {

// Appends s to out as a quoted JSON string. Escapes '"', '\\', control characters (U+0000..
// U+001F) and DEL; passes valid UTF-8 through; replaces every byte of an invalid sequence
// (stray continuation, overlong form, surrogate, > U+10FFFF, truncated) with U+FFFD, as
// Go's encoding/json does, because JSON text cannot carry raw non-UTF-8 bytes.
void AppendJsonString(std::string& out, std::string_view s);

// Appends v in decimal, without a heap allocation beyond out's growth.
void AppendUint(std::string& out, uint64_t v);

// Length of the valid UTF-8 sequence starting at s[0], or 0 when it is invalid.
size_t Utf8SequenceLength(std::string_view s);

}  // namespace flashstor::obs
