// ContextKeysRead: which request-context keys a parsed policy can read, so that a decision
// cache keys its entries on exactly the values the decision depended on (and the authorizer
// fetches an object's tags only for policies that read them).
#include <algorithm>
#include <cctype>

#include "flashstor/iam/policy.h"

namespace flashstor::iam {
namespace {

// The ${name} variables of one element (lowercase), skipping the ${*} ${?} ${$} escapes.
void AddVariables(std::string_view text, std::vector<std::string>& out) {
  size_t open = 0;
  while ((open = text.find("${", open)) != std::string_view::npos) {
    size_t close = text.find('}', open);
    if (close == std::string_view::npos) return;
    std::string name(text.substr(open + 2, close - open - 2));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name != "*" && name != "?" && name != "$") out.push_back(std::move(name));
    open = close + 1;
  }
}

}  // namespace

std::vector<std::string> ContextKeysRead(const Policy& policy) {
  std::vector<std::string> keys;
  for (const Statement& st : policy.statements) {
    for (const std::string& r : st.resources) AddVariables(r, keys);
    for (const Condition& c : st.conditions) {
      keys.push_back(c.key);
      for (const std::string& v : c.values) AddVariables(v, keys);
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

bool ReadsContextKeyPrefix(const Policy& policy, std::string_view prefix) {
  for (const std::string& key : ContextKeysRead(policy)) {
    if (key.starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace flashstor::iam
