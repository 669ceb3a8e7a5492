// Evaluate: which statements of a policy apply to a request (principal, action, resource with
// policy variables, conditions) and the strongest effect among them.
#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <optional>

#include "flashstor/iam/policy.h"

namespace flashstor::iam {
namespace {

char Fold(char c, bool ignore_case) {
  return ignore_case ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

const std::vector<std::string>* Key(const RequestContext& ctx, std::string_view key) {
  auto it = ctx.keys.find(key);
  return it == ctx.keys.end() ? nullptr : &it->second;
}

// Replaces ${...} policy variables (policy version 2012-10-17); nullopt when a variable has
// no value in the request (the element then matches nothing, as AWS does).
std::optional<std::string> Substitute(std::string_view text, const RequestContext& ctx,
                                      bool enabled) {
  if (!enabled || text.find("${") == std::string_view::npos) return std::string(text);
  std::string out;
  while (!text.empty()) {
    size_t open = text.find("${");
    if (open == std::string_view::npos) break;
    out.append(text.substr(0, open));
    size_t close = text.find('}', open);
    if (close == std::string_view::npos) break;
    std::string name(text.substr(open + 2, close - open - 2));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "*" || name == "?" || name == "$") {
      out.append(name);
    } else {
      const std::vector<std::string>* v = Key(ctx, name);
      if (v == nullptr || v->size() != 1) return std::nullopt;
      out.append(v->front());
    }
    text.remove_prefix(close + 1);
  }
  out.append(text);
  return out;
}

bool ParseNumber(std::string_view s, double& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// ISO 8601 (date, or date and time in UTC with optional fraction / Z) or epoch seconds.
bool ParseDate(std::string_view s, double& out) {
  if (s.find('-') == std::string_view::npos) return ParseNumber(s, out);
  std::string text(s);
  std::tm tm{};
  int n = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6) {
    tm = {};
    n = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3 ||
        static_cast<size_t>(n) != text.size()) {
      return false;
    }
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  out = static_cast<double>(timegm(&tm));
  return true;
}

struct Cidr {
  int family = 0;
  unsigned char addr[16]{};
  int bits = 0;
};

bool ParseIp(std::string_view s, Cidr& out, bool allow_prefix) {
  std::string text(s);
  size_t slash = text.find('/');
  std::string host = text.substr(0, slash);
  out.family = host.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  if (inet_pton(out.family, host.c_str(), out.addr) != 1) return false;
  int max = out.family == AF_INET ? 32 : 128;
  out.bits = max;
  if (slash != std::string::npos) {
    if (!allow_prefix) return false;
    std::string_view bits = std::string_view(text).substr(slash + 1);
    auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), out.bits);
    if (ec != std::errc() || p != bits.data() + bits.size() || out.bits < 0 || out.bits > max) {
      return false;
    }
  }
  return true;
}

bool InCidr(const Cidr& net, const Cidr& ip) {
  if (net.family != ip.family) return false;
  int full = net.bits / 8, rest = net.bits % 8;
  if (std::memcmp(net.addr, ip.addr, static_cast<size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xFF << (8 - rest));
  return (net.addr[full] & mask) == (ip.addr[full] & mask);
}

bool IsNegated(std::string_view op) {
  return op == "StringNotEquals" || op == "StringNotEqualsIgnoreCase" || op == "StringNotLike" ||
         op == "NumericNotEquals" || op == "DateNotEquals" || op == "NotIpAddress" ||
         op == "ArnNotEquals" || op == "ArnNotLike";
}

// One request value against one policy value, for the positive form of the operator.
bool MatchOne(std::string_view op, std::string_view policy, std::string_view value) {
  if (op == "StringEquals" || op == "StringNotEquals") return policy == value;
  if (op == "StringEqualsIgnoreCase" || op == "StringNotEqualsIgnoreCase") {
    return policy.size() == value.size() && WildcardMatch(policy, value, true) &&
           policy.find_first_of("*?") == std::string_view::npos;
  }
  if (op == "StringLike" || op == "StringNotLike" || op == "ArnLike" || op == "ArnNotLike") {
    return WildcardMatch(policy, value);
  }
  if (op == "ArnEquals" || op == "ArnNotEquals") return WildcardMatch(policy, value);
  if (op == "Bool") {
    return policy.size() == value.size() && WildcardMatch(policy, value, true);
  }
  if (op.starts_with("Numeric") || op.starts_with("Date")) {
    double p = 0, v = 0;
    bool date = op.starts_with("Date");
    if (!(date ? ParseDate(policy, p) : ParseNumber(policy, p))) return false;
    if (!(date ? ParseDate(value, v) : ParseNumber(value, v))) return false;
    std::string_view cmp = op.substr(date ? 4 : 7);
    if (cmp == "Equals" || cmp == "NotEquals") return v == p;
    if (cmp == "LessThan") return v < p;
    if (cmp == "LessThanEquals") return v <= p;
    if (cmp == "GreaterThan") return v > p;
    if (cmp == "GreaterThanEquals") return v >= p;
    return false;
  }
  if (op == "IpAddress" || op == "NotIpAddress") {
    Cidr net, ip;
    return ParseIp(policy, net, true) && ParseIp(value, ip, false) && InCidr(net, ip);
  }
  return false;
}

bool ConditionHolds(const Condition& c, const RequestContext& ctx, bool variables) {
  const std::vector<std::string>* values = Key(ctx, c.key);
  if (c.op == "Null") {
    bool absent = values == nullptr || values->empty();
    bool want_absent = !c.values.empty() && (c.values.front() == "true");
    return absent == want_absent;
  }
  const bool negated = IsNegated(c.op);
  if (values == nullptr || values->empty()) {
    if (c.if_exists) return true;
    if (c.set == Condition::Set::kForAllValues) return true;
    if (c.set == Condition::Set::kForAnyValue) return false;
    return negated;
  }
  auto value_matches = [&](const std::string& value) {
    bool any = false;
    for (const std::string& raw : c.values) {
      std::optional<std::string> p = Substitute(raw, ctx, variables);
      if (p && MatchOne(c.op, *p, value)) {
        any = true;
        break;
      }
    }
    return negated ? !any : any;
  };
  if (c.set == Condition::Set::kForAllValues) {
    for (const std::string& v : *values) {
      if (!value_matches(v)) return false;
    }
    return true;
  }
  // Single-valued keys and ForAnyValue: any request value satisfies the operator.
  for (const std::string& v : *values) {
    if (value_matches(v)) return true;
  }
  return false;
}

bool PrincipalMatches(const Statement& st, const Principal* who) {
  bool listed = false;
  for (const std::string& p : st.principals) {
    if (p == "*") {
      listed = true;
    } else if (who != nullptr && !who->anonymous) {
      if (p.starts_with(kFederatedPrefix)) {
        listed = !who->federated.empty() &&
                 std::string_view(p).substr(kFederatedPrefix.size()) == who->federated;
      } else if (!who->arn.empty() &&
                 (p == who->arn || (!who->role_arn.empty() && p == who->role_arn))) {
        listed = true;
      } else if (!who->account.empty() &&
                 (p == who->account || p == "arn:aws:iam::" + who->account + ":root")) {
        listed = true;
      }
    }
    if (listed) break;
  }
  return st.not_principal ? !listed : listed;
}

bool ActionMatches(const Statement& st, std::string_view action) {
  bool listed = false;
  for (const std::string& a : st.actions) {
    if (WildcardMatch(a, action, true)) {
      listed = true;
      break;
    }
  }
  return st.not_action ? !listed : listed;
}

bool ResourceMatches(const Statement& st, const RequestContext& ctx, bool variables) {
  // Trust policies have no Resource: the role they belong to is the resource.
  if (st.resources.empty() && !st.not_resource) return true;
  bool listed = false;
  for (const std::string& r : st.resources) {
    std::optional<std::string> pattern = Substitute(r, ctx, variables);
    if (pattern && WildcardMatch(*pattern, ctx.resource)) {
      listed = true;
      break;
    }
  }
  return st.not_resource ? !listed : listed;
}

}  // namespace

bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() &&
        (pattern[p] == '?' || Fold(pattern[p], ignore_case) == Fold(text[t], ignore_case))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Decision Evaluate(const Policy& policy, const RequestContext& ctx) {
  return EvaluateWithStatement(policy, ctx).decision;
}

Evaluation EvaluateWithStatement(const Policy& policy, const RequestContext& ctx) {
  const bool variables = policy.version == "2012-10-17";
  Evaluation result;
  for (size_t i = 0; i < policy.statements.size(); ++i) {
    const Statement& st = policy.statements[i];
    if (st.has_principal && !PrincipalMatches(st, ctx.principal)) continue;
    if (!ActionMatches(st, ctx.action)) continue;
    if (!ResourceMatches(st, ctx, variables)) continue;
    bool holds = true;
    for (const Condition& c : st.conditions) {
      if (!ConditionHolds(c, ctx, variables)) {
        holds = false;
        break;
      }
    }
    if (!holds) continue;
    if (!st.allow) return {Decision::kDeny, static_cast<int>(i)};
    if (result.decision == Decision::kNoMatch) result = {Decision::kAllow, static_cast<int>(i)};
  }
  return result;
}

}  // namespace flashstor::iam
