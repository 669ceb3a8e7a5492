// Loop replies: responses the event loop produces and sends itself, without a request worker
// (health and metrics), written without blocking and resumed when the socket is writable.
#pragma once

#include <string>
#include <string_view>

#include "connection.h"

namespace flashstor::net {

// Formats a complete "Connection: close" response into c.reply (head only for HEAD).
void PrepareLoopReply(Connection& c, int status, std::string_view content_type,
                      std::string_view body);

enum class FlushResult { kDone, kWantRead, kWantWrite, kFailed };

// Sends what is left of c.reply without blocking.
FlushResult FlushLoopReply(Connection& c);

}  // namespace flashstor::net
