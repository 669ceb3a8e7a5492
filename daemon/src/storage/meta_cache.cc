// MetaCache: striped, segmented LRU of metadata file contents, generation tickets against a read
// racing a change, the change rules, and the registry that gives every LocalDisk of a drive one
// cache.
#include "flashstor/storage/meta_cache.h"

#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "flashstor/storage/storage_api.h"

namespace flashstor::storage {
namespace {

std::string_view Basename(std::string_view rel) {
  const size_t slash = rel.rfind('/');
  return slash == std::string_view::npos ? rel : rel.substr(slash + 1);
}

bool UnderSysVolume(std::string_view rel) {
  return rel.starts_with(kSysVolume) &&
         (rel.size() == kSysVolume.size() || rel[kSysVolume.size()] == '/');
}

// Whether a component of rel names a data dir ("%d.<uuid>"): user key components that start
// with '%' are escaped to "%e..." (key_path.h), so only the engine's own dirs match.
bool InDataDir(std::string_view rel) {
  size_t start = 0;
  while (start < rel.size()) {
    if (rel.substr(start).starts_with(kDataDirPrefix)) return true;
    const size_t slash = rel.find('/', start);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return false;
}

struct Registry {
  std::mutex mu;
  std::map<std::pair<dev_t, ino_t>, std::weak_ptr<MetaCache>> drives;
};

Registry& Drives() {
  static Registry* registry = new Registry();  // never destroyed: used until exit
  return *registry;
}

// The caches of the drives open now (used outside the registry's lock).
std::vector<std::shared_ptr<MetaCache>> OpenCaches() {
  std::vector<std::shared_ptr<MetaCache>> open;
  Registry& r = Drives();
  std::lock_guard<std::mutex> lock(r.mu);
  for (auto& [id, weak] : r.drives) {
    if (auto c = weak.lock()) open.push_back(std::move(c));
  }
  return open;
}

}  // namespace

MetaCache::MetaCache(size_t capacity_bytes) : stripe_capacity_(capacity_bytes / kStripes) {}

std::shared_ptr<MetaCache> MetaCache::ForDrive(dev_t dev, ino_t ino, size_t capacity_bytes) {
  Registry& r = Drives();
  std::lock_guard<std::mutex> lock(r.mu);
  std::weak_ptr<MetaCache>& slot = r.drives[{dev, ino}];
  std::shared_ptr<MetaCache> cache = slot.lock();
  if (cache == nullptr) {
    cache = std::make_shared<MetaCache>(capacity_bytes);
    slot = cache;
  } else {
    cache->clear();
  }
  // Drop the slots of drives nobody has open any more.
  for (auto it = r.drives.begin(); it != r.drives.end();) {
    it = it->second.expired() ? r.drives.erase(it) : std::next(it);
  }
  return cache;
}

bool MetaCache::Cacheable(std::string_view rel) {
  return Basename(rel) == kMetaFile && !UnderSysVolume(rel);
}

size_t MetaCache::stripe_of(std::string_view rel) const {
  return std::hash<std::string_view>()(rel) % kStripes;
}

MetaCache::Ticket MetaCache::ticket(std::string_view rel) const {
  const size_t i = stripe_of(rel);
  return {i, stripes_[i].generation.load(std::memory_order_acquire)};
}

SharedBytes MetaCache::find(std::string_view rel) {
  Stripe& s = stripes_[stripe_of(rel)];
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.index.find(rel);
  if (it == s.index.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  promote_locked(s, it->second);
  hits_.fetch_add(1, std::memory_order_relaxed);
  return it->second->value;
}

void MetaCache::promote_locked(Stripe& s, List::iterator it) {
  if (it->hot) {
    s.protected_.splice(s.protected_.begin(), s.protected_, it);
    return;
  }
  const size_t cost = Cost(*it);
  s.protected_.splice(s.protected_.begin(), s.probation, it);
  it->hot = true;
  s.probation_bytes -= cost;
  s.protected_bytes += cost;
  const size_t protected_cap = static_cast<size_t>(stripe_capacity_ * kProtectedShare);
  while (s.protected_bytes > protected_cap && s.protected_.size() > 1) {
    // The least recently read protected file goes back to probation, as its newest.
    auto last = std::prev(s.protected_.end());
    const size_t last_cost = Cost(*last);
    last->hot = false;
    s.probation.splice(s.probation.begin(), s.protected_, last);
    s.protected_bytes -= last_cost;
    s.probation_bytes += last_cost;
  }
}

void MetaCache::insert(std::string_view rel, SharedBytes contents, Ticket ticket) {
  if (contents == nullptr) return;
  Entry fresh{std::string(rel), std::move(contents)};
  const size_t cost = Cost(fresh);
  if (cost > stripe_capacity_ / 4) return;  // a large file (inline data, many parts) is not kept
  Stripe& s = stripes_[ticket.stripe];
  std::lock_guard<std::mutex> lock(s.mu);
  // A change since the ticket may have come after the read: what was read may be stale.
  if (s.generation.load(std::memory_order_acquire) != ticket.generation) return;
  if (auto it = s.index.find(rel); it != s.index.end()) erase_locked(s, it->second);
  while (s.probation_bytes + s.protected_bytes + cost > stripe_capacity_) {
    List& from = s.probation.empty() ? s.protected_ : s.probation;
    if (from.empty()) break;
    erase_locked(s, std::prev(from.end()));
  }
  s.probation.push_front(std::move(fresh));
  s.index.emplace(s.probation.front().key, s.probation.begin());
  s.probation_bytes += cost;
}

void MetaCache::erase_locked(Stripe& s, List::iterator it) {
  (it->hot ? s.protected_bytes : s.probation_bytes) -= Cost(*it);
  s.index.erase(it->key);
  (it->hot ? s.protected_ : s.probation).erase(it);
}

void MetaCache::changed(std::string_view rel) {
  if (Cacheable(rel)) {
    Stripe& s = stripes_[stripe_of(rel)];
    std::lock_guard<std::mutex> lock(s.mu);
    s.generation.fetch_add(1, std::memory_order_acq_rel);
    if (auto it = s.index.find(rel); it != s.index.end()) erase_locked(s, it->second);
    return;
  }
  if (UnderSysVolume(rel) || InDataDir(rel) || Basename(rel).starts_with("%m.")) return;
  clear();  // a key's or a bucket's directory: any metadata file below it may have changed
}

void MetaCache::clear() {
  for (Stripe& s : stripes_) {
    std::lock_guard<std::mutex> lock(s.mu);
    s.generation.fetch_add(1, std::memory_order_acq_rel);
    s.index.clear();
    s.probation.clear();
    s.protected_.clear();
    s.probation_bytes = s.protected_bytes = 0;
  }
}

MetaCache::Totals MetaCache::totals() const {
  Totals t;
  t.hits = hits_.load(std::memory_order_relaxed);
  t.misses = misses_.load(std::memory_order_relaxed);
  for (const Stripe& s : stripes_) {
    std::lock_guard<std::mutex> lock(s.mu);
    t.bytes += s.probation_bytes + s.protected_bytes;
    t.entries += s.probation.size() + s.protected_.size();
  }
  return t;
}

void MetaCache::ClearAll() {
  for (const auto& c : OpenCaches()) c->clear();
}

MetaCache::Totals MetaCache::AllDrives() {
  Totals sum;
  for (const auto& c : OpenCaches()) {
    const Totals t = c->totals();
    sum.hits += t.hits;
    sum.misses += t.misses;
    sum.bytes += t.bytes;
    sum.entries += t.entries;
  }
  return sum;
}

}  // namespace flashstor::storage
