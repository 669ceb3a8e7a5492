// DecisionCache: the authorizer's per-thread memory of recent decisions. An entry is keyed by
// the authorizer, the principal, the action and the resource, tagged with the authorisation
// epoch read before deciding (common/authz_epoch.h) and holds the values of the context keys
// its policies read (aws:SourceIp, s3:prefix, ...): it answers only a request of the same
// epoch with the same values. Fixed size, 4-way set-associative: a key may live in any of the
// four slots of its set, and a new entry replaces the set's stale or least recently used one,
// so memory never grows, a warm slot reuses its strings' storage, and two hot keys whose
// hashes share a set do not evict each other on every request (direct-mapped, 256 hot
// objects lost about 6 % of decisions to such pairs). A set's slots are allocated when the
// first entry is stored in it, so a thread's first request does not build all 4096 slots.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/iam/policy.h"

namespace flashstor::s3 {

// An authorisation decision and what decided it (for the audit of denials).
struct AuthzVerdict {
  bool allowed = false;
  std::string principal;  // the user's ARN, "anonymous", or "root"
  // "implicit deny", or "<source>:<policy name>:<Sid or #index>"; source is identity, group,
  // bucket (see Authorizer).
  std::string deciding;
};

class DecisionCache {
 public:
  static constexpr size_t kSlots = 4096;  // per thread; a power of two
  static constexpr size_t kWays = 4;      // slots a key may occupy (one set)

  DecisionCache() : sets_(kSlots / kWays) {}

  // The calling thread's cache (created on first use, freed when the thread ends).
  static DecisionCache& ForThisThread();

  // Builds the lookup key of a request into scratch storage; call before find/store.
  void prepare(uint64_t owner, std::string_view principal, std::string_view action,
               std::string_view resource);
  // The prepared request's verdict, when an entry of this epoch holds the same values of its
  // context keys as ctx; nullptr otherwise.
  const AuthzVerdict* find(uint64_t epoch, const iam::RequestContext& ctx);
  // The prepared request's entry of this epoch depends on a context key starting with prefix
  // (the caller then adds such keys to the context before find).
  bool entry_reads(uint64_t epoch, std::string_view prefix) const;
  // Remembers the prepared request's verdict, made at epoch (read before deciding), and the
  // context keys the deciding policies read.
  void store(uint64_t epoch, std::vector<std::string> context_keys, const iam::RequestContext& ctx,
             AuthzVerdict verdict);

 private:
  struct Slot {
    bool used = false;
    uint64_t epoch = 0;
    uint64_t hash = 0;
    std::string key;
    std::vector<std::string> context_keys;
    std::string context_values;
    AuthzVerdict verdict;
    uint64_t last_use = 0;  // use_clock_ at the last find or store (LRU within the set)
  };
  using Set = std::array<Slot, kWays>;
  // The prepared key's slot of this epoch, or nullptr.
  Slot* lookup(uint64_t epoch) const;
  // Where the prepared key goes: its own slot, else a stale or empty one, else the LRU way.
  Slot& victim(uint64_t epoch);
  static void AppendValues(const std::vector<std::string>& keys, const iam::RequestContext& ctx,
                           std::string& out);

  std::vector<std::unique_ptr<Set>> sets_;  // kSlots / kWays, each null until first stored
  std::string key_;                         // the prepared request's key
  uint64_t hash_ = 0;                       // and its hash
  std::string values_;                      // scratch for find
  uint64_t use_clock_ = 0;
};

}  // namespace flashstor::s3
