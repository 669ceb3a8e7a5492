// PrepareWrite / PrepareRead: the SSE request headers as AWS documents them, the data key's
// sealing under the SSE-S3 master key or the SSE-C client key, and the internal metadata.
#include "sse_request.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <charconv>

#include "flashstor/s3/headers.h"
#include "flashstor/s3/kms_keys.h"
#include "flashstor/s3/sse_keys.h"
#include "sse_bucket.h"
#include "sse_kms.h"

namespace flashstor::s3::sse {
namespace {

constexpr std::string_view kHeaderSse = "x-amz-server-side-encryption";

constexpr std::string_view kMetaMode = "x-flashstor-sse-mode";
constexpr std::string_view kMetaKeyId = "x-flashstor-sse-key-id";
constexpr std::string_view kMetaSealed = "x-flashstor-sse-sealed-key";
constexpr std::string_view kMetaObjectId = "x-flashstor-sse-object-id";
constexpr std::string_view kMetaSalt = "x-flashstor-sse-c-salt";
constexpr std::string_view kMetaHmac = "x-flashstor-sse-c-key-hmac";
constexpr std::string_view kMetaKeyVersion = "x-flashstor-sse-key-version";
constexpr std::string_view kMetaContext = "x-flashstor-sse-context";

constexpr std::string_view kModeS3 = "S3";
constexpr std::string_view kModeCustomer = "C";
constexpr std::string_view kModeKms = "KMS";

constexpr std::string_view kMsgNeedKey =
    "The object was stored using a form of Server Side Encryption. The correct parameters must "
    "be provided to retrieve the object.";
constexpr std::string_view kMsgNotApplicable =
    "The encryption parameters are not applicable to this object.";
constexpr std::string_view kMsgHttps =
    "Requests specifying Server Side Encryption with Customer provided keys must be made over a "
    "secure connection.";

const std::string* Find(const object::Metadata& meta, std::string_view name) {
  for (const auto& [n, v] : meta) {
    if (n == name) return &v;
  }
  return nullptr;
}

std::string_view AsView(std::span<const unsigned char> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::span<const unsigned char> AsBytes(std::string_view s) {
  return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

// The AAD of a sealed data key: mode, key id and the object's identity.
std::string Binding(std::string_view mode, std::string_view key_id, const PackageBinding& b) {
  std::string out = "flashstor-sse-key-v1\n";
  out.append(mode).append("\n").append(key_id).append("\n");
  out.append(AsView(b.object_id)).append("\n");
  out.append(b.bucket).append("\n").append(b.key);
  return out;
}

// The AAD an SSE-KMS data key is sealed with (the key manager adds the key name and version):
// the object's identity and the encryption context.
std::string KmsBinding(std::string_view key_name, const PackageBinding& b,
                       std::string_view context_json) {
  return Binding(kModeKms, key_name, b).append("\n").append(context_json);
}

// SSE-KMS: the data key from the key manager, and the internal metadata that names the key
// and version that sealed it.
ApiError PrepareKmsWrite(OpContext& ctx, const KmsRequest& request, WriteSse& out) {
  std::string name;
  FS_S3_RETURN_IF_ERROR(ResolveKmsKey(ctx, request.key_id, name));
  FS_S3_RETURN_IF_ERROR(AuthorizeKms(ctx, "kms:GenerateDataKey", name));
  Result<kms::DataKey> dk =
      ctx.config.kms->generate_data_key(name, KmsBinding(name, out.binding, request.context_json));
  if (!dk) return KmsError(dk.error());
  out.data_key = dk->plain;
  out.internal.emplace_back(kMetaMode, kModeKms);
  out.internal.emplace_back(kMetaKeyId, name);
  out.internal.emplace_back(kMetaKeyVersion, std::to_string(dk->version));
  if (!request.context_json.empty()) {
    out.internal.emplace_back(kMetaContext, hash::Base64Encode(AsBytes(request.context_json)));
  }
  out.internal.emplace_back(kMetaSealed, hash::Base64Encode(AsBytes(dk->sealed)));
  out.kms_key_arn = KmsKeyArn(ctx, name);
  out.kms_context_b64 = request.context_b64;
  return {};
}

// SSE-KMS read: the key manager opens the data key with the version that sealed it.
ApiError PrepareKmsRead(OpContext& ctx, const object::Metadata& metadata, std::string_view sealed,
                        ReadSse& r) {
  FS_S3_RETURN_IF_ERROR(RequireKms(ctx));
  const std::string* name = Find(metadata, kMetaKeyId);
  const std::string* version = Find(metadata, kMetaKeyVersion);
  const std::string* context_b64 = Find(metadata, kMetaContext);
  if (name == nullptr || version == nullptr) return Code::kCorrupt;
  FS_S3_RETURN_IF_ERROR(AuthorizeKms(ctx, "kms:Decrypt", *name));
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(version->data(), version->data() + version->size(), v);
  if (ec != std::errc() || p != version->data() + version->size()) return Code::kCorrupt;
  std::string context;
  if (context_b64 != nullptr) {
    std::optional<std::string> json = hash::Base64Decode(*context_b64);
    if (!json) return Code::kCorrupt;
    context = std::move(*json);
  }
  Result<Key> key =
      ctx.config.kms->decrypt_data_key(*name, v, sealed, KmsBinding(*name, r.binding, context));
  if (!key) {
    // A data key that does not open: the record does not add up (500, as SSE-S3).
    return key.error().code() == Code::kAccessDenied ? ApiError(Code::kInternal)
                                                     : KmsError(key.error());
  }
  r.data_key = *key;
  OPENSSL_cleanse(key->data(), key->size());
  return {};
}

// The SSE-C headers of a request (prefix "" or "x-amz-copy-source-"): present, or absent.
struct CustomerKey {
  bool present = false;
  Key key{};
  std::string md5_b64;
  ~CustomerKey() { OPENSSL_cleanse(key.data(), key.size()); }
};

// copy_source: the x-amz-copy-source-server-side-encryption-customer-* headers instead.
ApiError ReadCustomerKey(const OpContext& ctx, CustomerKey& out, bool copy_source = false) {
  auto name = [copy_source](std::string_view header) {
    // "x-amz-server-side-..." -> "x-amz-copy-source-server-side-..."
    return copy_source ? "x-amz-copy-source-" + std::string(header.substr(6)) : std::string(header);
  };
  const std::string algo_name = name(kHeaderCAlgo);
  const std::string key_name = name(kHeaderCKey);
  const std::string md5_name = name(kHeaderCMd5);
  std::string_view algo = ctx.header(algo_name);
  std::string_view key = ctx.header(key_name);
  std::string_view md5 = ctx.header(md5_name);
  const bool any =
      ctx.req.has_header(algo_name) || ctx.req.has_header(key_name) || ctx.req.has_header(md5_name);
  if (!any) return {};
  if (!ctx.ex.secure() && !ctx.config.sse_c_allow_http) {
    return ApiError(Code::kInvalidRequest, kMsgHttps);
  }
  if (algo.empty()) {
    return ApiError(Code::kInvalidArgument,
                    "Requests specifying Server Side Encryption with Customer provided keys must "
                    "provide a valid encryption algorithm.");
  }
  if (algo != "AES256") {
    return ApiError(Code::kInvalidArgument,
                    "The encryption request you specified is not valid. The valid value is "
                    "AES256.");
  }
  std::optional<std::string> raw = hash::Base64Decode(key);
  if (key.empty() || !raw || raw->size() != kKeyBytes) {
    if (raw) OPENSSL_cleanse(raw->data(), raw->size());
    return ApiError(Code::kInvalidArgument,
                    "Requests specifying Server Side Encryption with Customer provided keys must "
                    "provide an appropriate secret key.");
  }
  std::copy(raw->begin(), raw->end(), out.key.begin());
  OPENSSL_cleanse(raw->data(), raw->size());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int dlen = 0;
  if (EVP_Digest(out.key.data(), out.key.size(), digest, &dlen, EVP_md5(), nullptr) != 1) {
    return Code::kInternal;
  }
  std::string computed = hash::Base64Encode({digest, dlen});
  if (md5.empty()) {
    return ApiError(Code::kInvalidArgument,
                    "Requests specifying Server Side Encryption with Customer provided keys must "
                    "provide the client calculated MD5 of the secret key.");
  }
  if (computed != md5) {
    return ApiError(Code::kInvalidArgument,
                    "The calculated MD5 hash of the key did not match the hash that was provided.");
  }
  out.present = true;
  out.md5_b64 = std::move(computed);
  return {};
}

}  // namespace

bool IsInternalMeta(std::string_view name) {
  return name.starts_with(kInternalPrefix);
}

Mode ModeOf(const object::ObjectInfo& info) {
  return ModeIn(info.metadata);
}

Mode ModeIn(const object::Metadata& metadata) {
  const std::string* mode = Find(metadata, kMetaMode);
  if (mode == nullptr) return Mode::kNone;
  if (*mode == kModeCustomer) return Mode::kCustomer;
  if (*mode == kModeKms) return Mode::kKms;
  return Mode::kS3;
}

WriteSse::~WriteSse() {
  OPENSSL_cleanse(data_key.data(), data_key.size());
}
ReadSse::~ReadSse() {
  OPENSSL_cleanse(data_key.data(), data_key.size());
}

ApiError PrepareWrite(OpContext& ctx, WriteSse& out) {
  CustomerKey customer;
  FS_S3_RETURN_IF_ERROR(ReadCustomerKey(ctx, customer));
  Mode mode = Mode::kNone;
  KmsRequest kms_request;
  const bool kms_header = ctx.header(kHeaderSse).starts_with("aws:kms");
  FS_S3_RETURN_IF_ERROR(ReadKmsHeaders(ctx, kms_header, kms_request));
  if (ctx.req.has_header(kHeaderSse)) {
    std::string_view value = ctx.header(kHeaderSse);
    if (customer.present) {
      return ApiError(Code::kInvalidArgument,
                      "Server Side Encryption with Customer provided key is incompatible with the "
                      "encryption method specified");
    }
    if (value == "aws:kms:dsse") {
      return ApiError(Code::kNotImplemented, "DSSE-KMS is not implemented.");
    }
    if (value == "aws:kms") {
      mode = Mode::kKms;
    } else if (value != "AES256") {
      return ApiError(Code::kInvalidArgument, "The encryption method specified is not supported");
    } else {
      mode = Mode::kS3;
    }
  } else if (customer.present) {
    mode = Mode::kCustomer;
  } else {
    Result<BucketDefault> def = ReadBucketDefault(ctx, &kms_request.key_id);
    if (!def) return def.error();
    if (*def == BucketDefault::kKms) mode = Mode::kKms;
    if (*def == BucketDefault::kAes256) mode = Mode::kS3;
  }
  out.mode = mode;
  if (mode == Mode::kNone) return {};

  out.binding.bucket = ctx.res.bucket;
  out.binding.key = ctx.res.key;
  out.binding.part = 1;
  FS_S3_RETURN_IF_ERROR(RandomBytes(out.binding.object_id));
  FS_S3_RETURN_IF_ERROR(RandomBytes(out.data_key));
  out.internal.emplace_back(kMetaObjectId, hash::Base64Encode(out.binding.object_id));
  if (mode == Mode::kKms) return PrepareKmsWrite(ctx, kms_request, out);
  Key kek{};
  std::string key_id;
  if (mode == Mode::kS3) {
    if (!ctx.config.sse_keys) {
      return ApiError(Code::kNotImplemented,
                      "SSE-S3 needs a master key: the server was started without one.");
    }
    key_id = ctx.config.sse_keys->default_key_id();
    Result<Key> k = ctx.config.sse_keys->key(key_id);
    if (!k) return Code::kInternal;
    kek = *k;
    OPENSSL_cleanse(k->data(), k->size());
    out.internal.emplace_back(kMetaMode, kModeS3);
    out.internal.emplace_back(kMetaKeyId, key_id);
  } else {
    kek = customer.key;
    std::array<unsigned char, 32> salt{};
    FS_S3_RETURN_IF_ERROR(RandomBytes(salt));
    out.internal.emplace_back(kMetaMode, kModeCustomer);
    out.internal.emplace_back(kMetaSalt, hash::Base64Encode(salt));
    out.internal.emplace_back(kMetaHmac, hash::Base64Encode(AsBytes(KeyHmac(customer.key, salt))));
    out.customer_key_md5 = customer.md5_b64;
  }
  std::string sealed = SealKey(
      kek, out.data_key, Binding(mode == Mode::kS3 ? kModeS3 : kModeCustomer, key_id, out.binding));
  OPENSSL_cleanse(kek.data(), kek.size());
  if (sealed.empty()) return Code::kInternal;
  out.internal.emplace_back(kMetaSealed, hash::Base64Encode(AsBytes(sealed)));
  return {};
}

void AddWriteHeaders(OpContext& ctx, const WriteSse& sse) {
  http::ResponseWriter& resp = ctx.response();
  if (sse.mode == Mode::kS3) resp.add_header("x-amz-server-side-encryption", "AES256");
  if (sse.mode == Mode::kCustomer) {
    resp.add_header(kHeaderCAlgo, "AES256");
    resp.add_header(kHeaderCMd5, sse.customer_key_md5);
  }
  if (sse.mode == Mode::kKms) {
    resp.add_header(kHeaderSse, "aws:kms");
    resp.add_header(kHeaderKmsKeyId, sse.kms_key_arn);
    if (!sse.kms_context_b64.empty()) resp.add_header(kHeaderKmsContext, sse.kms_context_b64);
  }
}

namespace {

// Where the packages of info's data lie: one part for a single PUT, else its parts.
Result<PackageLayout> LayoutOf(const object::ObjectInfo& info) {
  if (info.parts.empty()) {
    return PackageLayout::Make({{1, info.size}}, info.stored_size);
  }
  std::vector<PartPlain> parts;
  parts.reserve(info.parts.size());
  for (const object::PartInfo& p : info.parts) {
    parts.push_back({static_cast<uint32_t>(p.number), p.size});
  }
  return PackageLayout::Make(std::move(parts), info.stored_size);
}

}  // namespace

ApiError PrepareRead(OpContext& ctx, const object::ObjectInfo& info, std::optional<ReadSse>& out,
                     bool copy_source) {
  FS_S3_RETURN_IF_ERROR(UnsealDataKey(ctx, info.metadata, info.bucket, info.key, out, copy_source));
  if (!out) return {};
  Result<PackageLayout> layout = LayoutOf(info);
  if (!layout) {
    out.reset();
    return layout.error();
  }
  out->layout = std::move(*layout);
  return {};
}

ApiError UnsealDataKey(OpContext& ctx, const object::Metadata& metadata, std::string_view bucket,
                       std::string_view object_key, std::optional<ReadSse>& out, bool copy_source) {
  CustomerKey customer;
  FS_S3_RETURN_IF_ERROR(ReadCustomerKey(ctx, customer, copy_source));
  const Mode mode = ModeIn(metadata);
  if (mode != Mode::kCustomer && customer.present) {
    return ApiError(Code::kInvalidRequest, kMsgNotApplicable);
  }
  if (mode == Mode::kNone) return {};
  // HEAD and GetObjectAttributes (?attributes) of an SSE-KMS object do not ask the key
  // manager (as in AWS: no kms:Decrypt needed): nothing is decrypted.
  if (mode == Mode::kKms &&
      (ctx.req.method == http::Method::kHead || (!copy_source && ctx.param("attributes")))) {
    return {};
  }
  if (mode == Mode::kCustomer && !customer.present) {
    return ApiError(Code::kInvalidRequest, kMsgNeedKey);
  }
  const std::string* object_id = Find(metadata, kMetaObjectId);
  const std::string* sealed_b64 = Find(metadata, kMetaSealed);
  if (object_id == nullptr || sealed_b64 == nullptr) return Code::kCorrupt;
  std::optional<std::string> id = hash::Base64Decode(*object_id);
  std::optional<std::string> sealed = hash::Base64Decode(*sealed_b64);
  if (!id || id->size() != kObjectIdBytes || !sealed) return Code::kCorrupt;
  ReadSse& r = out.emplace();
  r.mode = mode;
  r.binding.bucket = bucket;
  r.binding.key = object_key;
  std::copy(id->begin(), id->end(), r.binding.object_id.begin());
  if (mode == Mode::kKms) {
    ApiError e = PrepareKmsRead(ctx, metadata, *sealed, r);
    if (!e.ok()) out.reset();
    return e;
  }
  Key kek{};
  std::string key_id;
  if (mode == Mode::kCustomer) {
    const std::string* salt_b64 = Find(metadata, kMetaSalt);
    const std::string* hmac_b64 = Find(metadata, kMetaHmac);
    if (salt_b64 == nullptr || hmac_b64 == nullptr) return Code::kCorrupt;
    std::optional<std::string> salt = hash::Base64Decode(*salt_b64);
    std::optional<std::string> hmac = hash::Base64Decode(*hmac_b64);
    if (!salt || !hmac) return Code::kCorrupt;
    if (!SameBytes(KeyHmac(customer.key, AsBytes(*salt)), *hmac)) {
      out.reset();
      return Code::kAccessDenied;
    }
    kek = customer.key;
  } else {
    const std::string* kid = Find(metadata, kMetaKeyId);
    if (kid == nullptr) return Code::kCorrupt;
    if (!ctx.config.sse_keys) {
      out.reset();
      return ApiError(Code::kNotImplemented,
                      "The object is encrypted with SSE-S3 and the server has no master key.");
    }
    key_id = *kid;
    Result<Key> k = ctx.config.sse_keys->key(key_id);
    if (!k) {
      out.reset();
      return Code::kInternal;
    }
    kek = *k;
    OPENSSL_cleanse(k->data(), k->size());
  }
  Result<Key> key = UnsealKey(
      kek, *sealed, Binding(mode == Mode::kS3 ? kModeS3 : kModeCustomer, key_id, r.binding));
  OPENSSL_cleanse(kek.data(), kek.size());
  if (!key) {
    out.reset();
    // A wrong SSE-C key was caught by the HMAC; here the record itself does not add up.
    return mode == Mode::kCustomer ? ApiError(Code::kAccessDenied) : ApiError(Code::kInternal);
  }
  r.data_key = *key;
  OPENSSL_cleanse(key->data(), key->size());
  return {};
}

void AddReadHeaders(OpContext& ctx, const object::ObjectInfo& info) {
  http::ResponseWriter& resp = ctx.response();
  Mode mode = ModeOf(info);
  if (mode == Mode::kS3) resp.add_header("x-amz-server-side-encryption", "AES256");
  // SSE-C: echoes the request's key (GET and HEAD need one; a Complete may name it).
  if (mode == Mode::kCustomer && !ctx.header(kHeaderCMd5).empty()) {
    resp.add_header(kHeaderCAlgo, "AES256");
    resp.add_header(kHeaderCMd5, ctx.header(kHeaderCMd5));
  }
  if (mode == Mode::kKms) {
    const std::string* name = Find(info.metadata, kMetaKeyId);
    resp.add_header(kHeaderSse, "aws:kms");
    if (name != nullptr) resp.add_header(kHeaderKmsKeyId, KmsKeyArn(ctx, *name));
  }
}

}  // namespace flashstor::s3::sse

namespace flashstor::s3::sse {

ApiError OpenCopySourceSse(OpContext& ctx, std::unique_ptr<object::ObjectReader>& reader) {
  std::optional<ReadSse> key;
  FS_S3_RETURN_IF_ERROR(PrepareRead(ctx, reader->info(), key, /*copy_source=*/true));
  if (key)
    reader = std::make_unique<DecryptingReader>(std::move(reader), key->data_key, key->binding,
                                                std::move(key->layout));
  return {};
}

Result<object::ObjectInfo> PutObjectData(OpContext& ctx, WriteSse& sse, hash::HashingSource& body,
                                         int64_t size, object::PutOptions& options) {
  // Stored metadata never carries another object's encryption record.
  std::erase_if(options.metadata, [](const auto& m) { return IsInternalMeta(m.first); });
  if (sse.mode == Mode::kNone) {
    return ctx.layer.put_object(ctx.request_ctx, ctx.res.bucket, ctx.res.key, body, size, options);
  }
  // Encrypted: the layer stores packages; size, checksum (and the SSE-S3 ETag) are the
  // client's bytes' (body verifies them).
  EncryptingSource sealed(body, sse.data_key, sse.binding);
  hash::HashingSource stored(sealed, {});
  options.plaintext = &body;
  options.etag_from_plaintext = sse.mode == Mode::kS3;
  for (auto& m : sse.internal) options.metadata.push_back(std::move(m));
  const int64_t stored_size =
      size < 0 ? -1 : static_cast<int64_t>(CipherSize(static_cast<uint64_t>(size)));
  return ctx.layer.put_object(ctx.request_ctx, ctx.res.bucket, ctx.res.key, stored, stored_size,
                              options);
}

}  // namespace flashstor::s3::sse
