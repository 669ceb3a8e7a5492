// ParsePostPolicy / CheckPostPolicy: AWS's POST policy language ("Creating a POST policy").
#include "post_policy.h"

#include <cjson/cJSON.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>

#include "flashstor/s3/headers.h"

namespace flashstor::s3 {
namespace {

using JsonPtr = std::unique_ptr<cJSON, decltype(&cJSON_Delete)>;

std::string Text(const cJSON* item) {
  char* printed = cJSON_PrintUnformatted(item);
  std::string out = printed != nullptr ? printed : "";
  cJSON_free(printed);
  return out;
}

std::optional<int64_t> Integer(const cJSON* v) {
  if (cJSON_IsNumber(v)) {
    double d = v->valuedouble;
    if (d != std::floor(d) || d < 0 || d > 9.0e15) return std::nullopt;
    return static_cast<int64_t>(d);
  }
  if (cJSON_IsString(v)) {
    std::optional<int64_t> n = ParseDecimal(v->valuestring, INT64_MAX);
    return n;
  }
  return std::nullopt;
}

// "$key" -> "key" lowercased; nullopt without the '$'.
std::optional<std::string> FieldRef(const cJSON* v) {
  if (!cJSON_IsString(v) || v->valuestring[0] != '$' || v->valuestring[1] == '\0') {
    return std::nullopt;
  }
  return Lower(v->valuestring + 1);
}

Status Invalid(std::string_view message) {
  return Status(Code::kInvalidArgument, message);
}

Status ParseCondition(const cJSON* c, PostPolicy& out) {
  PostCondition cond;
  cond.text = Text(c);
  if (cJSON_IsObject(c)) {
    // {"field": "value"}: an exact match.
    const cJSON* only = c->child;
    if (only == nullptr || only->next != nullptr || !cJSON_IsString(only)) {
      return Invalid(
          "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have "
          "exactly one property specified.");
    }
    cond.field = Lower(only->string);
    cond.value = only->valuestring;
    out.conditions.push_back(std::move(cond));
    return Status::Ok();
  }
  if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) != 3) {
    return Invalid(
        "Invalid Policy: Invalid Condition: conditions are objects or arrays of "
        "three elements.");
  }
  const cJSON* op = cJSON_GetArrayItem(c, 0);
  const cJSON* a = cJSON_GetArrayItem(c, 1);
  const cJSON* b = cJSON_GetArrayItem(c, 2);
  if (!cJSON_IsString(op)) return Invalid("Invalid Policy: Invalid Condition operator.");
  std::string name = Lower(op->valuestring);
  if (name == "content-length-range") {
    std::optional<int64_t> lo = Integer(a);
    std::optional<int64_t> hi = Integer(b);
    if (!lo || !hi || *lo > *hi) {
      return Invalid(
          "Invalid Policy: Invalid content-length-range: min and max must be "
          "non-negative integers, min at most max.");
    }
    out.min_length = std::max(out.min_length, *lo);
    out.max_length = std::min(out.max_length, *hi);
    return Status::Ok();
  }
  if (name != "eq" && name != "starts-with") {
    return Invalid(
        "Invalid Policy: Invalid Condition operator: use eq, starts-with or "
        "content-length-range.");
  }
  std::optional<std::string> field = FieldRef(a);
  if (!field || !cJSON_IsString(b)) {
    return Invalid(
        "Invalid Policy: Invalid Condition: the field must be a \"$name\" string "
        "and the value a string.");
  }
  cond.kind = name == "eq" ? PostCondition::Kind::kEq : PostCondition::Kind::kStartsWith;
  cond.field = std::move(*field);
  cond.value = b->valuestring;
  out.conditions.push_back(std::move(cond));
  return Status::Ok();
}

const PostField* FindField(std::span<const PostField> fields, std::string_view name) {
  for (const PostField& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace

std::optional<std::time_t> ParsePolicyExpiration(std::string_view s) {
  // yyyy-mm-ddThh:mm:ss[.fraction]Z
  if (s.size() < 20 || s.size() > 40 || s.back() != 'Z') return std::nullopt;
  auto digits = [&s](size_t pos, size_t n, int& out) {
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, se;
  if (!digits(0, 4, y) || s[4] != '-' || !digits(5, 2, mo) || s[7] != '-' || !digits(8, 2, d) ||
      s[10] != 'T' || !digits(11, 2, h) || s[13] != ':' || !digits(14, 2, mi) || s[16] != ':' ||
      !digits(17, 2, se)) {
    return std::nullopt;
  }
  std::string_view rest = s.substr(19, s.size() - 20);
  if (!rest.empty()) {
    if (rest.size() < 2 || rest.front() != '.') return std::nullopt;
    for (char c : rest.substr(1)) {
      if (c < '0' || c > '9') return std::nullopt;
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  return timegm(&tm);
}

Result<PostPolicy> ParsePostPolicy(std::string_view json) {
  JsonPtr root(cJSON_ParseWithLength(json.data(), json.size()), cJSON_Delete);
  if (root == nullptr || !cJSON_IsObject(root.get())) {
    return Err(Code::kInvalidArgument, "Invalid Policy: Invalid JSON.");
  }
  PostPolicy policy;
  const cJSON* expiration = cJSON_GetObjectItemCaseSensitive(root.get(), "expiration");
  if (expiration == nullptr) {
    return Err(Code::kInvalidArgument, "Invalid Policy: Policy missing expiration.");
  }
  std::optional<std::time_t> at =
      cJSON_IsString(expiration) ? ParsePolicyExpiration(expiration->valuestring) : std::nullopt;
  if (!at) return Err(Code::kInvalidArgument, "Invalid Policy: Invalid 'expiration' value.");
  policy.expiration = *at;
  const cJSON* conditions = cJSON_GetObjectItemCaseSensitive(root.get(), "conditions");
  if (!cJSON_IsArray(conditions)) {
    return Err(Code::kInvalidArgument, "Invalid Policy: Policy missing conditions.");
  }
  if (cJSON_GetArraySize(conditions) > static_cast<int>(kMaxPostPolicyConditions)) {
    return Err(Code::kInvalidArgument, "Invalid Policy: too many conditions.");
  }
  for (const cJSON* c = conditions->child; c != nullptr; c = c->next) {
    FS_RETURN_IF_ERROR(ParseCondition(c, policy));
  }
  for (const cJSON* item = root->child; item != nullptr; item = item->next) {
    std::string_view name = item->string != nullptr ? item->string : "";
    if (name != "expiration" && name != "conditions") {
      return Err(Code::kInvalidArgument, "Invalid Policy: Unexpected field in the policy.");
    }
  }
  return policy;
}

bool IsPolicyExempt(std::string_view lower_name) {
  return lower_name == "policy" || lower_name == "x-amz-signature" || lower_name == "signature" ||
         lower_name == "awsaccesskeyid" || lower_name == "file" ||
         lower_name.starts_with("x-ignore-");
}

bool CheckPostPolicy(const PostPolicy& policy, std::span<const PostField> fields,
                     std::string_view bucket, std::time_t now, std::string* why) {
  if (now >= policy.expiration) {
    *why = "Policy expired.";
    return false;
  }
  for (const PostCondition& c : policy.conditions) {
    std::string_view value;
    if (c.field == "bucket") {
      value = bucket;
    } else if (const PostField* f = FindField(fields, c.field)) {
      value = f->value;
    }
    bool ok = c.kind == PostCondition::Kind::kEq ? value == c.value : value.starts_with(c.value);
    if (!ok) {
      *why = "Policy Condition failed: " + c.text;
      return false;
    }
  }
  for (const PostField& f : fields) {
    if (IsPolicyExempt(f.name)) continue;
    bool covered = false;
    for (const PostCondition& c : policy.conditions) covered = covered || c.field == f.name;
    if (!covered) {
      *why = "Extra input fields: " + f.name;
      return false;
    }
  }
  return true;
}

}  // namespace flashstor::s3
