// DecisionCache: per-thread 4-way set-associative slots; see authz_cache.h for the keying rule.
#include "authz_cache.h"

#include <functional>

namespace flashstor::s3 {

DecisionCache& DecisionCache::ForThisThread() {
  thread_local DecisionCache cache;
  return cache;
}

void DecisionCache::prepare(uint64_t owner, std::string_view principal, std::string_view action,
                            std::string_view resource) {
  key_.clear();
  key_.append(reinterpret_cast<const char*>(&owner), sizeof owner);
  key_.append(principal).push_back('\0');
  key_.append(action).push_back('\0');
  key_.append(resource);
  hash_ = std::hash<std::string_view>{}(key_);
}

void DecisionCache::AppendValues(const std::vector<std::string>& keys,
                                 const iam::RequestContext& ctx, std::string& out) {
  // Counts and lengths prefix every list and value, so two contexts never encode alike.
  for (const std::string& key : keys) {
    auto it = ctx.keys.find(key);
    if (it == ctx.keys.end()) {
      out.append("-;");  // absent differs from present-and-empty
      continue;
    }
    out.append(std::to_string(it->second.size())).push_back(':');
    for (const std::string& v : it->second) {
      out.append(std::to_string(v.size())).push_back(':');
      out.append(v);
    }
    out.push_back(';');
  }
}

DecisionCache::Slot* DecisionCache::lookup(uint64_t epoch) const {
  Set* set = sets_[hash_ & (kSlots / kWays - 1)].get();
  if (set == nullptr) return nullptr;
  for (Slot& slot : *set) {
    if (slot.used && slot.epoch == epoch && slot.hash == hash_ && slot.key == key_) return &slot;
  }
  return nullptr;
}

DecisionCache::Slot& DecisionCache::victim(uint64_t epoch) {
  std::unique_ptr<Set>& set = sets_[hash_ & (kSlots / kWays - 1)];
  if (set == nullptr) set = std::make_unique<Set>();
  Slot* best = &(*set)[0];
  for (Slot& slot : *set) {
    if (slot.used && slot.hash == hash_ && slot.key == key_) return slot;  // same key: replace
    if (!slot.used || slot.epoch != epoch) {
      best = &slot;  // empty or stale: free to take, but a later way may still hold the key
      continue;
    }
    if ((best->used && best->epoch == epoch) && slot.last_use < best->last_use) best = &slot;
  }
  return *best;
}

const AuthzVerdict* DecisionCache::find(uint64_t epoch, const iam::RequestContext& ctx) {
  Slot* found = lookup(epoch);
  if (found == nullptr) return nullptr;
  Slot& slot = *found;
  if (!slot.context_keys.empty()) {
    values_.clear();
    AppendValues(slot.context_keys, ctx, values_);
    if (values_ != slot.context_values) return nullptr;
  }
  slot.last_use = ++use_clock_;
  return &slot.verdict;
}

bool DecisionCache::entry_reads(uint64_t epoch, std::string_view prefix) const {
  const Slot* slot = lookup(epoch);
  if (slot == nullptr) return false;
  for (const std::string& key : slot->context_keys) {
    if (key.starts_with(prefix)) return true;
  }
  return false;
}

void DecisionCache::store(uint64_t epoch, std::vector<std::string> context_keys,
                          const iam::RequestContext& ctx, AuthzVerdict verdict) {
  Slot& slot = victim(epoch);
  slot.used = true;
  slot.epoch = epoch;
  slot.hash = hash_;
  slot.key.assign(key_);
  slot.context_keys = std::move(context_keys);
  slot.context_values.clear();
  AppendValues(slot.context_keys, ctx, slot.context_values);
  slot.verdict = std::move(verdict);
  slot.last_use = ++use_clock_;
}

}  // namespace flashstor::s3
