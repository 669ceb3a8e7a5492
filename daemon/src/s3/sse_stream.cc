// EncryptingSource and DecryptingReader: package sequencing, the final flag and the mapping
// of plaintext ranges to whole packages.
#include "sse_stream.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

namespace flashstor::s3::sse {

EncryptingSource::EncryptingSource(DataSource& plain, const Key& data_key, PackageBinding binding)
    : plain_(plain),
      key_(data_key),
      binding_(std::move(binding)),
      cur_(kPackagePlain),
      next_(kPackagePlain),
      out_(kPackageCipher) {
  out_.resize(0);
}

EncryptingSource::~EncryptingSource() {
  OPENSSL_cleanse(key_.data(), key_.size());
  OPENSSL_cleanse(cur_.data(), cur_.size());
  OPENSSL_cleanse(next_.data(), next_.size());
}

// One package of look-ahead: a full package is final only when nothing follows it.
Status EncryptingSource::fill() {
  size_t cur_len = 0;
  if (next_loaded_) {
    std::swap(cur_, next_);
    cur_len = next_len_;
  } else {
    Result<size_t> n = ReadFull(plain_, {reinterpret_cast<char*>(cur_.data()), kPackagePlain});
    if (!n) return n.error();
    cur_len = *n;
  }
  bool final = cur_len < kPackagePlain;
  next_loaded_ = false;
  if (!final) {
    Result<size_t> n = ReadFull(plain_, {reinterpret_cast<char*>(next_.data()), kPackagePlain});
    if (!n) return n.error();
    next_len_ = *n;
    next_loaded_ = next_len_ > 0;
    final = next_len_ == 0;
  }
  out_.resize(cur_len + kTagBytes);
  FS_RETURN_IF_ERROR(
      SealPackage(key_, binding_.view(), seq_++, final, {cur_.data(), cur_len}, out_));
  out_pos_ = 0;
  done_ = final;
  return Status::Ok();
}

Result<size_t> EncryptingSource::read(std::span<char> out) {
  if (!error_.ok()) return std::unexpected(error_);
  size_t done = 0;
  while (done < out.size()) {
    if (out_pos_ == out_.size()) {
      if (done_) break;
      if (Status s = fill(); !s.ok()) {
        error_ = s;
        return std::unexpected(s);
      }
    }
    size_t n = std::min(out.size() - done, out_.size() - out_pos_);
    std::memcpy(out.data() + done, out_.data() + out_pos_, n);
    out_pos_ += n;
    done += n;
  }
  return done;
}

DecryptingReader::DecryptingReader(std::unique_ptr<object::ObjectReader> inner, const Key& data_key,
                                   PackageBinding binding)
    : inner_(std::move(inner)),
      key_(data_key),
      binding_(std::move(binding)),
      plain_size_(inner_->info().size),
      end_(plain_size_),
      cipher_(kPackageCipher),
      plain_(kPackagePlain) {}

DecryptingReader::~DecryptingReader() {
  OPENSSL_cleanse(key_.data(), key_.size());
  OPENSSL_cleanse(plain_.data(), plain_.size());
}

void DecryptingReader::set_range(uint64_t offset, uint64_t length) {
  pos_ = std::min(offset, plain_size_);
  end_ = std::min(plain_size_, pos_ + length);
  seq_ = pos_ / kPackagePlain;
  plain_pos_ = plain_len_ = 0;
  if (pos_ >= end_) return;
  uint64_t last = (end_ - 1) / kPackagePlain;
  uint64_t first_byte = seq_ * kPackageCipher;
  uint64_t end_byte = std::min(CipherSize(plain_size_), (last + 1) * kPackageCipher);
  inner_->set_range(first_byte, end_byte - first_byte);
  // The first package starts before pos_: open_next skips into it.
}

Status DecryptingReader::open_next() {
  const uint64_t packages = PackageCount(plain_size_);
  const uint64_t start = seq_ * kPackagePlain;
  const size_t plain_len =
      static_cast<size_t>(std::min<uint64_t>(kPackagePlain, plain_size_ - start));
  const size_t want = plain_len + kTagBytes;
  Result<size_t> n = ReadFull(*inner_, {reinterpret_cast<char*>(cipher_.data()), want});
  if (!n) return n.error();
  if (*n != want) return Status(Code::kCorrupt, "encrypted object shorter than its metadata");
  FS_RETURN_IF_ERROR(OpenPackage(key_, binding_.view(), seq_, seq_ + 1 == packages,
                                 {cipher_.data(), want}, {plain_.data(), plain_len}));
  plain_len_ = plain_len;
  plain_pos_ = static_cast<size_t>(pos_ - start);
  ++seq_;
  return Status::Ok();
}

Result<size_t> DecryptingReader::read(std::span<char> out) {
  if (!error_.ok()) return std::unexpected(error_);
  size_t done = 0;
  while (done < out.size() && pos_ < end_) {
    if (plain_pos_ >= plain_len_) {
      if (Status s = open_next(); !s.ok()) {
        error_ = s;
        if (done > 0) break;
        return std::unexpected(s);
      }
    }
    size_t n = static_cast<size_t>(
        std::min<uint64_t>({out.size() - done, plain_len_ - plain_pos_, end_ - pos_}));
    std::memcpy(out.data() + done, plain_.data() + plain_pos_, n);
    plain_pos_ += n;
    pos_ += n;
    done += n;
  }
  return done;
}

}  // namespace flashstor::s3::sse
