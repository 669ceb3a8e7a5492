// The signature of a browser POST form (PostObject): SigV4 (hex HMAC-SHA256 with the signing
// key of x-amz-credential's scope) or SigV2 (base64 HMAC-SHA1), both over the base64 policy.
#pragma once

#include "flashstor/auth/credentials.h"
#include "flashstor/auth/sigv4.h"
#include "flashstor/common/status.h"

namespace flashstor::auth {

// See SigV4Verifier::verify_post_form.
Result<AuthContext> VerifyPostFormSignature(const CredentialProvider& credentials,
                                            const VerifyOptions& options,
                                            const PostFormSignature& form);

}  // namespace flashstor::auth
