// What requests may ask for that Flashstor does not do: one table of headers and query
// parameters refused per operation (NotImplemented or AWS's own error), checked once for
// every request after routing, so nothing is answered 200 and silently ignored.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "flashstor/http/request.h"
#include "flashstor/http/uri.h"
#include "flashstor/s3/error_table.h"
#include "flashstor/s3/router.h"

namespace flashstor::s3 {

enum class RefusalKind : uint8_t {
  kNotImplemented,  // 501 NotImplemented: functionality we do not have
  // 400 InvalidRequest, AWS's answer when SSE-C parameters name an object (or upload) that
  // was not encrypted with a customer key -- and none of ours is.
  kSseCNotApplicable,
  // 400 InvalidRequest, AWS's answer to Object Lock headers on a bucket without Object Lock
  // -- and no bucket of ours has it.
  kNoObjectLock,
};

struct RefusedInput {
  std::string_view name;  // lower-case header name, or query parameter name when `query`
  bool query;
  uint64_t ops;  // bit (1 << OpId) for each operation the input is refused on
  // Values accepted because they ask for what we do anyway (case-insensitive); an empty
  // value is never refused.
  std::array<std::string_view, 2> allowed;
  RefusalKind kind;
  std::string_view message;  // sent to the client; docs/s3-compatibility.md lists the rows
};

constexpr uint64_t OpBit(OpId op) {
  return uint64_t{1} << static_cast<unsigned>(op);
}
static_assert(static_cast<unsigned>(OpId::kCount) <= 64, "RefusedInput::ops is a 64-bit mask");

// The whole table, for tests and the compatibility document.
std::span<const RefusedInput> RefusedInputs();

// The first refused input the request carries for op, or ok. Also answers AccessDenied when
// x-amz-expected-bucket-owner / x-amz-source-expected-bucket-owner name another account than
// owner_id (every bucket has the one owner).
ApiError CheckRefusedInputs(OpId op, const http::Request& request,
                            std::span<const http::QueryParam> query, std::string_view owner_id);

}  // namespace flashstor::s3
