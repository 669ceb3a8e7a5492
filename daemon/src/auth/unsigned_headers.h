// The headers a SigV4 signature must cover: host and every x-amz-* header the request carries
// (AWS refuses the rest: "There were headers present in the request which were not signed").
#pragma once

#include <string>
#include <string_view>

#include "flashstor/common/status.h"
#include "flashstor/http/request.h"

namespace flashstor::auth {

inline constexpr std::string_view kHeadersNotSignedMessage =
    "There were headers present in the request which were not signed";

// Checks that signed_headers (a ';'-separated lowercase list, already syntax-checked by
// CheckSignedHeaders) names host and every x-amz-* header of the request, matched
// case-insensitively; a header sent several times is one name. A presigned URL may carry
// x-amz-content-sha256 unsigned, as AWS allows (its value then enters the canonical request as
// the payload hash, so the signature still covers it).
// Errors: kAccessDenied (kHeadersNotSignedMessage); the uncovered names, lowercase, each once in
// request order (host first), joined with ", ", go to *not_signed when it is not null.
// Allocates only on the error path.
Status CheckHeadersSigned(const http::Request& request, std::string_view signed_headers,
                          bool presigned, std::string* not_signed);

}  // namespace flashstor::auth
