// LookUpCredential: the provider's look-up with the token, then a constant-time comparison of
// the token the request carries with the credential's.
#include "credential_lookup.h"

#include <openssl/crypto.h>

namespace flashstor::auth {

Result<Credential> LookUpCredential(const CredentialProvider& credentials,
                                    std::string_view access_key, std::string_view token,
                                    std::time_t now) {
  Result<Credential> cred = credentials.lookup_with_token(access_key, token, now);
  if (!cred) return cred;
  if (cred->session_token.empty() && token.empty()) return cred;
  if (cred->session_token.size() != token.size() ||
      CRYPTO_memcmp(cred->session_token.data(), token.data(), token.size()) != 0) {
    return Err(Code::kInvalidToken, "The provided token is malformed or otherwise invalid.");
  }
  return cred;
}

}  // namespace flashstor::auth
