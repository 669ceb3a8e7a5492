// SeriesCache<V, Slots>: string key -> V map with lock-free lookups for the request path and
// mutex-guarded inserts. Entries are never removed; cardinality is capped ("other" beyond it).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace flashstor::obs {

template <typename V, size_t Slots>
class SeriesCache {
  static_assert(Slots >= 4 && (Slots & (Slots - 1)) == 0, "Slots must be a power of two");

 public:
  // Distinct keys kept; later new keys share the entry for kOverflowKey. Leaves free slots so
  // open-addressing probes stay short and always end.
  static constexpr size_t kMaxKeys = Slots * 3 / 4;
  static constexpr std::string_view kOverflowKey = "other";

  SeriesCache() = default;
  SeriesCache(const SeriesCache&) = delete;
  SeriesCache& operator=(const SeriesCache&) = delete;

  // Returns the value for key, creating it with make(std::string_view key) -> V on first use
  // (make runs under the cache's mutex). The reference stays valid for the cache's lifetime.
  template <typename Make>
  V& get(std::string_view key, Make&& make) {
    if (V* v = find(key)) return *v;
    std::lock_guard<std::mutex> lock(mu_);
    if (V* v = find(key)) return *v;
    if (entries_.size() >= kMaxKeys) {
      key = kOverflowKey;
      if (V* v = find(key)) return *v;
    }
    entries_.push_back(std::make_unique<Entry>(std::string(key), make(key)));
    Entry* e = entries_.back().get();
    size_t i = Hash(key);
    while (slots_[i].load(std::memory_order_relaxed) != nullptr) i = (i + 1) & (Slots - 1);
    slots_[i].store(e, std::memory_order_release);  // publishes the fully built entry
    return e->value;
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_.size();
  }

 private:
  struct Entry {
    Entry(std::string k, V v) : key(std::move(k)), value(std::move(v)) {}
    std::string key;
    V value;
  };

  static size_t Hash(std::string_view key) {
    return std::hash<std::string_view>{}(key) & (Slots - 1);
  }

  V* find(std::string_view key) {
    for (size_t i = Hash(key);; i = (i + 1) & (Slots - 1)) {
      Entry* e = slots_[i].load(std::memory_order_acquire);
      if (e == nullptr) return nullptr;
      if (e->key == key) return &e->value;
    }
  }

  std::array<std::atomic<Entry*>, Slots> slots_{};
  std::vector<std::unique_ptr<Entry>> entries_;
  mutable std::mutex mu_;
};

}  // namespace flashstor::obs
