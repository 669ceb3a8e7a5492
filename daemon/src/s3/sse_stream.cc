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
                                   PackageBinding binding, PackageLayout layout)
    : inner_(std::move(inner)),
      key_(data_key),
      binding_(std::move(binding)),
      layout_(std::move(layout)),
      cipher_(kPackageCipher),
      plain_(kPackagePlain) {
  set_range(0, layout_.plain_size());
}

DecryptingReader::DecryptingReader(std::unique_ptr<object::ObjectReader> inner, const Key& data_key,
                                   PackageBinding binding)
    : inner_(std::move(inner)),
      key_(data_key),
      binding_(std::move(binding)),
      // Members in declaration order: inner_ and binding_ are set by now.
      layout_(PackageLayout::SinglePart(binding_.part, inner_->info().size)),
      cipher_(kPackageCipher),
      plain_(kPackagePlain) {
  set_range(0, layout_.plain_size());
}

DecryptingReader::~DecryptingReader() {
  OPENSSL_cleanse(key_.data(), key_.size());
  OPENSSL_cleanse(plain_.data(), plain_.size());
}

void DecryptingReader::set_range(uint64_t offset, uint64_t length) {
  const uint64_t plain_size = layout_.plain_size();
  pos_ = std::min(offset, plain_size);
  end_ = std::min(plain_size, pos_ + length);
  plain_pos_ = plain_len_ = 0;
  has_next_ = pos_ < end_;
  if (!has_next_) return;
  // Whole packages, across part boundaries: the first one starts before pos_ and open_next
  // skips into it.
  next_ = layout_.locate(pos_);
  auto [stored_offset, stored_length] = layout_.stored_range(pos_, end_);
  inner_->set_range(stored_offset, stored_length);
}

Status DecryptingReader::open_next() {
  if (!has_next_) return Status(Code::kCorrupt, "encrypted object longer than its packages");
  const PackageRef p = next_;
  const size_t want = static_cast<size_t>(p.stored_len());
  Result<size_t> n = ReadFull(*inner_, {reinterpret_cast<char*>(cipher_.data()), want});
  if (!n) return n.error();
  if (*n != want) return Status(Code::kCorrupt, "encrypted object shorter than its metadata");
  binding_.part = p.part_number;
  FS_RETURN_IF_ERROR(OpenPackage(key_, binding_.view(), p.seq, p.final, {cipher_.data(), want},
                                 {plain_.data(), static_cast<size_t>(p.plain_len)}));
  plain_len_ = static_cast<size_t>(p.plain_len);
  plain_pos_ = static_cast<size_t>(pos_ - p.plain_offset);
  has_next_ = layout_.next(p, next_);
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
