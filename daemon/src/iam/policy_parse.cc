// ParsePolicy: the JSON document (cJSON) to Policy, refusing what AWS refuses with the
// offending element named: unknown elements, a bad Effect, Principal where it may not be
// (identity policies) or missing (bucket policies), unknown condition operators.
#include <cjson/cJSON.h>

#include <array>
#include <cctype>
#include <memory>

#include "flashstor/iam/policy.h"

namespace flashstor::iam {
namespace {

using JsonPtr = std::unique_ptr<cJSON, decltype(&cJSON_Delete)>;

std::unexpected<PolicyError> Bad(std::string reason) {
  return std::unexpected(PolicyError{std::move(reason)});
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

constexpr std::array<std::string_view, 27> kOperators = {"StringEquals",
                                                         "StringNotEquals",
                                                         "StringEqualsIgnoreCase",
                                                         "StringNotEqualsIgnoreCase",
                                                         "StringLike",
                                                         "StringNotLike",
                                                         "NumericEquals",
                                                         "NumericNotEquals",
                                                         "NumericLessThan",
                                                         "NumericLessThanEquals",
                                                         "NumericGreaterThan",
                                                         "NumericGreaterThanEquals",
                                                         "DateEquals",
                                                         "DateNotEquals",
                                                         "DateLessThan",
                                                         "DateLessThanEquals",
                                                         "DateGreaterThan",
                                                         "DateGreaterThanEquals",
                                                         "Bool",
                                                         "IpAddress",
                                                         "NotIpAddress",
                                                         "ArnEquals",
                                                         "ArnNotEquals",
                                                         "ArnLike",
                                                         "ArnNotLike",
                                                         "Null",
                                                         "BinaryEquals"};

bool KnownOperator(std::string_view op) {
  for (std::string_view k : kOperators) {
    if (k == op && op != "BinaryEquals") return true;
  }
  return false;
}

// A string or an array of strings (numbers and booleans as text, as AWS accepts them in
// condition values); false for anything else or an empty array.
bool StringList(const cJSON* item, std::vector<std::string>& out) {
  auto one = [&out](const cJSON* v) {
    if (cJSON_IsString(v)) {
      out.emplace_back(v->valuestring);
    } else if (cJSON_IsBool(v)) {
      out.emplace_back(cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNumber(v)) {
      char* text = cJSON_PrintUnformatted(v);
      if (text == nullptr) return false;
      out.emplace_back(text);
      cJSON_free(text);
    } else {
      return false;
    }
    return true;
  };
  if (cJSON_IsArray(item)) {
    const cJSON* v = nullptr;
    cJSON_ArrayForEach(v, item) {
      if (!one(v)) return false;
    }
    return !out.empty();
  }
  return one(item);
}

bool OnlyStrings(const cJSON* item, std::vector<std::string>& out) {
  if (cJSON_IsString(item)) {
    out.emplace_back(item->valuestring);
    return true;
  }
  if (!cJSON_IsArray(item)) return false;
  const cJSON* v = nullptr;
  cJSON_ArrayForEach(v, item) {
    if (!cJSON_IsString(v)) return false;
    out.emplace_back(v->valuestring);
  }
  return !out.empty();
}

std::expected<void, PolicyError> ParsePrincipal(const cJSON* item, const std::string& where,
                                                PolicyKind policy_kind, Statement& st) {
  if (cJSON_IsString(item)) {
    if (std::string_view(item->valuestring) != "*") {
      return Bad(where + ": a Principal string must be \"*\"");
    }
    st.principals.emplace_back("*");
    return {};
  }
  if (!cJSON_IsObject(item) || item->child == nullptr) {
    return Bad(where + ": Principal must be \"*\" or an object");
  }
  const cJSON* kind = nullptr;
  cJSON_ArrayForEach(kind, item) {
    const std::string_view type = kind->string;
    const bool federated = type == "Federated" && policy_kind == PolicyKind::kTrust;
    if (type != "AWS" && !federated) {
      return Bad(where + ": unsupported principal type \"" + kind->string + "\"");
    }
    std::vector<std::string> names;
    if (!OnlyStrings(kind, names)) {
      return Bad(where + "." + std::string(type) + ": must be a string or an array of strings");
    }
    for (std::string& n : names) {
      st.principals.push_back(federated ? std::string(kFederatedPrefix) + n : std::move(n));
    }
  }
  return {};
}

std::expected<void, PolicyError> ParseConditions(const cJSON* item, const std::string& where,
                                                 Statement& st) {
  if (!cJSON_IsObject(item)) return Bad(where + ": Condition must be an object");
  const cJSON* block = nullptr;
  cJSON_ArrayForEach(block, item) {
    std::string_view name = block->string;
    Condition proto;
    if (name.starts_with("ForAnyValue:")) {
      proto.set = Condition::Set::kForAnyValue;
      name.remove_prefix(12);
    } else if (name.starts_with("ForAllValues:")) {
      proto.set = Condition::Set::kForAllValues;
      name.remove_prefix(13);
    }
    if (name.ends_with("IfExists") && name != "IfExists") {
      proto.if_exists = true;
      name.remove_suffix(8);
    }
    if (!KnownOperator(name) || (name == "Null" && proto.if_exists)) {
      return Bad(where + ": invalid Condition type \"" + block->string + "\"");
    }
    proto.op = std::string(name);
    if (!cJSON_IsObject(block) || block->child == nullptr) {
      return Bad(where + "." + block->string + ": must be an object of condition keys");
    }
    const cJSON* key = nullptr;
    cJSON_ArrayForEach(key, block) {
      Condition c = proto;
      c.key = Lower(key->string);
      if (c.key.empty() || c.key.find(':') == std::string::npos) {
        return Bad(where + "." + block->string + ": invalid condition key \"" + key->string + "\"");
      }
      if (!StringList(key, c.values)) {
        return Bad(where + "." + block->string + "." + key->string +
                   ": values must be strings, numbers or booleans");
      }
      st.conditions.push_back(std::move(c));
    }
  }
  return {};
}

std::expected<Statement, PolicyError> ParseStatement(const cJSON* item, const std::string& where,
                                                     PolicyKind kind) {
  if (!cJSON_IsObject(item)) return Bad(where + ": a statement must be an object");
  Statement st;
  bool has_effect = false, has_action = false, has_resource = false;
  const cJSON* el = nullptr;
  cJSON_ArrayForEach(el, item) {
    std::string_view name = el->string;
    std::string at = where + "." + el->string;
    if (name == "Sid") {
      if (!cJSON_IsString(el)) return Bad(at + ": must be a string");
      st.sid = el->valuestring;
    } else if (name == "Effect") {
      std::string_view v = cJSON_IsString(el) ? el->valuestring : "";
      if (v != "Allow" && v != "Deny") return Bad(at + ": must be \"Allow\" or \"Deny\"");
      st.allow = v == "Allow";
      has_effect = true;
    } else if (name == "Action" || name == "NotAction") {
      if (has_action) return Bad(at + ": only one of Action and NotAction");
      has_action = true;
      st.not_action = name == "NotAction";
      std::vector<std::string> list;
      if (!OnlyStrings(el, list)) return Bad(at + ": must be a string or an array of strings");
      for (std::string& a : list) {
        if (a != "*" && (a.find(':') == std::string::npos || a.front() == ':')) {
          return Bad(at + ": invalid action \"" + a + "\"");
        }
        st.actions.push_back(Lower(a));
      }
    } else if (name == "Resource" || name == "NotResource") {
      if (kind == PolicyKind::kTrust) return Bad(at + ": not allowed in a trust policy");
      if (has_resource) return Bad(at + ": only one of Resource and NotResource");
      has_resource = true;
      st.not_resource = name == "NotResource";
      if (!OnlyStrings(el, st.resources)) {
        return Bad(at + ": must be a string or an array of strings");
      }
      for (const std::string& r : st.resources) {
        if (r != "*" && !r.starts_with("arn:")) {
          return Bad(at + ": invalid resource \"" + r + "\" (an ARN or \"*\")");
        }
      }
    } else if (name == "Principal" || name == "NotPrincipal") {
      if (kind == PolicyKind::kIdentity) {
        return Bad(at + ": not allowed in an identity-based policy");
      }
      if (st.has_principal) return Bad(at + ": only one of Principal and NotPrincipal");
      st.has_principal = true;
      st.not_principal = name == "NotPrincipal";
      if (auto p = ParsePrincipal(el, at, kind, st); !p) return std::unexpected(p.error());
    } else if (name == "Condition") {
      if (auto c = ParseConditions(el, at, st); !c) return std::unexpected(c.error());
    } else {
      return Bad(at + ": unknown element");
    }
  }
  if (!has_effect) return Bad(where + ": missing Effect");
  if (!has_action) return Bad(where + ": missing Action or NotAction");
  if (!has_resource && kind != PolicyKind::kTrust) {
    return Bad(where + ": missing Resource or NotResource");
  }
  if (kind != PolicyKind::kIdentity && !st.has_principal) {
    return Bad(where + ": missing Principal");
  }
  return st;
}

}  // namespace

size_t PolicyCharCount(std::string_view json) {
  size_t n = 0;
  for (char c : json) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') ++n;
  }
  return n;
}

std::expected<Policy, PolicyError> ParsePolicy(std::string_view json, PolicyKind kind) {
  JsonPtr doc(cJSON_ParseWithLength(json.data(), json.size()), cJSON_Delete);
  if (doc == nullptr) return Bad("Syntax errors in policy: not a JSON document");
  if (!cJSON_IsObject(doc.get())) return Bad("Syntax errors in policy: not a JSON object");
  Policy policy;
  policy.version = "2008-10-17";
  const cJSON* statements = nullptr;
  const cJSON* el = nullptr;
  cJSON_ArrayForEach(el, doc.get()) {
    std::string_view name = el->string;
    if (name == "Version") {
      std::string_view v = cJSON_IsString(el) ? el->valuestring : "";
      if (v != "2012-10-17" && v != "2008-10-17") {
        return Bad("Version: must be \"2012-10-17\" or \"2008-10-17\"");
      }
      policy.version = std::string(v);
    } else if (name == "Id") {
      if (!cJSON_IsString(el)) return Bad("Id: must be a string");
    } else if (name == "Statement") {
      statements = el;
    } else {
      return Bad(std::string(name) + ": unknown element");
    }
  }
  if (statements == nullptr) return Bad("Statement: missing");
  if (cJSON_IsObject(statements)) {
    auto st = ParseStatement(statements, "Statement", kind);
    if (!st) return std::unexpected(st.error());
    policy.statements.push_back(std::move(*st));
  } else if (cJSON_IsArray(statements)) {
    int i = 0;
    const cJSON* item = nullptr;
    cJSON_ArrayForEach(item, statements) {
      auto st = ParseStatement(item, "Statement[" + std::to_string(i++) + "]", kind);
      if (!st) return std::unexpected(st.error());
      policy.statements.push_back(std::move(*st));
    }
  } else {
    return Bad("Statement: must be an object or an array");
  }
  if (policy.statements.empty()) return Bad("Statement: empty");
  policy.reads_existing_object_tags = ReadsContextKeyPrefix(policy, kExistingObjectTagPrefix);
  return policy;
}

}  // namespace flashstor::iam
