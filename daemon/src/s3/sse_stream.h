// The streams that apply the package format: EncryptingSource seals a client body into
// packages on its way to the object layer; DecryptingReader opens an object's packages,
// only those a range touches, on their way back.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "flashstor/common/data_stream.h"
#include "flashstor/object/object_layer.h"
#include "flashstor/s3/sse_layout.h"
#include "flashstor/s3/sse_package.h"

namespace flashstor::s3::sse {

// The owned half of a PackageContext (the views of PackageContext point into it).
struct PackageBinding {
  std::string bucket, key;
  std::array<unsigned char, kObjectIdBytes> object_id{};
  uint32_t part = 1;
  PackageContext view() const { return {bucket, key, object_id, part}; }
};

class EncryptingSource final : public DataSource {
 public:
  EncryptingSource(DataSource& plain, const Key& data_key, PackageBinding binding);
  ~EncryptingSource() override;
  Result<size_t> read(std::span<char> out) override;

 private:
  Status fill();  // seals the next package into out_

  DataSource& plain_;
  Key key_;
  PackageBinding binding_;
  std::vector<unsigned char> cur_, next_, out_;
  size_t next_len_ = 0;
  bool next_loaded_ = false, done_ = false;
  size_t out_pos_ = 0;
  uint64_t seq_ = 0;
  Status error_;
};

class DecryptingReader final : public object::ObjectReader {
 public:
  // inner reads the stored packages of an object laid out as `layout` says (binding.part
  // is then ignored: each package's part comes from the layout).
  DecryptingReader(std::unique_ptr<object::ObjectReader> inner, const Key& data_key,
                   PackageBinding binding, PackageLayout layout);
  // A single-part object (part binding.part) whose plaintext is inner->info().size bytes.
  DecryptingReader(std::unique_ptr<object::ObjectReader> inner, const Key& data_key,
                   PackageBinding binding);
  ~DecryptingReader() override;
  const object::ObjectInfo& info() const override { return inner_->info(); }
  void set_range(uint64_t offset, uint64_t length) override;
  Result<size_t> read(std::span<char> out) override;

 private:
  Status open_next();

  std::unique_ptr<object::ObjectReader> inner_;
  Key key_;
  PackageBinding binding_;
  PackageLayout layout_;
  uint64_t pos_ = 0, end_ = 0;
  PackageRef next_;  // the next package to open
  bool has_next_ = false;
  std::vector<unsigned char> cipher_, plain_;
  size_t plain_pos_ = 0, plain_len_ = 0;
  Status error_;
};

}  // namespace flashstor::s3::sse
