// FaultyDisk: a StorageApi decorator for tests that forwards to a real drive and fails
// chosen operations on demand (metadata commits, shard writes after N bytes, shard reads
// past an offset, hard links), with a chosen error (a faulty drive, or a full one), or runs a
// hook where a race must be provoked.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "flashstor/storage/storage_api.h"

namespace flashstor::testing {

class FaultyDisk final : public storage::StorageApi {
 public:
  explicit FaultyDisk(std::shared_ptr<storage::StorageApi> inner) : inner_(std::move(inner)) {}

  std::atomic<bool> fail_meta_writes{false};   // write_all of %m.json fails
  std::atomic<int> meta_writes_left{-1};       // when >= 0: that many succeed, then they fail
  std::atomic<int64_t> fail_shard_after{-1};   // shard writers fail after this many bytes
  std::atomic<Code> fault{Code::kFaultyDisk};  // what injected failures answer (kDiskFull: ENOSPC)
  std::atomic<int64_t> fail_reads_from{-1};    // file reads at or past this offset fail
  std::atomic<bool> fail_links{false};         // link_files links, then reports a failure
  std::function<void()> on_link;               // runs before link_files returns (set idle)

  const std::string& endpoint() const override { return inner_->endpoint(); }
  Result<storage::DiskInfo> disk_info() override { return inner_->disk_info(); }
  Status make_volume(std::string_view v) override { return inner_->make_volume(v); }
  Result<std::vector<storage::VolumeInfo>> list_volumes() override {
    return inner_->list_volumes();
  }
  Result<storage::VolumeInfo> stat_volume(std::string_view v) override {
    return inner_->stat_volume(v);
  }
  Status delete_volume(std::string_view v, bool force) override {
    return inner_->delete_volume(v, force);
  }
  Result<std::string> read_all(std::string_view v, std::string_view k,
                               std::string_view f) override {
    return inner_->read_all(v, k, f);
  }
  Status write_all(std::string_view v, std::string_view k, std::string_view f,
                   std::string_view data) override {
    if (f == storage::kMetaFile && (fail_meta_writes || meta_writes_left == 0)) {
      return Status(fault.load(), "injected");
    }
    if (f == storage::kMetaFile && meta_writes_left > 0) --meta_writes_left;
    return inner_->write_all(v, k, f, data);
  }
  Result<std::unique_ptr<storage::FileWriter>> create_file(std::string_view v, std::string_view k,
                                                           std::string_view f) override {
    auto w = inner_->create_file(v, k, f);
    if (!w || fail_shard_after < 0) return w;
    return std::unique_ptr<storage::FileWriter>(
        std::make_unique<Writer>(std::move(*w), fail_shard_after.load(), fault.load()));
  }
  Result<std::unique_ptr<storage::FileReader>> open_file(std::string_view v, std::string_view k,
                                                         std::string_view f) override {
    auto r = inner_->open_file(v, k, f);
    if (!r || fail_reads_from < 0) return r;
    return std::unique_ptr<storage::FileReader>(
        std::make_unique<Reader>(std::move(*r), fail_reads_from.load()));
  }
  Status rename(std::string_view sv, std::string_view sk, std::string_view sf, std::string_view dv,
                std::string_view dk, std::string_view df) override {
    return inner_->rename(sv, sk, sf, dv, dk, df);
  }
  Status link_files(std::string_view sv, std::string_view sk, std::string_view sd,
                    std::string_view dv, std::string_view dk, std::string_view dd,
                    std::span<const std::string> names) override {
    Status s = inner_->link_files(sv, sk, sd, dv, dk, dd, names);
    if (on_link) on_link();
    if (fail_links) return Status(Code::kFaultyDisk, "injected link failure");
    return s;
  }
  Status delete_path(std::string_view v, std::string_view k, std::string_view f,
                     bool recursive) override {
    return inner_->delete_path(v, k, f, recursive);
  }
  Result<storage::FileStat> stat(std::string_view v, std::string_view k,
                                 std::string_view f) override {
    return inner_->stat(v, k, f);
  }
  Result<std::vector<std::string>> list_dir(std::string_view v, std::string_view k,
                                            std::string_view f, size_t limit) override {
    return inner_->list_dir(v, k, f, limit);
  }
  Result<std::unique_ptr<storage::Walker>> walk(std::string_view v,
                                                const storage::WalkOptions& o) override {
    return inner_->walk(v, o);
  }

 private:
  class Writer final : public storage::FileWriter {
   public:
    Writer(std::unique_ptr<storage::FileWriter> inner, int64_t budget, Code fault)
        : inner_(std::move(inner)), budget_(budget), fault_(fault) {}
    Status write(std::span<const uint8_t> data) override {
      budget_ -= static_cast<int64_t>(data.size());
      if (budget_ < 0) return Status(fault_, "injected write failure");
      return inner_->write(data);
    }
    Status close() override { return inner_->close(); }

   private:
    std::unique_ptr<storage::FileWriter> inner_;
    int64_t budget_;
    Code fault_;
  };

  class Reader final : public storage::FileReader {
   public:
    Reader(std::unique_ptr<storage::FileReader> inner, int64_t fail_from)
        : inner_(std::move(inner)), fail_from_(fail_from) {}
    uint64_t size() const override { return inner_->size(); }
    Result<size_t> read_at(std::span<uint8_t> out, uint64_t offset) override {
      if (offset >= static_cast<uint64_t>(fail_from_)) {
        return Err(Code::kFaultyDisk, "injected read failure");
      }
      return inner_->read_at(out, offset);
    }

   private:
    std::unique_ptr<storage::FileReader> inner_;
    int64_t fail_from_;
  };

  std::shared_ptr<storage::StorageApi> inner_;
};

}  // namespace flashstor::testing
