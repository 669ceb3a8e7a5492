// PostObject: form fields (bounded), signature over the policy, policy conditions, the
// ${filename} key, the put options the fields map to, the streamed file and the answer.
#include "post_object.h"

#include <pugixml.hpp>

#include <ctime>
#include <string>
#include <vector>

#include "flashstor/hash/hashing_source.h"
#include "flashstor/s3/headers.h"
#include "flashstor/s3/refused_inputs.h"
#include "flashstor/s3/tagging.h"
#include "multipart_form.h"
#include "op_context.h"
#include "post_policy.h"
#include "pugi_helpers.h"

namespace flashstor::s3 {
namespace {

constexpr std::string_view kNoKey =
    "Bucket POST must contain a field named 'key'.  If it is specified, please check the order "
    "of the fields.";
constexpr std::string_view kNoFile = "POST requires exactly one file upload per request.";
constexpr std::string_view kNoPolicy = "Bucket POST must contain a field named 'policy'.";
constexpr std::string_view kRepeated = "POST form fields may not repeat.";
constexpr std::string_view kPrivateOnly =
    "Only the canned ACLs private and bucket-owner-full-control are implemented: every object "
    "belongs to the bucket's one owner.";

// Fails with kEntityTooSmall when the stream ends before min bytes.
class MinLengthSource final : public DataSource {
 public:
  MinLengthSource(DataSource& inner, uint64_t min) : inner_(inner), min_(min) {}
  Result<size_t> read(std::span<char> out) override {
    Result<size_t> n = inner_.read(out);
    if (!n) return n;
    seen_ += *n;
    if (*n == 0 && seen_ < min_) {
      return Err(Code::kEntityTooSmall,
                 "Your proposed upload is smaller than the minimum allowed size");
    }
    return n;
  }

 private:
  DataSource& inner_;
  uint64_t min_;
  uint64_t seen_ = 0;
};

const PostField* Field(std::span<const PostField> fields, std::string_view lower) {
  for (const PostField& f : fields) {
    if (f.name == lower) return &f;
  }
  return nullptr;
}

std::string_view Value(std::span<const PostField> fields, std::string_view lower) {
  const PostField* f = Field(fields, lower);
  return f != nullptr ? std::string_view(f->value) : std::string_view();
}

// A reader error: the framing's own fault is MalformedPOSTRequest; body errors pass through.
ApiError FormError(const Status& s) {
  if (s.code() == Code::kInvalidArgument) return ErrorId::kMalformedPostRequest;
  return s;
}

// The fields before the file part; *file receives the file part's headers.
ApiError ReadFields(MultipartFormReader& reader, std::vector<PostField>& fields, FormPart* file) {
  size_t total = 0;
  std::string value;
  for (;;) {
    Result<bool> more = reader.next_part(file);
    if (!more) return FormError(more.error());
    if (!*more) return ApiError(Code::kInvalidArgument, kNoFile);
    std::string name = Lower(file->name);
    if (name == "file") return {};
    Result<bool> fits = reader.read_value(kMaxPostFieldBytes, value);
    if (!fits) return FormError(fits.error());
    total += name.size() + value.size();
    if (!*fits || total > kMaxPostPreDataBytes || fields.size() >= kMaxPostFields) {
      return ErrorId::kMaxPostPreDataLengthExceeded;
    }
    if (Field(fields, name) != nullptr) return ApiError(Code::kInvalidArgument, kRepeated);
    fields.push_back({std::move(name), value});
  }
}

bool Signed(std::span<const PostField> fields) {
  for (std::string_view n :
       {"x-amz-signature", "signature", "awsaccesskeyid", "x-amz-credential"}) {
    if (Field(fields, n) != nullptr) return true;
  }
  return false;
}

Result<auth::AuthContext> Authenticate(PostObjectRequest& r, std::span<const PostField> fields) {
  if (!Signed(fields)) {
    auth::AuthContext anonymous;
    anonymous.method = auth::AuthMethod::kPostForm;
    return anonymous;
  }
  if (Field(fields, "policy") == nullptr) return Err(Code::kInvalidArgument, kNoPolicy);
  auth::PostFormSignature sig{.policy_b64 = Value(fields, "policy"),
                              .algorithm = Value(fields, "x-amz-algorithm"),
                              .credential = Value(fields, "x-amz-credential"),
                              .amz_date = Value(fields, "x-amz-date"),
                              .signature = Value(fields, "x-amz-signature"),
                              .access_key_id = Value(fields, "awsaccesskeyid"),
                              .v2_signature = Value(fields, "signature"),
                              .security_token = Value(fields, "x-amz-security-token")};
  return r.verifier.verify_post_form(sig);
}

ApiError CheckPolicy(PostObjectRequest& r, std::span<const PostField> fields, PostPolicy& policy) {
  const PostField* encoded = Field(fields, "policy");
  if (encoded == nullptr) return {};
  std::optional<std::string> json = hash::Base64Decode(encoded->value);
  if (!json) return ApiError(ErrorId::kInvalidPolicyDocument, "Invalid Policy: Invalid Base64.");
  Result<PostPolicy> parsed = ParsePostPolicy(*json);
  if (!parsed) return ApiError(ErrorId::kInvalidPolicyDocument, parsed.error().message());
  policy = std::move(*parsed);
  std::string why;
  if (!CheckPostPolicy(policy, fields, r.res.bucket, std::time(nullptr), &why)) {
    std::string message = "Invalid according to Policy: " + why;
    return ApiError(Code::kAccessDenied, r.ex.arena().copy(message));
  }
  return {};
}

// The object key: the key field with each ${filename} replaced by the file's name.
ApiError ResolveKey(std::span<const PostField> fields, const FormPart& file, std::string& key) {
  const PostField* f = Field(fields, "key");
  if (f == nullptr || f->value.empty()) return ApiError(Code::kInvalidArgument, kNoKey);
  key = f->value;
  constexpr std::string_view kVar = "${filename}";
  for (size_t at = key.find(kVar); at != std::string::npos; at = key.find(kVar, at)) {
    key.replace(at, kVar.size(), file.filename);
    at += file.filename.size();
  }
  if (key.empty()) return ApiError(Code::kInvalidArgument, kNoKey);
  if (key.size() > kMaxKeyLength) return Code::kKeyTooLong;
  return {};
}

// Form fields that are object headers when sent on a PUT.
bool IsHeaderField(std::string_view n) {
  if (n.starts_with("x-amz-")) {
    return n != "x-amz-algorithm" && n != "x-amz-credential" && n != "x-amz-date" &&
           n != "x-amz-signature" && n != "x-amz-security-token";
  }
  return n == "content-type" || n == "cache-control" || n == "content-disposition" ||
         n == "content-encoding" || n == "content-language" || n == "expires";
}

ApiError CollectOptions(PostObjectRequest& r, std::span<const PostField> fields,
                        object::PutOptions& options) {
  std::string_view acl = Value(fields, "acl");
  if (!acl.empty() && acl != "private" && acl != "bucket-owner-full-control") {
    return ApiError(Code::kNotImplemented, kPrivateOnly);
  }
  std::vector<http::Header> headers;
  for (const PostField& f : fields) {
    // Encryption and object lock are applied by PutObject's path only: refused here rather
    // than stored in plaintext or without the lock asked for.
    if (f.name.starts_with("x-amz-server-side-encryption") ||
        f.name.starts_with("x-amz-object-lock-")) {
      return ApiError(Code::kNotImplemented,
                      "Encryption and object lock fields are not implemented in POST uploads.");
    }
    if (IsHeaderField(f.name)) headers.push_back({f.name, f.value});
  }
  // The same for a bucket that would encrypt or lock the object by default.
  Result<std::shared_ptr<const object::BucketMetadata>> meta =
      r.layer.get_bucket_metadata(r.request_ctx, r.res.bucket);
  if (!meta) return meta.error();
  if ((*meta)->config(object::kConfigEncryption) != nullptr || (*meta)->object_lock_enabled) {
    return ApiError(Code::kNotImplemented,
                    "POST uploads into a bucket with default encryption or object lock are not "
                    "implemented.");
  }
  http::Request as_put;
  as_put.method = http::Method::kPut;
  as_put.method_name = "PUT";
  as_put.headers = headers;
  FS_S3_RETURN_IF_ERROR(CheckRefusedInputs(OpId::kPutObject, as_put, {}, r.config.owner_id));
  FS_S3_RETURN_IF_ERROR(CollectPutOptions(as_put, options));
  if (const PostField* tagging = Field(fields, "tagging")) {
    FS_S3_RETURN_IF_ERROR(ParseTaggingXml(tagging->value, TagScope::kObject, options.tags));
  }
  return {};
}

std::string PostResponseXml(std::string_view location, std::string_view bucket,
                            std::string_view key, std::string_view quoted_etag) {
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = doc.append_child("PostResponse");
  auto add = [&root](const char* name, std::string_view text) {
    root.append_child(name).text().set(std::string(text).c_str());
  };
  add("Location", location);
  add("Bucket", bucket);
  add("Key", key);
  add("ETag", quoted_etag);
  std::string out;
  StringWriter writer(out);
  doc.save(writer, "", pugi::format_raw, pugi::encoding_utf8);
  return out;
}

ApiError Answer(OpContext& ctx, std::span<const PostField> fields, std::string_view key,
                const object::ObjectInfo& info) {
  const std::string etag = QuoteEtag(info.etag);
  std::string location = ctx.ex.secure() ? "https://" : "http://";
  location.append(ctx.req.host).append("/");
  http::UriEncode(ctx.res.bucket, true, location);
  location.append("/");
  http::UriEncode(key, false, location);
  ctx.response().add_header("ETag", etag);
  AddVersionIdHeader(ctx, info.version_id);
  std::string_view redirect = Value(fields, "success_action_redirect");
  if (redirect.empty()) redirect = Value(fields, "redirect");
  if (redirect.starts_with("http://") || redirect.starts_with("https://")) {
    std::string to(redirect);
    to.append(to.find('?') == std::string::npos ? "?" : "&").append("bucket=");
    http::UriEncode(ctx.res.bucket, true, to);
    to.append("&key=");
    http::UriEncode(key, true, to);
    to.append("&etag=");
    http::UriEncode(etag, true, to);
    ctx.response().set_status(303);
    ctx.response().add_header("Location", to);
    return ctx.response().send({});
  }
  ctx.response().add_header("Location", location);
  // AWS: an absent or invalid success_action_status answers 204.
  std::string_view status = Value(fields, "success_action_status");
  if (status == "201") {
    return SendXml(ctx, 201, PostResponseXml(location, ctx.res.bucket, key, etag));
  }
  return SendEmpty(ctx, status == "200" ? 200 : 204);
}

}  // namespace

bool IsPostObject(const http::Request& req, const Resource& res,
                  std::span<const http::QueryParam> query) {
  return req.method == http::Method::kPost && res.kind == ResourceKind::kBucket && query.empty() &&
         !req.has_header("authorization") && !FormBoundary(req.header("content-type")).empty();
}

ApiError PostObject(PostObjectRequest& r) {
  MultipartFormReader reader(r.body, FormBoundary(r.ex.request().header("content-type")));
  std::vector<PostField> fields;
  FormPart file;
  FS_S3_RETURN_IF_ERROR(ReadFields(reader, fields, &file));
  std::string key;
  FS_S3_RETURN_IF_ERROR(ResolveKey(fields, file, key));
  Result<auth::AuthContext> auth = Authenticate(r, fields);
  if (!auth) return auth.error();
  r.auth = std::move(*auth);
  if (!r.auth.anonymous) r.request_ctx.principal = r.auth.access_key;  // the key id only
  PostPolicy policy;
  FS_S3_RETURN_IF_ERROR(CheckPolicy(r, fields, policy));
  object::PutOptions options;
  FS_S3_RETURN_IF_ERROR(CollectOptions(r, fields, options));
  if (r.authorizer == nullptr) {
    if (r.auth.anonymous) return Code::kAccessDenied;
  } else {
    // The form's fields give the keys its headers would: tagging s3:RequestObjectTag/<key>,
    // acl s3:x-amz-acl.
    iam::RequestContext::keys_type body_keys;
    if (!options.tags.empty()) AddRequestTagKeys(options.tags, body_keys);
    if (std::string_view acl = Value(fields, "acl"); !acl.empty()) {
      body_keys["s3:x-amz-acl"] = {std::string(acl)};
    }
    AuthzRequest authz{.auth = r.auth,
                       .action = "s3:PutObject",
                       .resource = S3Arn(r.res.bucket, key),
                       .bucket = r.res.bucket,
                       .query = {},
                       .remote_address = r.ex.remote_address(),
                       .secure = r.ex.secure(),
                       .key = key,
                       .body_keys = &body_keys,
                       .object_ctx = &r.request_ctx};
    FS_S3_RETURN_IF_ERROR(r.authorizer->authorize(authz));
  }

  FormPartSource part(reader);
  const uint64_t max = std::min<uint64_t>(kMaxSinglePutSize, policy.max_length);
  LimitedSource limited(part, max);
  MinLengthSource at_least(limited, static_cast<uint64_t>(policy.min_length));
  hash::HashingSource hashed(at_least, hash::Expectations{});
  Result<object::ObjectInfo> info =
      r.layer.put_object(r.request_ctx, r.res.bucket, key, hashed, -1, options);
  if (!info) {
    if (info.error().code() == Code::kInvalidArgument &&
        info.error().message() == MultipartFormReader::kMalformed) {
      return ErrorId::kMalformedPostRequest;
    }
    return info.error();
  }
  // Parts after the file are ignored (as AWS does); the connection is not reused for them.
  r.ex.response().set_keep_alive(false);
  Resource res = r.res;
  res.key = key;
  OpContext ctx{r.ex,          r.ex.request(), {},     res, r.auth, r.layer,
                r.request_ctx, r.config,       r.body, -1,  {},     r.trace_id};
  PublishObjectEvent(ctx, "ObjectCreated:Post", key, &*info, info->version_id);
  return Answer(ctx, fields, key, *info);
}

}  // namespace flashstor::s3
