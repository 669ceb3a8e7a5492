// Early responses: errors the event loop answers itself (malformed or oversized heads,
// header deadline) with one non-blocking send, before any handler runs.
#pragma once

#include <string_view>

namespace flashstor::tls {
class TlsConnection;
}

namespace flashstor::net {

// Best effort: a peer that does not read gets what fits in the socket buffer. tls is the
// connection's TLS session or null for plain TCP.
void SendEarlyResponse(int fd, tls::TlsConnection* tls, int status, std::string_view content_type,
                       std::string_view body);

}  // namespace flashstor::net
