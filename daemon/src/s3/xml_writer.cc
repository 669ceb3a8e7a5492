// S3 response XML built with pugixml: <?xml ... encoding="UTF-8"?>, the S3 namespace on
// result documents, none on <Error> (as AWS sends them).
#include "flashstor/s3/xml_writer.h"

#include <pugixml.hpp>

#include <cstdio>

#include "flashstor/hash/hashing_source.h"
#include "flashstor/http/uri.h"
#include "flashstor/s3/headers.h"
#include "pugi_helpers.h"

namespace flashstor::s3 {
namespace {

// A document with the declaration and a root element (namespaced unless bare).
pugi::xml_node Begin(pugi::xml_document& doc, const char* root, bool with_namespace = true) {
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node node = doc.append_child(root);
  if (with_namespace) {
    node.append_attribute("xmlns").set_value(kS3Namespace.data(), kS3Namespace.size());
  }
  return node;
}

std::string Save(const pugi::xml_document& doc) {
  std::string out;
  StringWriter writer(out);
  doc.save(writer, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  // format_no_declaration only suppresses the default one; ours is a child node.
  return out;
}

pugi::xml_node Add(pugi::xml_node parent, const char* name, std::string_view text) {
  pugi::xml_node n = parent.append_child(name);
  n.text().set(text.data(), text.size());
  return n;
}

pugi::xml_node Add(pugi::xml_node parent, const char* name, int64_t v) {
  pugi::xml_node n = parent.append_child(name);
  n.text().set(static_cast<long long>(v));
  return n;
}

pugi::xml_node AddBool(pugi::xml_node parent, const char* name, bool v) {
  return Add(parent, name, v ? "true" : "false");
}

std::string Enc(std::string_view s, bool url) {
  return url ? http::UriEncode(s, /*encode_slash=*/false) : std::string(s);
}

void AddOwner(pugi::xml_node parent, const char* name, const Owner& owner) {
  pugi::xml_node o = parent.append_child(name);
  Add(o, "ID", owner.id);
  Add(o, "DisplayName", owner.display_name);
}

// One listed object: <Contents>, or (as_version) a <Version> (or <DeleteMarker>) with its
// VersionId ("null" for the null version) and IsLatest.
void AddContents(pugi::xml_node root, const object::ObjectInfo& info, bool url, bool owner_too,
                 const Owner& owner, bool as_version = false) {
  if (as_version && info.delete_marker) {
    pugi::xml_node m = root.append_child("DeleteMarker");
    Add(m, "Key", Enc(info.key, url));
    Add(m, "VersionId", info.version_id.empty() ? "null" : info.version_id);
    AddBool(m, "IsLatest", info.is_latest);
    Add(m, "LastModified", FormatIso8601(info.mod_time_ns));
    AddOwner(m, "Owner", owner);
    return;
  }
  pugi::xml_node c = root.append_child(as_version ? "Version" : "Contents");
  Add(c, "Key", Enc(info.key, url));
  if (as_version) {
    Add(c, "VersionId", info.version_id.empty() ? "null" : info.version_id);
    AddBool(c, "IsLatest", info.is_latest);
  }
  Add(c, "LastModified", FormatIso8601(info.mod_time_ns));
  Add(c, "ETag", QuoteEtag(info.etag));
  if (info.checksum_algo != hash::ChecksumAlgo::kNone) {
    Add(c, "ChecksumAlgorithm", hash::ChecksumAlgoName(info.checksum_algo));
  }
  Add(c, "Size", static_cast<int64_t>(info.size));
  if (owner_too) AddOwner(c, "Owner", owner);
  Add(c, "StorageClass", info.storage_class.empty() ? "STANDARD" : info.storage_class);
}

void AddCommonPrefixes(pugi::xml_node root, const std::vector<std::string>& prefixes, bool url) {
  for (const std::string& p : prefixes) {
    Add(root.append_child("CommonPrefixes"), "Prefix", Enc(p, url));
  }
}

// <Root xmlns="..."/>: a configuration document with nothing configured.
std::string EmptyDocument(const char* root) {
  pugi::xml_document doc;
  Begin(doc, root);
  return Save(doc);
}

}  // namespace

std::string ErrorXml(const ApiError& error, const ErrorContext& ctx) {
  pugi::xml_document doc;
  pugi::xml_node root = Begin(doc, "Error", /*with_namespace=*/false);
  const ErrorInfo& info = error.info();
  Add(root, "Code", info.code);
  Add(root, "Message", error.client_message());
  if (!ctx.headers_not_signed.empty()) Add(root, "HeadersNotSigned", ctx.headers_not_signed);
  if ((info.flags & kWithBucket) != 0 && !ctx.bucket.empty()) Add(root, "BucketName", ctx.bucket);
  if ((info.flags & kWithKey) != 0 && !ctx.key.empty()) Add(root, "Key", ctx.key);
  Add(root, "Resource", ctx.resource);
  Add(root, "RequestId", ctx.request_id);
  Add(root, "HostId", ctx.host_id);
  return Save(doc);
}

std::string ListBucketsXml(std::span<const object::BucketInfo> buckets, const Owner& owner,
                           const ListBucketsPage& page) {
  pugi::xml_document doc;
  pugi::xml_node root = Begin(doc, "ListAllMyBucketsResult");
  AddOwner(root, "Owner", owner);
  pugi::xml_node list = root.append_child("Buckets");
  for (const object::BucketInfo& b : buckets) {
    pugi::xml_node n = list.append_child("Bucket");
    Add(n, "Name", b.name);
    Add(n, "CreationDate", FormatIso8601(b.created_ns));
    if (!page.region.empty()) Add(n, "BucketRegion", page.region);
  }
  if (!page.continuation_token.empty()) Add(root, "ContinuationToken", page.continuation_token);
  if (page.prefix_sent) Add(root, "Prefix", page.prefix);
  return Save(doc);
}

std::string ListObjectsV1Xml(const ListObjectsParams& p, const object::ListResult& r,
                             const Owner& owner) {
  pugi::xml_document doc;
  pugi::xml_node root = Begin(doc, "ListBucketResult");
  const bool url = p.url_encode;
  Add(root, "Name", p.bucket);
  // Prefix as sent even with encoding-type=url: AWS does not encode it in v1 (SDKs such as
  // botocore decode Marker, NextMarker, Delimiter and keys here, never Prefix).
  Add(root, "Prefix", p.prefix);
  Add(root, "Marker", Enc(p.marker, url));
  Add(root, "MaxKeys", p.max_keys);
  if (!p.delimiter.empty()) Add(root, "Delimiter", Enc(p.delimiter, url));
  AddBool(root, "IsTruncated", r.truncated);
  // AWS returns NextMarker only with a delimiter; without one clients use the last key.
  if (r.truncated && !p.delimiter.empty()) Add(root, "NextMarker", Enc(r.next_marker, url));
  if (url) Add(root, "EncodingType", "url");
  for (const object::ObjectInfo& o : r.objects) AddContents(root, o, url, true, owner);
  AddCommonPrefixes(root, r.common_prefixes, url);
  return Save(doc);
}

std::string ListObjectsV2Xml(const ListObjectsParams& p, const object::ListResult& r,
                             const Owner& owner) {
  pugi::xml_document doc;
  pugi::xml_node root = Begin(doc, "ListBucketResult");
  const bool url = p.url_encode;
  Add(root, "Name", p.bucket);
  Add(root, "Prefix", Enc(p.prefix, url));
  if (!p.delimiter.empty()) Add(root, "Delimiter", Enc(p.delimiter, url));
  Add(root, "MaxKeys", p.max_keys);
  Add(root, "KeyCount", static_cast<int64_t>(r.objects.size() + r.common_prefixes.size()));
  AddBool(root, "IsTruncated", r.truncated);
  if (url) Add(root, "EncodingType", "url");
  if (!p.continuation_token.empty()) Add(root, "ContinuationToken", p.continuation_token);
  if (r.truncated && !p.next_continuation_token.empty()) {
    Add(root, "NextContinuationToken", p.next_continuation_token);
  }
  if (!p.start_after.empty()) Add(root, "StartAfter", Enc(p.start_after, url));
  for (const object::ObjectInfo& o : r.objects) AddContents(root, o, url, p.fetch_owner, owner);
  AddCommonPrefixes(root, r.common_prefixes, url);
  return Save(doc);
}

std::string ListObjectVersionsXml(const ListObjectsParams& p, const object::ListResult& r,
                                  const Owner& owner) {
  pugi::xml_document doc;
  pugi::xml_node root = Begin(doc, "ListVersionsResult");
  const bool url = p.url_encode;
  Add(root, "Name", p.bucket);
  Add(root, "Prefix", Enc(p.prefix, url));
  Add(root, "KeyMarker", Enc(p.key_marker, url));
  Add(root, "VersionIdMarker", p.version_id_marker);
  if (r.truncated) {
    Add(root, "NextKeyMarker", Enc(r.next_marker, url));
    Add(root, "NextVersionIdMarker",
        r.next_version_id_marker.empty() ? "null" : r.next_version_id_marker);
  }
  Add(root, "MaxKeys", p.max_keys);
  if (!p.delimiter.empty()) Add(root, "Delimiter", Enc(p.delimiter, url));
  AddBool(root, "IsTruncated", r.truncated);
  if (url) Add(root, "EncodingType", "url");
  for (const object::ObjectInfo& o : r.objects) AddContents(root, o, url, true, owner, true);
  AddCommonPrefixes(root, r.common_prefixes, url);
  return Save(doc);
}

std::string LocationXml(std::string_view region) {
  pugi::xml_document doc;
  pugi::xml_node root = Begin(doc, "LocationConstraint");
  if (region != "us-east-1") root.text().set(region.data(), region.size());
  return Save(doc);
}

std::string VersioningXml() {
  return EmptyDocument("VersioningConfiguration");
}

std::string VersioningXml(std::string_view status) {
  if (status.empty()) return VersioningXml();
  pugi::xml_document doc;
  Add(Begin(doc, "VersioningConfiguration"), "Status", status);
  return Save(doc);
}

std::string EmptyTaggingXml() {
  pugi::xml_document doc;
  Begin(doc, "Tagging").append_child("TagSet");
  return Save(doc);
}

std::string LoggingOffXml() {
  return EmptyDocument("BucketLoggingStatus");
}

std::string NoNotificationsXml() {
  return EmptyDocument("NotificationConfiguration");
}

std::string AccelerateOffXml() {
  return EmptyDocument("AccelerateConfiguration");
}

std::string OwnerPaysXml() {
  pugi::xml_document doc;
  Add(Begin(doc, "RequestPaymentConfiguration"), "Payer", "BucketOwner");
  return Save(doc);
}

std::string AclXml(const Owner& owner) {
  pugi::xml_document doc;
  pugi::xml_node root = Begin(doc, "AccessControlPolicy");
  AddOwner(root, "Owner", owner);
  pugi::xml_node grant = root.append_child("AccessControlList").append_child("Grant");
  pugi::xml_node grantee = grant.append_child("Grantee");
  grantee.append_attribute("xmlns:xsi") = "http://www.w3.org/2001/XMLSchema-instance";
  grantee.append_attribute("xsi:type") = "CanonicalUser";
  Add(grantee, "ID", owner.id);
  Add(grantee, "DisplayName", owner.display_name);
  Add(grant, "Permission", "FULL_CONTROL");
  return Save(doc);
}

std::string CopyResultXml(std::string_view etag, int64_t mod_time_ns, bool part) {
  pugi::xml_document doc;
  pugi::xml_node root = Begin(doc, part ? "CopyPartResult" : "CopyObjectResult");
  Add(root, "LastModified", FormatIso8601(mod_time_ns));
  Add(root, "ETag", QuoteEtag(etag));
  return Save(doc);
}

std::string InitiateMultipartUploadXml(std::string_view bucket, std::string_view key,
                                       std::string_view upload_id) {
  pugi::xml_document doc;
  pugi::xml_node root = Begin(doc, "InitiateMultipartUploadResult");
  Add(root, "Bucket", bucket);
  Add(root, "Key", key);
  Add(root, "UploadId", upload_id);
  return Save(doc);
}

std::string CompleteMultipartUploadXml(std::string_view location, std::string_view bucket,
                                       std::string_view key, const object::ObjectInfo& info) {
  pugi::xml_document doc;
  pugi::xml_node root = Begin(doc, "CompleteMultipartUploadResult");
  Add(root, "Location", location);
  Add(root, "Bucket", bucket);
  Add(root, "Key", key);
  Add(root, "ETag", QuoteEtag(info.etag));
  if (info.checksum_algo != hash::ChecksumAlgo::kNone && !info.checksum_b64.empty()) {
    std::string name = "Checksum" + std::string(hash::ChecksumAlgoName(info.checksum_algo));
    Add(root, name.c_str(), info.checksum_b64);
    const bool composite = info.checksum_b64.find('-') != std::string::npos;
    Add(root, "ChecksumType", composite ? "COMPOSITE" : "FULL_OBJECT");
  }
  return Save(doc);
}

std::string ObjectAttributesXml(const ObjectAttributesParams& p, const object::ObjectInfo& info) {
  pugi::xml_document doc;
  pugi::xml_node root = Begin(doc, "GetObjectAttributesResponse");
  if (p.etag) Add(root, "ETag", info.etag);
  const bool has_checksum =
      info.checksum_algo != hash::ChecksumAlgo::kNone && !info.checksum_b64.empty();
  const std::string algo_element =
      has_checksum ? "Checksum" + std::string(hash::ChecksumAlgoName(info.checksum_algo)) : "";
  if (p.checksum && has_checksum) {
    std::string_view value = info.checksum_b64;
    const size_t dash = value.find('-');
    pugi::xml_node c = root.append_child("Checksum");
    Add(c, algo_element.c_str(), value.substr(0, dash));
    Add(c, "ChecksumType", dash == std::string_view::npos ? "FULL_OBJECT" : "COMPOSITE");
  }
  if (p.parts && !info.parts.empty()) {
    pugi::xml_node parts = root.append_child("ObjectParts");
    Add(parts, "PartsCount", static_cast<int64_t>(info.parts.size()));
    Add(parts, "PartNumberMarker", p.part_number_marker);
    int listed = 0, last = 0;
    bool truncated = false;
    for (const object::PartInfo& part : info.parts) {
      if (part.number <= p.part_number_marker) continue;
      if (listed == p.max_parts) {
        truncated = true;
        break;
      }
      ++listed;
      last = part.number;
    }
    Add(parts, "NextPartNumberMarker", last);
    Add(parts, "MaxParts", p.max_parts);
    AddBool(parts, "IsTruncated", truncated);
    for (const object::PartInfo& part : info.parts) {
      if (!has_checksum || listed == 0) break;
      if (part.number <= p.part_number_marker) continue;
      pugi::xml_node n = parts.append_child("Part");
      Add(n, "PartNumber", part.number);
      Add(n, "Size", static_cast<int64_t>(part.size));
      if (!part.checksum_b64.empty()) Add(n, algo_element.c_str(), part.checksum_b64);
      --listed;
    }
  }
  if (p.storage_class) {
    Add(root, "StorageClass", info.storage_class.empty() ? "STANDARD" : info.storage_class);
  }
  if (p.size) Add(root, "ObjectSize", static_cast<int64_t>(info.size));
  return Save(doc);
}

std::string ListPartsXml(const ListPartsParams& p, const object::ListPartsResult& r,
                         const Owner& owner) {
  pugi::xml_document doc;
  pugi::xml_node root = Begin(doc, "ListPartsResult");
  Add(root, "Bucket", p.bucket);
  Add(root, "Key", p.key);
  Add(root, "UploadId", p.upload_id);
  AddOwner(root, "Initiator", owner);
  AddOwner(root, "Owner", owner);
  Add(root, "StorageClass", r.upload.storage_class);
  Add(root, "PartNumberMarker", p.part_number_marker);
  Add(root, "NextPartNumberMarker", r.next_part_number_marker);
  Add(root, "MaxParts", p.max_parts);
  AddBool(root, "IsTruncated", r.truncated);
  const bool checksum = r.upload.checksum_algo != hash::ChecksumAlgo::kNone;
  std::string checksum_name;
  if (checksum) {
    Add(root, "ChecksumAlgorithm", hash::ChecksumAlgoName(r.upload.checksum_algo));
    checksum_name = "Checksum" + std::string(hash::ChecksumAlgoName(r.upload.checksum_algo));
  }
  for (const object::PartInfo& part : r.parts) {
    pugi::xml_node n = root.append_child("Part");
    Add(n, "PartNumber", part.number);
    Add(n, "LastModified", FormatIso8601(part.mod_time_ns));
    Add(n, "ETag", QuoteEtag(part.etag));
    Add(n, "Size", static_cast<int64_t>(part.size));
    if (checksum && !part.checksum_b64.empty()) Add(n, checksum_name.c_str(), part.checksum_b64);
  }
  return Save(doc);
}

std::string ListMultipartUploadsXml(const ListUploadsParams& p, const object::ListUploadsResult& r,
                                    const Owner& owner) {
  pugi::xml_document doc;
  pugi::xml_node root = Begin(doc, "ListMultipartUploadsResult");
  const bool url = p.url_encode;
  Add(root, "Bucket", p.bucket);
  Add(root, "KeyMarker", Enc(p.key_marker, url));
  Add(root, "UploadIdMarker", p.upload_id_marker);
  Add(root, "NextKeyMarker", Enc(r.next_key_marker, url));
  Add(root, "NextUploadIdMarker", r.next_upload_id_marker);
  Add(root, "Prefix", Enc(p.prefix, url));
  if (!p.delimiter.empty()) Add(root, "Delimiter", Enc(p.delimiter, url));
  Add(root, "MaxUploads", p.max_uploads);
  AddBool(root, "IsTruncated", r.truncated);
  if (url) Add(root, "EncodingType", "url");
  for (const object::MultipartUpload& u : r.uploads) {
    pugi::xml_node n = root.append_child("Upload");
    Add(n, "Key", Enc(u.key, url));
    Add(n, "UploadId", u.upload_id);
    AddOwner(n, "Initiator", owner);
    AddOwner(n, "Owner", owner);
    Add(n, "StorageClass", u.storage_class);
    Add(n, "Initiated", FormatIso8601(u.initiated_ns));
    if (u.checksum_algo != hash::ChecksumAlgo::kNone) {
      Add(n, "ChecksumAlgorithm", hash::ChecksumAlgoName(u.checksum_algo));
    }
  }
  AddCommonPrefixes(root, r.common_prefixes, url);
  return Save(doc);
}

std::string DeleteResultXml(std::span<const DeleteOutcome> outcomes, bool quiet) {
  pugi::xml_document doc;
  pugi::xml_node root = Begin(doc, "DeleteResult");
  for (const DeleteOutcome& o : outcomes) {
    if (o.error.ok()) {
      if (quiet) continue;
      pugi::xml_node n = root.append_child("Deleted");
      Add(n, "Key", o.key);
      if (!o.version_id.empty()) Add(n, "VersionId", o.version_id);
      if (o.delete_marker) {
        AddBool(n, "DeleteMarker", true);
        if (!o.delete_marker_version_id.empty()) {
          Add(n, "DeleteMarkerVersionId", o.delete_marker_version_id);
        }
      }
      continue;
    }
    pugi::xml_node n = root.append_child("Error");
    Add(n, "Key", o.key);
    if (!o.version_id.empty()) Add(n, "VersionId", o.version_id);
    Add(n, "Code", o.error.info().code);
    Add(n, "Message", o.error.client_message());
  }
  return Save(doc);
}

}  // namespace flashstor::s3
