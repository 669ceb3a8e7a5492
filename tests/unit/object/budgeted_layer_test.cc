// BudgetedLayer over a real engine: a large PUT (or part) holds its grant of the request memory
// budget while its shard buffers are out, and gives it back once its data is written, before
// the commit's metadata writes and fsyncs; small ones take none; reads keep theirs until the
// reader goes.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "drive_fault_fixture.h"
#include "flashstor/object/budgeted_layer.h"
#include "flashstor/task/memory_budget.h"

using namespace flashstor;
using namespace flashstor::testing;

namespace {

// The budget in use whenever drive 0 runs a call of the commit (a PUT's version commit; a
// part's rename into its upload and its record): the most seen.
struct CommitProbe {
  task::MemoryBudget& budget;
  std::mutex mu;
  std::vector<uint64_t> seen;

  void install(storage::FaultyDisk& drive) {
    for (storage::DriveCall c : {storage::DriveCall::kCommitVersion, storage::DriveCall::kRename,
                                 storage::DriveCall::kWriteAll, storage::DriveCall::kLinkFiles}) {
      drive.set(c, storage::FaultRule::Hook([this] {
                  std::lock_guard<std::mutex> lock(mu);
                  seen.push_back(budget.in_use());
                }));
    }
  }
  uint64_t most() {
    std::lock_guard<std::mutex> lock(mu);
    assert_false(seen.empty());
    return *std::max_element(seen.begin(), seen.end());
  }
};

// A 1 MiB PUT takes a grant of 2 MiB (its stripe of data and parity shards) and holds none of
// it through its commit: the buffers are back in the pool by then, and the next large request
// can have the memory. Before, the grant was held until the PUT returned, so commits (fsyncs)
// counted against the budget as if they held shards.
void test_put_gives_its_grant_back_before_the_commit(void**) {
  HealthEngine f{storage::HealthOptions()};
  task::MemoryBudget budget(8 * kMiB);
  object::BudgetedLayer layer(*f.e, budget, std::chrono::milliseconds(1000));
  CommitProbe probe{budget, {}, {}};
  probe.install(*f.faulty[0]);
  const std::string data = RandomData(kMiB, 3);
  assert_true(Put(layer, "bucket", "big", data).has_value());
  fprintf(stderr, "budget in use during the PUT's commit: %llu bytes\n",
          static_cast<unsigned long long>(probe.most()));
  assert_int_equal(probe.most(), 0);
  assert_int_equal(budget.in_use(), 0);
  assert_true(*Get(*f.e, "bucket", "big") == data);
}

// The same for a part of a multipart upload.
void test_part_gives_its_grant_back_before_the_commit(void**) {
  HealthEngine f{storage::HealthOptions()};
  task::MemoryBudget budget(8 * kMiB);
  object::BudgetedLayer layer(*f.e, budget, std::chrono::milliseconds(1000));
  auto id = layer.new_multipart_upload({}, "bucket", "mp", {}, hash::ChecksumAlgo::kNone);
  assert_true(id.has_value());
  CommitProbe probe{budget, {}, {}};
  probe.install(*f.faulty[0]);
  const std::string data = RandomData(5 * kMiB, 4);
  MemSource src(data);
  hash::HashingSource body(src, hash::Expectations{});
  assert_true(layer.put_object_part({}, "bucket", "mp", *id, 1, body, 5 * kMiB).has_value());
  assert_int_equal(probe.most(), 0);
  assert_int_equal(budget.in_use(), 0);
}

// While the data is written the grant is held: a PUT whose drives' writes are slow shows it
// in use (the budget bounds the shard buffers out, not the requests).
void test_put_holds_its_grant_while_writing(void**) {
  HealthEngine f{storage::HealthOptions()};
  task::MemoryBudget budget(8 * kMiB);
  object::BudgetedLayer layer(*f.e, budget, std::chrono::milliseconds(1000));
  std::atomic<uint64_t> during_write{0};
  f.faulty[0]->set(storage::DriveCall::kWrite, storage::FaultRule::Hook([&] {
                     during_write = std::max<uint64_t>(during_write.load(), budget.in_use());
                   }));
  const std::string data = RandomData(kMiB, 5);
  assert_true(Put(layer, "bucket", "w", data).has_value());
  assert_int_equal(during_write.load(), object::BudgetedLayer::PutBufferBytes(kMiB));
  assert_int_equal(budget.in_use(), 0);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_put_gives_its_grant_back_before_the_commit),
      cmocka_unit_test(test_part_gives_its_grant_back_before_the_commit),
      cmocka_unit_test(test_put_holds_its_grant_while_writing),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}
