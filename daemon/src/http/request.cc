// Request: case-insensitive header lookup over the parsed header array.
#include "flashstor/http/request.h"

#include "ascii.h"

namespace flashstor::http {

std::string_view Request::header(std::string_view name) const {
  for (const Header& h : headers) {
    if (ascii::EqualsIgnoreCase(h.name, name)) return h.value;
  }
  return {};
}

bool Request::has_header(std::string_view name) const {
  for (const Header& h : headers) {
    if (ascii::EqualsIgnoreCase(h.name, name)) return true;
  }
  return false;
}

}  // namespace flashstor::http
