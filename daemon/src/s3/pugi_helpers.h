// pugixml helpers shared by the S3 XML readers and writers: a writer that appends a saved
// document to a std::string, an element's name without its namespace prefix, a bounded
// document load and child lookups by local name.
#pragma once

#include <pugixml.hpp>

#include <cstring>
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

// The first child element of that local name, or a null node.
inline pugi::xml_node Child(const pugi::xml_node& parent, std::string_view name) {
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && LocalName(c) == name) return c;
  }
  return {};
}

inline std::string_view Text(const pugi::xml_node& n) {
  return n.text().get();
}

inline bool Load(pugi::xml_document& doc, std::string_view xml) {
  // parse_default skips DOCTYPE declarations without expanding anything; only the five
  // predefined and numeric entities are decoded.
  pugi::xml_parse_result r =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_ws_pcdata_single,
                      pugi::encoding_utf8);
  return static_cast<bool>(r);
}

inline pugi::xml_node Root(const pugi::xml_document& doc, std::string_view name) {
  pugi::xml_node root = doc.document_element();
  if (!root || LocalName(root) != name) return {};
  return root;
}

inline std::string_view TrimWs(std::string_view s) {
  while (!s.empty() && std::strchr(" \t\r\n", s.front()) != nullptr) s.remove_prefix(1);
  while (!s.empty() && std::strchr(" \t\r\n", s.back()) != nullptr) s.remove_suffix(1);
  return s;
}

}  // namespace flashstor::s3
