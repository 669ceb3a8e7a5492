// pugixml helpers shared by the S3 XML readers and writers: a writer that appends a saved
// document to a std::string, and an element's name without its namespace prefix.
#pragma once

#include <pugixml.hpp>

#include <string>
#include <string_view>

namespace flashstor::s3 {

class StringWriter final : public pugi::xml_writer {
 public:
  explicit StringWriter(std::string& out) : out_(out) {}
  void write(const void* data, size_t size) override {
    out_.append(static_cast<const char*>(data), size);
  }

 private:
  std::string& out_;
};

// "s3:Tagging" and "Tagging" are the same element: clients may prefix the S3 namespace.
inline std::string_view LocalName(const pugi::xml_node& n) {
  std::string_view name = n.name();
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

}  // namespace flashstor::s3
