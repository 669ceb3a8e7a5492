// Request timestamps for SigV4: the ISO 8601 basic form of x-amz-date / X-Amz-Date
// ("20130524T000000Z") and the RFC 1123 form of the Date header, both as UTC seconds.
#pragma once

#include <array>
#include <ctime>
#include <optional>
#include <string_view>

namespace flashstor::auth {

// "yyyymmddThhmmssZ" exactly; nullopt for anything else (including impossible dates).
std::optional<std::time_t> ParseAmzDate(std::string_view s);
// "Fri, 24 May 2013 00:00:00 GMT" (RFC 1123, the only form S3 clients send); nullopt otherwise.
std::optional<std::time_t> ParseHttpDate(std::string_view s);
// Formats t as "yyyymmddThhmmssZ" (16 chars).
std::array<char, 16> FormatAmzDate(std::time_t t);

}  // namespace flashstor::auth
