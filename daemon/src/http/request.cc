// Request: case-insensitive header lookup over the parsed header array.
#include "flashstor/http/request.h"

#include "flashstor/http/ascii.h"

namespace flashstor::http {

const Header* Request::find_header(std::string_view name) const {
  for (const Header& h : headers) {
    if (ascii::EqualsIgnoreCase(h.name, name)) return &h;
  }
  return nullptr;
}

std::string_view Request::header(std::string_view name) const {
  const Header* h = find_header(name);
  return h != nullptr ? h->value : std::string_view();
}

bool Request::has_header(std::string_view name) const {
  return find_header(name) != nullptr;
}

}  // namespace flashstor::http
