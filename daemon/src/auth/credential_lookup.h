// LookUpCredential: the one credential look-up of every signature kind (SigV4 header and
// presigned, SigV2 header and presigned, POST forms): long-term keys, and STS temporary keys
// validated statelessly from the session token the request carries.
#pragma once

#include <ctime>
#include <string_view>

#include "flashstor/auth/credentials.h"
#include "flashstor/common/status.h"

namespace flashstor::auth {

// The credential of access_key, checked against the request's token (x-amz-security-token,
// the presigned parameter or the form field): kInvalidAccessKeyId for an unknown key,
// kInvalidToken for a token missing, forged, sealed for another key or carried by a long-term
// key, kExpiredToken from the session's expiry second on (CredentialProvider).
Result<Credential> LookUpCredential(const CredentialProvider& credentials,
                                    std::string_view access_key, std::string_view token,
                                    std::time_t now);

}  // namespace flashstor::auth
