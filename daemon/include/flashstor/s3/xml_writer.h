// S3 response bodies as XML (pugixml documents saved to a string): list results, multipart
// results, copy results, ACL/versioning/location answers and the <Error> document.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/object/object_layer.h"
#include "flashstor/s3/error_table.h"

namespace flashstor::s3 {

inline constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

struct Owner {
  std::string_view id;
  std::string_view display_name;
};

struct ErrorContext {
  std::string_view resource;  // request path, e.g. "/bucket/key"
  std::string_view bucket;
  std::string_view key;
  std::string_view request_id;
  std::string_view host_id;
  // AccessDenied for unsigned headers: their names, ", "-joined (<HeadersNotSigned>).
  std::string_view headers_not_signed;
};
std::string ErrorXml(const ApiError& error, const ErrorContext& ctx);

// What a ListBuckets page adds to the bucket list.
struct ListBucketsPage {
  std::string_view region;              // <BucketRegion> of every bucket; empty: none
  std::string_view continuation_token;  // for the next page; empty: this is the last one
  std::string_view prefix;              // echoed as <Prefix> when prefix_sent
  bool prefix_sent = false;
};
std::string ListBucketsXml(std::span<const object::BucketInfo> buckets, const Owner& owner,
                           const ListBucketsPage& page = {});

struct ListObjectsParams {
  std::string_view bucket;
  std::string_view prefix;
  std::string_view delimiter;
  std::string_view marker;                   // V1 marker
  std::string_view start_after;              // V2
  std::string_view continuation_token;       // V2, as the client sent it
  std::string_view next_continuation_token;  // V2, when truncated
  std::string_view key_marker;               // versions
  std::string_view version_id_marker;        // versions
  int max_keys = 1000;
  bool url_encode = false;   // encoding-type=url
  bool fetch_owner = false;  // V2 fetch-owner (V1 always lists owners)
};
std::string ListObjectsV1Xml(const ListObjectsParams& p, const object::ListResult& r,
                             const Owner& owner);
std::string ListObjectsV2Xml(const ListObjectsParams& p, const object::ListResult& r,
                             const Owner& owner);
// ListVersionsResult of a bucket that never had versioning: every object is its own one
// version, VersionId "null", IsLatest.
std::string ListObjectVersionsXml(const ListObjectsParams& p, const object::ListResult& r,
                                  const Owner& owner);

// us-east-1 answers an empty LocationConstraint, as AWS does.
std::string LocationXml(std::string_view region);
std::string VersioningXml();  // empty: versioning was never enabled
// <VersioningConfiguration><Status>status</Status>: "Enabled" / "Suspended" ("": empty).
std::string VersioningXml(std::string_view status);
std::string EmptyTaggingXml();           // <Tagging><TagSet/></Tagging>: no tags
std::string LoggingOffXml();             // <BucketLoggingStatus/>
std::string NoNotificationsXml();        // <NotificationConfiguration/>
std::string AccelerateOffXml();          // <AccelerateConfiguration/>
std::string OwnerPaysXml();              // <RequestPaymentConfiguration> Payer BucketOwner
std::string AclXml(const Owner& owner);  // owner FULL_CONTROL

// CopyObjectResult or (part=true) CopyPartResult.
std::string CopyResultXml(std::string_view etag, int64_t mod_time_ns, bool part);
std::string InitiateMultipartUploadXml(std::string_view bucket, std::string_view key,
                                       std::string_view upload_id);
std::string CompleteMultipartUploadXml(std::string_view location, std::string_view bucket,
                                       std::string_view key, const object::ObjectInfo& info);

// GetObjectAttributes: the attributes asked for (x-amz-object-attributes) and the page of
// parts (ObjectParts of a multipart object).
struct ObjectAttributesParams {
  bool etag = false, checksum = false, parts = false, storage_class = false, size = false;
  int max_parts = 1000;
  int part_number_marker = 0;
};
// The ETag goes unquoted, as AWS sends it here (and only here). Checksum carries its
// ChecksumType: COMPOSITE for a multipart "<b64>-N" value (sent without the "-N"),
// FULL_OBJECT otherwise. Part elements are listed only when the object has a checksum.
std::string ObjectAttributesXml(const ObjectAttributesParams& p, const object::ObjectInfo& info);

struct ListPartsParams {
  std::string_view bucket, key, upload_id;
  int part_number_marker = 0;
  int max_parts = 1000;
};
std::string ListPartsXml(const ListPartsParams& p, const object::ListPartsResult& r,
                         const Owner& owner);

struct ListUploadsParams {
  std::string_view bucket, prefix, delimiter, key_marker, upload_id_marker;
  int max_uploads = 1000;
  bool url_encode = false;
};
std::string ListMultipartUploadsXml(const ListUploadsParams& p, const object::ListUploadsResult& r,
                                    const Owner& owner);

struct DeleteOutcome {
  std::string key;
  std::string version_id;  // as the request named it
  ApiError error;
  // A delete marker was added (its id) or the version removed was one.
  bool delete_marker = false;
  std::string delete_marker_version_id;
};
// Quiet mode lists only the errors.
std::string DeleteResultXml(std::span<const DeleteOutcome> outcomes, bool quiet);

}  // namespace flashstor::s3
