// MinIO-style ellipsis expansion ("/data{1...4}", "http://node{01...16}:9000/d{1...4}")
// shared by the config loader and the command line.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace flashstor::config {

// Upper bound on the number of strings one pattern may expand to.
inline constexpr size_t kMaxEllipsisExpansion = 4096;

// Expands every "{A...B}" range in pattern (decimal, A <= B, at most 9 digits each).
// With several ranges the result is their cartesian product, the leftmost range varying
// slowest: "h{1...2}/d{1...2}" -> h1/d1, h1/d2, h2/d1, h2/d2. A bound written with a leading
// zero ("{01...16}") zero-pads every value to the width of the wider bound. A pattern with no
// braces expands to itself. Any other '{' or '}' (unbalanced, nested, "{1..4}", "{a...b}",
// "{4...1}") is an error; so is an expansion of more than max_results strings (capped at 2^20).
// Errors are a human-readable reason (no field name); pure function, thread-safe.
std::expected<std::vector<std::string>, std::string> ExpandEllipsis(
    std::string_view pattern, size_t max_results = kMaxEllipsisExpansion);

// True when pattern contains a '{' or '}' (i.e. needs expansion or is malformed).
bool HasEllipsis(std::string_view pattern);

}  // namespace flashstor::config
