// Unit tests of the authorizer's decision cache: a cached decision is re-made after a bucket
// policy change (the authorisation epoch), entries are told apart by the values of the
// condition keys their policies read, the deciding statement is named, and a stress test:
// deciders on several threads while another thread flips the bucket policy; once a flip has
// returned, no decision may come from the policy before it.
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fake_object_layer.h"
#include "flashstor/iam/iam_store.h"
#include "flashstor/object/bucket_metadata.h"
#include "flashstor/obs/metrics.h"
#include "s3/authorizer.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::s3;

namespace {

// The fake layer made safe for the stress test (it is single-threaded by itself).
class LockedLayer : public testing::FakeObjectLayer {
 public:
  Result<std::shared_ptr<const object::BucketMetadata>> get_bucket_metadata(
      const object::RequestContext& ctx, std::string_view bucket) override {
    std::lock_guard<std::mutex> lock(mu_);
    return FakeObjectLayer::get_bucket_metadata(ctx, bucket);
  }
  Status update_bucket_metadata(
      const object::RequestContext& ctx, std::string_view bucket,
      const std::function<Status(object::BucketMetadata&)>& change) override {
    std::lock_guard<std::mutex> lock(mu_);
    return FakeObjectLayer::update_bucket_metadata(ctx, bucket, change);
  }

 private:
  std::mutex mu_;
};

std::string Policy(std::string_view effect, std::string_view sid, std::string_view condition = {}) {
  std::string doc = R"({"Version":"2012-10-17","Statement":[{"Sid":")" + std::string(sid) +
                    R"(","Effect":")" + std::string(effect) +
                    R"(","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*")";
  if (!condition.empty()) doc += R"(,"Condition":)" + std::string(condition);
  return doc + "}]}";
}

void SetPolicy(object::ObjectLayer& layer, const std::string& doc) {
  Status s = layer.update_bucket_metadata({}, "b", [&](object::BucketMetadata& m) {
    if (doc.empty()) {
      m.configs.erase(std::string(object::kConfigPolicy));
    } else {
      m.configs[std::string(object::kConfigPolicy)] = doc;
    }
    return Status::Ok();
  });
  assert_true(s.ok());
}

struct Fixture {
  LockedLayer layer;
  std::unique_ptr<iam::IamStore> iam;
  std::unique_ptr<Authorizer> authz;
  auth::AuthContext anonymous;

  Fixture() {
    auth::Credential root;
    root.access_key = "root";
    root.secret_key = "rootsecret1234";
    auto store = iam::IamStore::Open(root, {});
    assert_true(store.has_value());
    iam = std::move(*store);
    authz = std::make_unique<Authorizer>(layer, *iam);
    assert_true(layer.make_bucket({}, "b").ok());
  }

  AuthzVerdict Get(std::string_view key, std::string_view remote = "10.1.2.3:5000") {
    return authz->decide({.auth = anonymous,
                          .action = "s3:GetObject",
                          .resource = S3Arn("b", key),
                          .bucket = "b",
                          .query = {},
                          .remote_address = remote,
                          .secure = false});
  }
};

uint64_t Hits() {
  return obs::DefaultRegistry().counter("flashstor_authz_cache_hits_total").value();
}

void PolicyChangeIsSeenByTheNextDecision(void**) {
  Fixture f;
  SetPolicy(f.layer, Policy("Allow", "Reads"));
  assert_true(f.Get("k").allowed);
  uint64_t hits = Hits();
  AuthzVerdict again = f.Get("k");
  assert_true(again.allowed);
  assert_int_equal(Hits(), hits + 1);  // answered from the cache
  assert_string_equal(again.deciding.c_str(), "bucket:policy:Reads");

  SetPolicy(f.layer, Policy("Deny", "NoReads"));
  AuthzVerdict denied = f.Get("k");
  assert_false(denied.allowed);
  assert_string_equal(denied.deciding.c_str(), "bucket:policy:NoReads");

  SetPolicy(f.layer, "");
  AuthzVerdict none = f.Get("k");
  assert_false(none.allowed);
  assert_string_equal(none.deciding.c_str(), "implicit deny");
}

void ConditionValuesArePartOfTheEntry(void**) {
  Fixture f;
  SetPolicy(f.layer, Policy("Allow", "Lan", R"({"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}})"));
  assert_true(f.Get("k", "10.1.2.3:5000").allowed);
  assert_true(f.Get("k", "10.1.2.3:5001").allowed);  // another port, same source IP
  assert_false(f.Get("k", "192.168.1.1:5000").allowed);
  assert_true(f.Get("k", "10.9.9.9:5000").allowed);
  assert_false(f.Get("k", "[2001:db8::1]:5000").allowed);
}

void CacheStaysBoundedAndCorrect(void**) {
  Fixture f;
  SetPolicy(f.layer, Policy("Allow", "Reads"));
  for (int i = 0; i < 3 * static_cast<int>(DecisionCache::kSlots); ++i) {
    assert_true(f.Get("k" + std::to_string(i)).allowed);
  }
  SetPolicy(f.layer, Policy("Deny", "NoReads"));
  for (int i = 0; i < 3 * static_cast<int>(DecisionCache::kSlots); i += 97) {
    assert_false(f.Get("k" + std::to_string(i)).allowed);
  }
}

// The bench's shape: 256 hot objects on one thread. Direct-mapped, about eight pairs of them
// shared a slot and missed on every request; in sets of four ways every one stays cached.
void HotKeysSharingASetStayCached(void**) {
  DecisionCache cache;
  const iam::RequestContext ctx;
  constexpr int kHot = 256;
  auto prepare = [&](int i) {
    cache.prepare(1, "arn:aws:iam::000000000000:user/app", "s3:GetObject",
                  "arn:aws:s3:::bucket/4k/" + std::to_string(i));
  };
  for (int i = 0; i < kHot; ++i) {
    prepare(i);
    assert_null(cache.find(7, ctx));
    cache.store(7, {}, ctx, AuthzVerdict{true, "user", "identity:p:#0"});
  }
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < kHot; ++i) {
      prepare(i);
      const AuthzVerdict* hit = cache.find(7, ctx);
      assert_non_null(hit);
      assert_true(hit->allowed);
    }
  }
  prepare(0);
  assert_null(cache.find(8, ctx));  // another epoch never answers from these entries
}

void NoThreadAnswersFromAnOldPolicyAfterTheFlip(void**) {
  Fixture f;
  constexpr int kThreads = 4;
  constexpr int kFlips = 300;
  const std::string allow = Policy("Allow", "A"), deny = Policy("Deny", "D");
  SetPolicy(f.layer, allow);
  std::atomic<int> flips_started{0};
  std::atomic<int> flips_done{0};  // flip n done: the policy is deny when n is odd
  std::atomic<bool> stop{false};
  std::atomic<int> stale{0};
  std::atomic<long> decisions{0};
  std::vector<std::thread> deciders;
  for (int t = 0; t < kThreads; ++t) {
    deciders.emplace_back([&, t] {
      const std::string key = "k" + std::to_string(t % 2);  // threads share entries' keys
      while (!stop.load()) {
        int done = flips_done.load(std::memory_order_acquire);
        bool allowed = f.Get(key).allowed;
        int started = flips_started.load(std::memory_order_acquire);
        // No flip began between the last one that returned and the decision's end: the
        // decision must be that flip's policy.
        if (started == done && allowed != (done % 2 == 0)) stale.fetch_add(1);
        decisions.fetch_add(1);
      }
    });
  }
  for (int n = 1; n <= kFlips; ++n) {
    flips_started.store(n, std::memory_order_release);
    SetPolicy(f.layer, n % 2 == 1 ? deny : allow);
    flips_done.store(n, std::memory_order_release);
    std::this_thread::yield();
  }
  // On a loaded machine the deciders may have had little CPU during the flips: let them
  // decide (against the final policy, still checked) until there are enough decisions.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (decisions.load() <= kFlips && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop.store(true);
  for (auto& t : deciders) t.join();
  assert_int_equal(stale.load(), 0);
  assert_true(decisions.load() > kFlips);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(PolicyChangeIsSeenByTheNextDecision),
      cmocka_unit_test(ConditionValuesArePartOfTheEntry),
      cmocka_unit_test(CacheStaysBoundedAndCorrect),
      cmocka_unit_test(HotKeysSharingASetStayCached),
      cmocka_unit_test(NoThreadAnswersFromAnOldPolicyAfterTheFlip),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
