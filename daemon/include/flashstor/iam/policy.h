// AWS policy language: parsing (cJSON) of identity and resource (bucket) policies into
// statements, and their evaluation against one request (action, resource, principal,
// condition keys) as AWS evaluates them: an explicit deny wins, then any allow, else the
// implicit (default) deny.
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/common/status.h"

namespace flashstor::iam {

// Size limits as AWS documents them (characters; IAM policies exclude whitespace).
inline constexpr size_t kMaxInlineUserPolicyChars = 2048;
inline constexpr size_t kMaxInlineGroupPolicyChars = 5120;
inline constexpr size_t kMaxManagedPolicyChars = 6144;
inline constexpr size_t kMaxBucketPolicyBytes = 20 * 1024;

enum class PolicyKind : uint8_t {
  kIdentity,  // user/group/managed policies: Principal is not allowed
  kResource,  // bucket policies: Principal or NotPrincipal is required
  kTrust,     // role trust policies: Principal required (AWS or Federated), no Resource
};

// Federated principals are kept in Statement::principals with this prefix.
inline constexpr std::string_view kFederatedPrefix = "federated:";

struct Condition {
  std::string op;  // base operator without IfExists/qualifiers: "StringLike"
  bool if_exists = false;
  enum class Set : uint8_t { kSingle, kForAnyValue, kForAllValues } set = Set::kSingle;
  std::string key;  // lowercase: "aws:sourceip"
  std::vector<std::string> values;
};

struct Statement {
  std::string sid;
  bool allow = false;
  bool has_principal = false;
  bool not_principal = false;
  std::vector<std::string> principals;  // "*" or AWS principal strings (ARNs, account ids)
  bool not_action = false;
  std::vector<std::string> actions;  // lowercase patterns
  bool not_resource = false;
  std::vector<std::string> resources;
  std::vector<Condition> conditions;
};

// The condition-key prefix of an object's stored tags (lowercase): reading them costs a
// metadata read, done only for policies that have such a condition.
inline constexpr std::string_view kExistingObjectTagPrefix = "s3:existingobjecttag/";

struct Policy {
  std::string version;  // "2012-10-17" enables policy variables
  std::vector<Statement> statements;
  bool reads_existing_object_tags = false;  // a condition key s3:ExistingObjectTag/<key>
};

// A refused document: the reason names the offending element ("Statement[1].Effect: ...").
struct PolicyError {
  std::string reason;
};

// Parses and validates a document. Size limits are the caller's (they differ per kind).
std::expected<Policy, PolicyError> ParsePolicy(std::string_view json, PolicyKind kind);

// Characters of a document that count against IAM's limits (whitespace excluded).
size_t PolicyCharCount(std::string_view json);

// Who asks, as policies see it.
struct Principal {
  bool anonymous = true;
  std::string account;    // 12-digit account id
  std::string arn;        // arn:aws:iam::<account>:user/<name>; empty when anonymous
  std::string username;   // aws:username
  std::string userid;     // aws:userid
  std::string role_arn;   // role sessions: arn:aws:iam::<account>:role/<name> (matches too)
  std::string federated;  // web identity: the token's issuer, as a trust policy names it
};

// The request context: condition keys are lowercase; a key may carry several values.
struct RequestContext {
  std::string_view action;    // "s3:GetObject"
  std::string_view resource;  // "arn:aws:s3:::bucket/key"
  const Principal* principal = nullptr;
  using keys_type = std::map<std::string, std::vector<std::string>, std::less<>>;
  keys_type keys;
};

enum class Decision : uint8_t { kNoMatch, kAllow, kDeny };

// The strongest effect among the policy's statements that apply: kDeny > kAllow > kNoMatch.
Decision Evaluate(const Policy& policy, const RequestContext& ctx);

// Evaluate, naming the deciding statement: the first Deny that applies, else the first Allow
// (-1 with kNoMatch).
struct Evaluation {
  Decision decision = Decision::kNoMatch;
  int statement = -1;
};
Evaluation EvaluateWithStatement(const Policy& policy, const RequestContext& ctx);

// The request-context keys a policy can read (lowercase, sorted, unique): its condition keys
// and the ${...} policy variables of its resources and condition values. A decision made with
// this policy holds for another request with the same action, resource, principal and values
// of these keys.
std::vector<std::string> ContextKeysRead(const Policy& policy);

// Some condition (or ${...} variable) of the policy reads a key starting with prefix
// (lowercase).
bool ReadsContextKeyPrefix(const Policy& policy, std::string_view prefix);

// Glob matching with '*' (any run) and '?' (one character).
bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case = false);

}  // namespace flashstor::iam
