// Server-side encryption as requests see it: which mode a new object gets (SSE headers, or
// the bucket's default encryption), the internal metadata that records it, the SSE-C key
// checks of reads, and the x-amz-server-side-encryption* response headers.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "flashstor/object/object_layer.h"
#include "op_context.h"
#include "sse_stream.h"

namespace flashstor::s3::sse {

// The SSE-C headers a request sends and a response echoes.
inline constexpr std::string_view kHeaderCAlgo = "x-amz-server-side-encryption-customer-algorithm";
inline constexpr std::string_view kHeaderCKey = "x-amz-server-side-encryption-customer-key";
inline constexpr std::string_view kHeaderCMd5 = "x-amz-server-side-encryption-customer-key-md5";

enum class Mode : uint8_t { kNone, kS3, kCustomer, kKms };

// The internal metadata of an encrypted object (never returned to clients, never settable
// by them: only x-amz-meta-* and a few standard headers are stored from requests).
inline constexpr std::string_view kInternalPrefix = "x-flashstor-sse-";
bool IsInternalMeta(std::string_view name);
// The mode an object was written with (kNone: plaintext).
Mode ModeOf(const object::ObjectInfo& info);
Mode ModeIn(const object::Metadata& metadata);  // of an object's or an upload's metadata

// A new object's encryption: its fresh data key and what to store about it.
struct WriteSse {
  Mode mode = Mode::kNone;
  Key data_key{};
  PackageBinding binding;
  object::Metadata internal;     // to append to the object's metadata
  std::string customer_key_md5;  // SSE-C: the request's key MD5 (base64), echoed back
  std::string kms_key_arn;       // SSE-KMS: the key's ARN, echoed back
  std::string kms_context_b64;   // SSE-KMS: the request's encryption context, echoed back
  ~WriteSse();
};

// From the request's SSE headers, else the bucket's default encryption. mode kNone: store
// the object as sent. Errors as AWS answers them (400 InvalidArgument / InvalidRequest,
// 400 KMS.NotFoundException / KMS.DisabledException, 501 for modes not implemented or
// without a master key). SSE-KMS: the data key comes from the key manager.
ApiError PrepareWrite(OpContext& ctx, WriteSse& out);
void AddWriteHeaders(OpContext& ctx, const WriteSse& sse);

// For a GET or HEAD of info: checks the request's SSE-C headers against the object (400
// when missing or not applicable, 403 for a wrong key) and unseals its data key. out stays
// empty for a plaintext object, and for an SSE-KMS object on HEAD (which, as in AWS, does
// not ask the key manager).
struct ReadSse {
  Mode mode = Mode::kNone;
  Key data_key{};
  PackageBinding binding;
  PackageLayout layout;  // PrepareRead: where the object's packages lie
  ~ReadSse();
};
// The data key of what metadata (an object's or an upload's) describes as bucket/key, the
// request's SSE-C headers checked as PrepareRead does; out.layout is left empty.
ApiError UnsealDataKey(OpContext& ctx, const object::Metadata& metadata, std::string_view bucket,
                       std::string_view key, std::optional<ReadSse>& out, bool copy_source = false);
// copy_source: the x-amz-copy-source-server-side-encryption-customer-* headers name the key.
ApiError PrepareRead(OpContext& ctx, const object::ObjectInfo& info, std::optional<ReadSse>& out,
                     bool copy_source = false);
// A copy's source: replaced by its decrypting reader when encrypted (keys checked as above).
ApiError OpenCopySourceSse(OpContext& ctx, std::unique_ptr<object::ObjectReader>& reader);
// Stores body (the client's bytes, size or -1) as the request's object, encrypted as sse says;
// options.metadata loses any internal SSE entries it came with and gets sse's.
Result<object::ObjectInfo> PutObjectData(OpContext& ctx, WriteSse& sse, hash::HashingSource& body,
                                         int64_t size, object::PutOptions& options);
void AddReadHeaders(OpContext& ctx, const object::ObjectInfo& info);

}  // namespace flashstor::s3::sse
