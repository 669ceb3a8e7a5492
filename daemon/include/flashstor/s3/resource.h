// Which bucket and key a request addresses: path-style "/bucket/key" or virtual-hosted
// "bucket.domain" hosts; plus the bucket naming rules of CreateBucket.
#pragma once

#include <string_view>

#include "flashstor/common/status.h"
#include "flashstor/mem/arena.h"
#include "flashstor/s3/error_table.h"
#include "flashstor/s3/router.h"

namespace flashstor::s3 {

struct Resource {
  ResourceKind kind = ResourceKind::kService;
  std::string_view bucket;    // not validated (only CreateBucket checks names)
  std::string_view key;       // percent-decoded, '+' kept literal; in the arena
  bool virtual_host = false;  // bucket came from the Host header
};

// `path` is the raw (percent-encoded) request path; `host` the Host header; `domain` the
// configured virtual-host domain ("" disables virtual-hosted style). Errors: kInvalidUri
// (bad escapes, not starting with '/'), kKeyTooLong (> 1024 bytes decoded).
ApiError ParseResource(std::string_view path, std::string_view host, std::string_view domain,
                       mem::Arena& arena, Resource& out);

// AWS general-purpose bucket rules: 3-63 chars of [a-z0-9.-], alphanumeric at both ends, no
// "..", not an IPv4 address, no "xn--" / "sthree-" prefix, no "-s3alias" / "--ol-s3" suffix;
// plus our reserved names ("metrics", "health", "flashstor"). Returns a message for the
// client on failure, empty on success.
std::string_view CheckBucketName(std::string_view name);

}  // namespace flashstor::s3
