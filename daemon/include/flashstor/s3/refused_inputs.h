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
  // 400 InvalidArgument, AWS's answer to a header the operation does not take (e.g.
  // x-amz-server-side-encryption on UploadPart: the upload decided the encryption).
  kNotSupportedHere,
  // 400 AccessControlListNotSupported: every bucket has object ownership BucketOwnerEnforced
  // (ACLs disabled, AWS's default), so only ACLs granting the owner full control are taken.
  kAclsDisabled,
};

// A set of operations: one bit per OpId.
struct OpMask {
  uint64_t words[2] = {0, 0};
  constexpr OpMask operator|(OpMask other) const {
    return OpMask{{words[0] | other.words[0], words[1] | other.words[1]}};
  }
  constexpr bool has(OpId op) const {
    const unsigned i = static_cast<unsigned>(op);
    return ((words[i / 64] >> (i % 64)) & 1) != 0;
  }
  constexpr bool empty() const { return words[0] == 0 && words[1] == 0; }
};

constexpr OpMask OpBit(OpId op) {
  const unsigned i = static_cast<unsigned>(op);
  OpMask m;
  m.words[i / 64] = uint64_t{1} << (i % 64);
  return m;
}
static_assert(static_cast<unsigned>(OpId::kCount) <= 128, "OpMask holds 128 operations");

struct RefusedInput {
  std::string_view name;  // lower-case header name, or query parameter name when `query`
  bool query;
  OpMask ops;  // the operations the input is refused on
  // Values accepted because they ask for what we do anyway (case-insensitive); an empty
  // value is never refused.
  std::array<std::string_view, 2> allowed;
  RefusalKind kind;
  std::string_view message;  // sent to the client; docs/s3-compatibility.md lists the rows
};

// The whole table, for tests and the compatibility document.
std::span<const RefusedInput> RefusedInputs();

// The first refused input the request carries for op, or ok. Also answers AccessDenied when
// x-amz-expected-bucket-owner / x-amz-source-expected-bucket-owner name another account than
// owner_id (every bucket has the one owner).
ApiError CheckRefusedInputs(OpId op, const http::Request& request,
                            std::span<const http::QueryParam> query, std::string_view owner_id);

}  // namespace flashstor::s3
