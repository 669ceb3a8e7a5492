// The S3 error document for requests rejected by the event loop before any handler runs.
#pragma once

#include <string>
#include <utility>

namespace flashstor::server {

// {content type, body} for an early HTTP status (400, 408, 413, 414, 431, 501, 505).
std::pair<std::string, std::string> EarlyErrorBody(int status);

}  // namespace flashstor::server
