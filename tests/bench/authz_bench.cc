// authz_bench: nanoseconds per authorisation decision, answered from the per-thread decision
// cache and evaluated from the policies, for a realistic set: an IAM user with two inline
// policies (one with an aws:SourceIp condition) and a 20-statement bucket policy.
// Usage: authz_bench [--seconds S] [--json]   (prints figures; never fails on slowness)
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include "../unit/s3/fake_object_layer.h"
#include "flashstor/iam/iam_store.h"
#include "flashstor/object/bucket_metadata.h"
#include "flashstor/storage/local_disk.h"
#include "s3/authorizer.h"

namespace {

using namespace flashstor;
using Clock = std::chrono::steady_clock;

constexpr double kMaxSeconds = 60;

std::string BucketPolicy() {
  std::string doc = R"({"Version":"2012-10-17","Statement":[)";
  for (int i = 0; i < 19; ++i) {
    // Statements that do not apply to the measured request, as a shared bucket grows them.
    doc += R"({"Sid":"Team)" + std::to_string(i) +
           R"(","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/team)" +
           std::to_string(i) +
           R"("},"Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bench/team)" +
           std::to_string(i) + R"(/*"},)";
  }
  doc += R"({"Sid":"DenyInsecureDeletes","Effect":"Deny","Principal":"*",)"
         R"("Action":"s3:DeleteObject","Resource":"arn:aws:s3:::bench/*",)"
         R"("Condition":{"Bool":{"aws:SecureTransport":"false"}}}]})";
  return doc;
}

constexpr const char* kReadPolicy =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject",)"
    R"("s3:ListBucket"],"Resource":["arn:aws:s3:::bench","arn:aws:s3:::bench/data/*"],)"
    R"("Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}}]})";
constexpr const char* kWritePolicy =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject",)"
    R"("Resource":"arn:aws:s3:::bench/${aws:username}/*"},{"Effect":"Deny","Action":)"
    R"("s3:DeleteBucket","Resource":"*"}]})";

double Measure(s3::Authorizer& authz, const s3::AuthzRequest& base, bool cached, double secs,
               long& count) {
  long n = 0;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(secs);
  std::string resource;
  while (true) {
    for (int i = 0; i < 256; ++i, ++n) {
      s3::AuthzRequest r = base;
      r.resource = "arn:aws:s3:::bench/data/obj-" + std::to_string(n % 64);
      s3::AuthzVerdict v = cached ? authz.decide(r) : authz.decide_uncached(r);
      if (!v.allowed) {
        std::fprintf(stderr, "authz_bench: the measured request was denied (%s)\n",
                     v.deciding.c_str());
        std::exit(1);
      }
    }
    if (Clock::now() >= end) break;
  }
  count = n;
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() /
         static_cast<double>(n);
}

}  // namespace

int main(int argc, char** argv) {
  double secs = 1;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      json = true;
    } else if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      secs = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: authz_bench [--seconds S] [--json]\n");
      return 2;
    }
  }
  if (!(secs > 0 && secs <= kMaxSeconds)) {
    std::fprintf(stderr, "authz_bench: --seconds must be in (0, %g]\n", kMaxSeconds);
    return 2;
  }
  char tmpl[] = "/tmp/authz_bench.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;
  int rc = 1;
  {
    auth::Credential root;
    root.access_key = "benchroot";
    root.secret_key = "benchrootsecret";
    auto disk = storage::LocalDisk::Open(dir);
    if (!disk) {
      std::fprintf(stderr, "authz_bench: cannot open a scratch drive in %s\n", dir.c_str());
      return 1;
    }
    auto store =
        iam::IamStore::Open(root, {std::shared_ptr<storage::StorageApi>(std::move(*disk))});
    s3::testing::FakeObjectLayer layer;
    if (store && layer.make_bucket({}, "bench").ok()) {
      auto changed = (*store)->update([](iam::IamState& s) -> std::optional<iam::IamError> {
        iam::User& u = s.users["alice"];
        u.name = "alice";
        u.id = "AIDABENCHALICE";
        iam::AccessKey key;
        key.id = "AKIABENCHALICE";
        key.secret = "benchsecret";
        u.keys.push_back(key);
        u.inline_policies.documents["read"] = kReadPolicy;
        u.inline_policies.documents["write"] = kWritePolicy;
        return std::nullopt;
      });
      (void)layer.update_bucket_metadata({}, "bench", [](object::BucketMetadata& m) {
        m.configs[std::string(object::kConfigPolicy)] = BucketPolicy();
        return Status::Ok();
      });
      s3::Authorizer authz(layer, **store);
      auth::AuthContext who;
      who.anonymous = false;
      who.access_key = "AKIABENCHALICE";
      s3::AuthzRequest base{.auth = who,
                            .action = "s3:GetObject",
                            .resource = {},
                            .bucket = "bench",
                            .query = {},
                            .remote_address = "10.0.0.5:40000",
                            .secure = false};
      long n_uncached = 0, n_cached = 0;
      if (!changed) {
        double uncached = Measure(authz, base, false, secs, n_uncached);
        double cached = Measure(authz, base, true, secs, n_cached);
        if (json) {
          std::printf(
              "{\"uncached_ns\":%.1f,\"cached_ns\":%.1f,\"uncached_n\":%ld,\"cached_n\":%ld}\n",
              uncached, cached, n_uncached, n_cached);
        } else {
          std::printf("authz decision, evaluated (uncached): %8.1f ns (%ld decisions)\n", uncached,
                      n_uncached);
          std::printf("authz decision, from the cache:       %8.1f ns (%ld decisions)\n", cached,
                      n_cached);
        }
        rc = 0;
      }
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return rc;
}
