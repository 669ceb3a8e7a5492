// The policy of a browser POST form (PostObject): base64 JSON with "expiration" and
// "conditions" (exact matches, ["eq"|"starts-with", "$field", value],
// ["content-length-range", min, max]), parsed with cJSON and checked against the form.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/common/status.h"

namespace flashstor::s3 {

inline constexpr size_t kMaxPostPolicyConditions = 256;

// One form field before the file: the name lowercased (AWS matches names case-insensitively).
struct PostField {
  std::string name;
  std::string value;
};

struct PostCondition {
  enum class Kind : uint8_t { kEq, kStartsWith };
  Kind kind = Kind::kEq;
  std::string field;  // lowercased, without '$'
  std::string value;
  std::string text;  // the condition as JSON, for the refusal message
};

struct PostPolicy {
  std::time_t expiration = 0;
  std::vector<PostCondition> conditions;
  int64_t min_length = 0;  // content-length-range (0..INT64_MAX when absent)
  int64_t max_length = INT64_MAX;
};

// Parses the decoded policy JSON. Errors: kInvalidArgument with a static message
// ("Invalid Policy: ...") for anything that is not a policy as AWS defines it.
Result<PostPolicy> ParsePostPolicy(std::string_view json);

// "2026-12-02T18:00:00Z" or with fractional seconds; nullopt otherwise.
std::optional<std::time_t> ParsePolicyExpiration(std::string_view s);

// True when fields whose condition is not required: the signature, the policy itself, the
// file and x-ignore-* fields.
bool IsPolicyExempt(std::string_view lower_name);

// Checks expiration against now, each condition against the fields (bucket for "$bucket"),
// and that every non-exempt field is named by some condition. On failure returns false and
// sets *why to AWS's text after "Invalid according to Policy: ".
bool CheckPostPolicy(const PostPolicy& policy, std::span<const PostField> fields,
                     std::string_view bucket, std::time_t now, std::string* why);

}  // namespace flashstor::s3
