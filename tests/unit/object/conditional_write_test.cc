// Conditional writes and deletes in the erasure engine (WritePrecondition): If-None-Match: *
// and If-Match on PUT, CompleteMultipartUpload, metadata replacement and DELETE, checked under
// the key's write lock so that of N concurrent create-only PUTs exactly one wins.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "engine_test_util.h"

#include "cmocka_cpp.h"

using namespace flashstor;
using namespace flashstor::testing;

namespace {

struct Fixture {
  TempDir dir;
  std::unique_ptr<object::ErasureSets> e;
  explicit Fixture(int drives) : e(MustOpen(MakeDrives(dir, drives), TestConfig())) {
    assert_true(e->make_bucket({}, "bucket").ok());
  }
};

object::PutOptions IfNoneMatchAny() {
  object::PutOptions opt;
  opt.precondition.if_none_match_any = true;
  return opt;
}

object::PutOptions IfMatch(std::string etag) {
  object::PutOptions opt;
  opt.precondition.if_match = std::move(etag);
  return opt;
}

void test_put_if_none_match(void**) {
  Fixture f(4);
  auto first = Put(*f.e, "bucket", "k", "old", IfNoneMatchAny());
  assert_true(first.has_value());
  auto second = Put(*f.e, "bucket", "k", "new", IfNoneMatchAny());
  assert_false(second.has_value());
  assert_int_equal(second.error().code(), Code::kPreconditionFailed);
  assert_true(*Get(*f.e, "bucket", "k") == "old");
  // Large bodies take the data-dir path; the loser's staged data is removed with it.
  std::string big = RandomData(3u << 20, 7);
  auto big_second = Put(*f.e, "bucket", "k", big, IfNoneMatchAny());
  assert_int_equal(big_second.error().code(), Code::kPreconditionFailed);
  assert_true(*Get(*f.e, "bucket", "k") == "old");
}

void test_put_if_match(void**) {
  Fixture f(4);
  auto absent = Put(*f.e, "bucket", "k", "x", IfMatch("*"));
  assert_int_equal(absent.error().code(), Code::kNoSuchKey);
  auto v1 = Put(*f.e, "bucket", "k", "v1");
  assert_true(v1.has_value());
  auto wrong = Put(*f.e, "bucket", "k", "v2", IfMatch("00112233445566778899aabbccddeeff"));
  assert_int_equal(wrong.error().code(), Code::kPreconditionFailed);
  assert_true(*Get(*f.e, "bucket", "k") == "v1");
  auto right = Put(*f.e, "bucket", "k", "v2", IfMatch(v1->etag));
  assert_true(right.has_value());
  assert_true(*Get(*f.e, "bucket", "k") == "v2");
  // Metadata replacement (copy onto itself) honours it too.
  auto meta = f.e->update_object_metadata({}, "bucket", "k", IfMatch(v1->etag));
  assert_int_equal(meta.error().code(), Code::kPreconditionFailed);
  assert_true(f.e->update_object_metadata({}, "bucket", "k", IfMatch(right->etag)).has_value());
}

void test_delete_if_match(void**) {
  Fixture f(4);
  auto v = Put(*f.e, "bucket", "k", "data");
  object::WritePrecondition wrong;
  wrong.if_match = "00112233445566778899aabbccddeeff";
  assert_int_equal(f.e->delete_object({}, "bucket", "k", wrong).code(), Code::kPreconditionFailed);
  assert_true(*Get(*f.e, "bucket", "k") == "data");
  object::WritePrecondition right;
  right.if_match = v->etag;
  assert_true(f.e->delete_object({}, "bucket", "k", right).ok());
  assert_int_equal(f.e->get_object_info({}, "bucket", "k").error().code(), Code::kNoSuchKey);
  assert_int_equal(f.e->delete_object({}, "bucket", "k", right).code(), Code::kNoSuchKey);
  assert_true(f.e->delete_object({}, "bucket", "k").ok());  // unconditional: still fine
}

void test_complete_if_none_match(void**) {
  Fixture f(4);
  assert_true(Put(*f.e, "bucket", "k", "existing").has_value());
  auto id = f.e->new_multipart_upload({}, "bucket", "k", {}, hash::ChecksumAlgo::kNone);
  assert_true(id.has_value());
  MemSource src("part one");
  hash::HashingSource body(src, hash::Expectations{});
  auto part = f.e->put_object_part({}, "bucket", "k", *id, 1, body, 8);
  assert_true(part.has_value());
  std::vector<object::CompletePart> list = {{1, part->etag, ""}};
  object::WritePrecondition create_only;
  create_only.if_none_match_any = true;
  auto refused = f.e->complete_multipart_upload({}, "bucket", "k", *id, list, create_only);
  assert_int_equal(refused.error().code(), Code::kPreconditionFailed);
  assert_true(*Get(*f.e, "bucket", "k") == "existing");
  // The upload is still there: it can be completed without the condition.
  assert_true(f.e->list_parts({}, "bucket", "k", *id, 0, 10).has_value());
  auto done = f.e->complete_multipart_upload({}, "bucket", "k", *id, list);
  assert_true(done.has_value());
  assert_true(*Get(*f.e, "bucket", "k") == "part one");
}

void test_concurrent_create_only_puts(void**) {
  Fixture f(4);
  constexpr int kThreads = 8;
  std::vector<std::string> bodies;
  for (int i = 0; i < kThreads; ++i) bodies.push_back(RandomData(300000, 100 + i));
  std::atomic<int> won{0}, refused{0}, other{0};
  std::atomic<int> winner{-1};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto r = Put(*f.e, "bucket", "race", bodies[static_cast<size_t>(i)], IfNoneMatchAny());
      if (r) {
        ++won;
        winner = i;
      } else if (r.error().code() == Code::kPreconditionFailed) {
        ++refused;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  assert_int_equal(won.load(), 1);
  assert_int_equal(refused.load(), kThreads - 1);
  assert_int_equal(other.load(), 0);
  assert_true(*Get(*f.e, "bucket", "race") == bodies[static_cast<size_t>(winner.load())]);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_put_if_none_match),
      cmocka_unit_test(test_put_if_match),
      cmocka_unit_test(test_delete_if_match),
      cmocka_unit_test(test_complete_if_none_match),
      cmocka_unit_test(test_concurrent_create_only_puts),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
