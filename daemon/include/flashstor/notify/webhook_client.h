// WebhookClient: one HTTP/1.1 POST of a JSON body to a webhook (http:// only) over a
// non-blocking socket, with one deadline over resolve, connect, send and receive, that a stop
// flag cuts short. Blocking for the calling thread (a delivery worker, never an event loop).
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

#include "flashstor/common/status.h"

namespace flashstor::notify {

struct WebhookUrl {
  std::string host;  // name or address; IPv6 without brackets
  std::string port = "80";
  std::string path = "/";
};

// http://host[:port][/path]. kInvalidArgument for anything else (https included).
Result<WebhookUrl> ParseWebhookUrl(std::string_view url);

// The HTTP status of the answer, or kTimeout / kUnavailable (resolve, connect, reset) /
// kCorrupt (not HTTP) / kCancelled (stop was set). bearer_token, when not empty, is sent as
// "Authorization: Bearer <token>" and never logged.
Result<int> PostJson(const WebhookUrl& url, std::string_view body, std::string_view bearer_token,
                     std::chrono::milliseconds timeout, const std::atomic<bool>& stop);

}  // namespace flashstor::notify
