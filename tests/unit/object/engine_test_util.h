// Helpers for the object unit tests: in-memory request bodies, engines on temporary drives,
// and whole-object reads.
#pragma once

#include <sys/stat.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../storage/disk_test_util.h"
#include "../storage/temp_dir.h"
#include "flashstor/hash/hashing_source.h"
#include "flashstor/object/erasure_sets.h"

namespace flashstor::testing {

// A body served in chunks of at most chunk bytes; fails with kIncompleteBody after
// fail_after bytes when set (a client that disconnects).
class MemSource final : public DataSource {
 public:
  explicit MemSource(std::string_view data, size_t chunk = 100000, int64_t fail_after = -1)
      : data_(data), chunk_(chunk), fail_after_(fail_after) {}
  Result<size_t> read(std::span<char> out) override {
    if (fail_after_ >= 0 && pos_ >= static_cast<size_t>(fail_after_)) {
      return Err(Code::kIncompleteBody, "client went away");
    }
    size_t n = std::min({out.size(), chunk_, data_.size() - pos_});
    if (fail_after_ >= 0) n = std::min(n, static_cast<size_t>(fail_after_) - pos_);
    std::memcpy(out.data(), data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string_view data_;
  size_t chunk_;
  int64_t fail_after_;
  size_t pos_ = 0;
};

inline std::string RandomData(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

inline Result<object::ObjectInfo> Put(object::ObjectLayer& layer, std::string_view bucket,
                                      std::string_view key, std::string_view data,
                                      const object::PutOptions& opt = {}) {
  MemSource src(data);
  hash::HashingSource body(src, hash::Expectations{});
  return layer.put_object({}, bucket, key, body, static_cast<int64_t>(data.size()), opt);
}

// The same under a request's context (its deadline).
inline Result<object::ObjectInfo> Put(object::ObjectLayer& layer, const object::RequestContext& ctx,
                                      std::string_view bucket, std::string_view key,
                                      std::string_view data) {
  MemSource src(data);
  hash::HashingSource body(src, hash::Expectations{});
  return layer.put_object(ctx, bucket, key, body, static_cast<int64_t>(data.size()), {});
}

inline Result<std::string> ReadAll(object::ObjectReader& reader) {
  std::string out;
  char buf[65536 + 7];
  while (true) {
    auto n = reader.read(buf);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

inline Result<std::string> Get(object::ObjectLayer& layer, std::string_view bucket,
                               std::string_view key, uint64_t offset = 0, int64_t length = -1) {
  auto r = layer.open_object({}, bucket, key);
  if (!r) return std::unexpected(r.error());
  if (length >= 0) (*r)->set_range(offset, static_cast<uint64_t>(length));
  return ReadAll(**r);
}

inline Result<std::string> Get(object::ObjectLayer& layer, const object::RequestContext& ctx,
                               std::string_view bucket, std::string_view key) {
  auto r = layer.open_object(ctx, bucket, key);
  if (!r) return std::unexpected(r.error());
  return ReadAll(**r);
}

// The status of a result (Ok when it holds a value).
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r ? Status::Ok() : r.error();
}

// A request context whose deadline is `left` from now.
inline object::RequestContext WithDeadline(std::chrono::milliseconds left) {
  object::RequestContext ctx;
  ctx.trace_id = "TESTTRACE";
  ctx.deadline = object::RequestContext::Clock::now() + left;
  return ctx;
}

// n drive directories d0..d(n-1) under dir.
inline std::vector<std::string> MakeDrives(const TempDir& dir, int n) {
  std::vector<std::string> paths;
  for (int i = 0; i < n; ++i) {
    paths.push_back(dir.sub("d" + std::to_string(i)));
    mkdir(paths.back().c_str(), 0700);
  }
  return paths;
}

// Writes return at write quorum: a drive that answers after the grace is left out of the
// object and healed later. On a loaded machine a healthy drive can miss the production grace
// of a few milliseconds, so tests that check every drive's files after a write would flake;
// 10 s is far beyond any scheduling delay and costs nothing while every drive answers. Tests
// of hung or slow drives set min_quorum_grace_ms back to 0 (the production graces).
inline constexpr int64_t kTestQuorumGraceMs = 10'000;

inline object::EngineConfig TestConfig() {
  object::EngineConfig c;
  c.background = false;
  c.io_threads = 8;
  c.min_quorum_grace_ms = kTestQuorumGraceMs;
  return c;
}

inline std::unique_ptr<object::ErasureSets> MustOpen(const std::vector<std::string>& paths,
                                                     const object::EngineConfig& config) {
  std::string detail;
  auto e = object::OpenEngine(paths, config, &detail);
  if (!e) fprintf(stderr, "OpenEngine failed: %s\n", detail.c_str());
  if (!e) abort();
  return std::move(*e);
}

}  // namespace flashstor::testing

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace flashstor::testing {

// Path of a plain key's part file on one drive ("" when there is none).
inline std::string ShardFile(const std::string& drive, const std::string& bucket,
                             const std::string& key, int part = 1) {
  std::string dir = drive + "/" + bucket + "/" + key;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return "";
  std::string found;
  while (dirent* e = readdir(d)) {
    if (std::string_view(e->d_name).starts_with("%d.")) found = dir + "/" + e->d_name;
  }
  closedir(d);
  return found.empty() ? "" : found + "/part." + std::to_string(part);
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Flips one byte of a file at offset (from the end when offset < 0).
inline void CorruptByte(const std::string& path, long offset) {
  FILE* f = fopen(path.c_str(), "r+b");
  if (f == nullptr) abort();
  fseek(f, offset, offset < 0 ? SEEK_END : SEEK_SET);
  int c = fgetc(f);
  fseek(f, -1, SEEK_CUR);
  fputc(c ^ 0x5A, f);
  fclose(f);
  ForgetCachedMetadata(path);  // behind the engine's back
}

inline void Truncate(const std::string& path, off_t size) {
  if (truncate(path.c_str(), size) != 0) abort();
  ForgetCachedMetadata(path);
}

}  // namespace flashstor::testing
