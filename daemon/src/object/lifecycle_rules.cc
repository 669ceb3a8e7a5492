// Lifecycle rules: AWS's XML document in (validated) and out, and the expiry decisions.
#include "flashstor/object/lifecycle_rules.h"

#include <pugixml.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <set>
#include <sstream>

#include "flashstor/common/utc_time.h"

namespace flashstor::object {
namespace {

constexpr size_t kMaxRuleIdChars = 255;
constexpr const char* kXmlns = "http://s3.amazonaws.com/doc/2006-03-01/";

// Status keeps its message as a view: every message here is a string literal.
std::unexpected<Status> Malformed(const char* why) {
  return Err(Code::kMalformedXml, why);
}

// Element children by local name (the document may carry the S3 namespace or none).
bool Named(const pugi::xml_node& n, std::string_view name) {
  std::string_view full = n.name();
  size_t colon = full.find(':');
  return (colon == std::string_view::npos ? full : full.substr(colon + 1)) == name;
}

std::vector<pugi::xml_node> Children(const pugi::xml_node& parent, std::string_view name) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && Named(c, name)) out.push_back(c);
  }
  return out;
}

// At most one child of that name: kMalformedXml for two. Null when absent.
Result<pugi::xml_node> OneChild(const pugi::xml_node& parent, std::string_view name) {
  auto all = Children(parent, name);
  if (all.size() > 1) return Malformed("an element appears twice");
  return all.empty() ? pugi::xml_node() : all[0];
}

// `not_positive` is the message for zero or less (a literal: Status keeps static text).
Result<int> PositiveInt(const pugi::xml_node& n, const char* not_positive) {
  std::string_view text = n.text().get();
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    if (!text.empty() && text[0] == '-') return Err(Code::kInvalidArgument, not_positive);
    return Malformed("a number of days is not an integer");
  }
  if (v <= 0) return Err(Code::kInvalidArgument, not_positive);
  return v;
}

Result<uint64_t> Size(const pugi::xml_node& n) {
  std::string_view text = n.text().get();
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Err(Code::kInvalidArgument, "an object size in a filter is not a number");
  }
  return v;
}

// ISO 8601 at midnight UTC: "2026-12-31", "2026-12-31T00:00:00Z", "...T00:00:00.000Z".
Result<int64_t> MidnightDate(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char tail[16] = {};
  std::string t(text);
  int got = std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%15s", &y, &mo, &d, &h, &mi, &s, tail);
  const bool date_only = got == 3 && t.size() == 10;
  std::string_view rest = tail;
  const bool full = got >= 6 && (rest == "Z" || rest == ".000Z" || rest == "+00:00" ||
                                 rest == ".000+00:00" || (got == 6 && rest.empty()));
  if (!date_only && !full) return Err(Code::kInvalidArgument, "'Date' is not an ISO 8601 date");
  if (mo < 1 || mo > 12 || d < 1 || d > 31) {
    return Err(Code::kInvalidArgument, "'Date' is not a date");
  }
  if (h != 0 || mi != 0 || s != 0) {
    return Err(Code::kInvalidArgument, "'Date' must be at midnight GMT");
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  return static_cast<int64_t>(timegm(&tm)) * 1'000'000'000;
}

Status ParseTag(const pugi::xml_node& tag, TagList& tags) {
  auto key = OneChild(tag, "Key");
  auto value = OneChild(tag, "Value");
  if (!key) return key.error();
  if (!value) return value.error();
  if (!*key) return Status(Code::kMalformedXml, "<Tag> without <Key>");
  std::string k = key->text().get();
  if (k.empty() || k.size() > 128) return Status(Code::kInvalidArgument, "tag key length");
  std::string v = *value ? value->text().get() : "";
  if (v.size() > 256) return Status(Code::kInvalidArgument, "tag value length");
  for (const auto& [existing, unused] : tags) {
    if (existing == k) return Status(Code::kInvalidArgument, "duplicate tag key in a filter");
  }
  tags.emplace_back(std::move(k), std::move(v));
  return Status::Ok();
}

// The predicates of a filter or of its <And>; `in_and` allows several of them.
Status ParsePredicates(const pugi::xml_node& node, bool in_and, LifecycleFilter& f) {
  int predicates = 0;
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (Named(c, "Prefix")) {
      f.prefix = c.text().get();
    } else if (Named(c, "Tag")) {
      FS_RETURN_IF_ERROR(ParseTag(c, f.tags));
    } else if (Named(c, "ObjectSizeGreaterThan")) {
      auto v = Size(c);
      if (!v) return v.error();
      f.size_greater_than = *v;
    } else if (Named(c, "ObjectSizeLessThan")) {
      auto v = Size(c);
      if (!v) return v.error();
      if (*v == 0) return Status(Code::kInvalidArgument, "ObjectSizeLessThan must be positive");
      f.size_less_than = *v;
    } else if (Named(c, "And") && !in_and) {
      FS_RETURN_IF_ERROR(ParsePredicates(c, true, f));
    } else {
      return Status(Code::kMalformedXml, "unexpected element in <Filter>");
    }
    ++predicates;
  }
  if (!in_and && predicates > 1) {
    return Status(Code::kMalformedXml, "a <Filter> holds one predicate; use <And> for several");
  }
  if (f.size_less_than != 0 && f.size_greater_than >= f.size_less_than) {
    return Status(Code::kInvalidArgument,
                  "ObjectSizeGreaterThan must be less than ObjectSizeLessThan");
  }
  return Status::Ok();
}

Status ParseExpiration(const pugi::xml_node& e, LifecycleRule& r) {
  int fields = 0;
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    ++fields;
    if (Named(c, "Days")) {
      auto v = PositiveInt(c, "'Days' for Expiration action must be a positive integer");
      if (!v) return v.error();
      r.expiration_days = *v;
    } else if (Named(c, "Date")) {
      auto v = MidnightDate(c.text().get());
      if (!v) return v.error();
      r.expiration_date_ns = *v;
    } else if (Named(c, "ExpiredObjectDeleteMarker")) {
      std::string_view v = c.text().get();
      if (v != "true" && v != "false") {
        return Status(Code::kMalformedXml, "ExpiredObjectDeleteMarker is true or false");
      }
      r.expired_object_delete_marker = v == "true";
    } else {
      return Status(Code::kMalformedXml, "unexpected element in <Expiration>");
    }
  }
  if (fields != 1) {
    return Status(Code::kMalformedXml,
                  "<Expiration> holds exactly one of Days, Date and ExpiredObjectDeleteMarker");
  }
  return Status::Ok();
}

Status ParseNoncurrent(const pugi::xml_node& e, LifecycleRule& r) {
  for (pugi::xml_node c = e.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (Named(c, "NoncurrentDays")) {
      auto v = PositiveInt(
          c, "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer");
      if (!v) return v.error();
      r.noncurrent_days = *v;
    } else if (Named(c, "NewerNoncurrentVersions")) {
      auto v = PositiveInt(c, "'NewerNoncurrentVersions' must be a positive integer");
      if (!v) return v.error();
      if (*v > 100) return Status(Code::kInvalidArgument, "NewerNoncurrentVersions above 100");
      r.newer_noncurrent_versions = *v;
    } else {
      return Status(Code::kMalformedXml, "unexpected element in <NoncurrentVersionExpiration>");
    }
  }
  if (r.noncurrent_days == 0) {
    return Status(Code::kMalformedXml, "<NoncurrentVersionExpiration> needs <NoncurrentDays>");
  }
  return Status::Ok();
}

Result<LifecycleRule> ParseRule(const pugi::xml_node& node) {
  LifecycleRule r;
  bool has_status = false, has_filter = false, has_prefix = false, has_action = false;
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    Status st;
    if (Named(c, "ID")) {
      r.id = c.text().get();
      if (r.id.size() > kMaxRuleIdChars) {
        return Err(Code::kInvalidArgument, "ID length should not exceed allowed limit of 255");
      }
    } else if (Named(c, "Status")) {
      std::string_view v = c.text().get();
      if (has_status || (v != "Enabled" && v != "Disabled")) {
        return Malformed("<Status> is Enabled or Disabled");
      }
      has_status = true;
      r.enabled = v == "Enabled";
    } else if (Named(c, "Filter")) {
      if (has_filter) return Malformed("duplicate <Filter>");
      has_filter = true;
      st = ParsePredicates(c, false, r.filter);
    } else if (Named(c, "Prefix")) {
      if (has_prefix) return Malformed("duplicate <Prefix>");
      has_prefix = true;
      r.filter.prefix = c.text().get();
    } else if (Named(c, "Expiration")) {
      if (r.expiration_days || r.expiration_date_ns || r.expired_object_delete_marker) {
        return Malformed("duplicate <Expiration>");
      }
      st = ParseExpiration(c, r);
      has_action = true;
    } else if (Named(c, "NoncurrentVersionExpiration")) {
      if (r.noncurrent_days) return Malformed("duplicate <NoncurrentVersionExpiration>");
      st = ParseNoncurrent(c, r);
      has_action = true;
    } else if (Named(c, "AbortIncompleteMultipartUpload")) {
      if (r.abort_incomplete_days) return Malformed("duplicate <AbortIncompleteMultipartUpload>");
      auto days = OneChild(c, "DaysAfterInitiation");
      if (!days) return std::unexpected(days.error());
      if (!*days) return Malformed("<AbortIncompleteMultipartUpload> needs DaysAfterInitiation");
      auto v = PositiveInt(*days,
                           "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must "
                           "be a positive integer");
      if (!v) return std::unexpected(v.error());
      r.abort_incomplete_days = *v;
      has_action = true;
    } else if (Named(c, "Transition") || Named(c, "NoncurrentVersionTransition")) {
      return Err(Code::kNotImplemented,
                 "transitions are not supported: this server has one storage class");
    } else {
      return Malformed("unexpected element in <Rule>");
    }
    if (!st.ok()) return std::unexpected(st);
  }
  if (!has_status) return Malformed("<Rule> needs <Status>");
  if (has_filter == has_prefix) return Malformed("<Rule> needs one of <Filter> and <Prefix>");
  r.filter_element = has_filter;
  if (!has_action) {
    return Err(Code::kInvalidRequest, "At least one action needs to be specified in a rule");
  }
  if (!r.filter.tags.empty() && r.abort_incomplete_days != 0) {
    return Err(Code::kInvalidRequest,
               "AbortIncompleteMultipartUpload cannot be specified with Tags");
  }
  if (!r.filter.tags.empty() && r.expired_object_delete_marker) {
    return Err(Code::kInvalidRequest, "ExpiredObjectDeleteMarker cannot be specified with Tags");
  }
  return r;
}

void AddText(pugi::xml_node parent, const char* name, std::string_view text) {
  parent.append_child(name).text().set(std::string(text).c_str());
}

std::string IsoDate(int64_t ns) {
  return FormatIso8601Ms(ns / 1'000'000'000 * 1000);  // a rule's date: whole seconds, ".000Z"
}

bool HasTags(const TagList* have, const TagList& want) {
  for (const auto& [k, v] : want) {
    if (have == nullptr) return false;
    bool found = std::any_of(have->begin(), have->end(),
                             [&](const auto& t) { return t.first == k && t.second == v; });
    if (!found) return false;
  }
  return true;
}

}  // namespace

Result<LifecycleConfig> ParseLifecycleXml(std::string_view xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8)) {
    return Malformed("not XML");
  }
  pugi::xml_node root = doc.document_element();
  if (!Named(root, "LifecycleConfiguration")) return Malformed("not a LifecycleConfiguration");
  LifecycleConfig config;
  std::set<std::string> ids;
  for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    if (!Named(c, "Rule")) return Malformed("unexpected element in LifecycleConfiguration");
    if (config.rules.size() == kMaxLifecycleRules) {
      return Err(Code::kInvalidRequest, "more than 1,000 rules");
    }
    auto rule = ParseRule(c);
    if (!rule) return std::unexpected(rule.error());
    if (!rule->id.empty() && !ids.insert(rule->id).second) {
      return Err(Code::kInvalidArgument,
                 "Rule ID must be unique. Found same ID for more than one rule");
    }
    config.rules.push_back(std::move(*rule));
  }
  if (config.rules.empty()) return Malformed("a LifecycleConfiguration needs a <Rule>");
  return config;
}

std::string LifecycleToXml(const LifecycleConfig& config) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("LifecycleConfiguration");
  root.append_attribute("xmlns") = kXmlns;
  for (const LifecycleRule& r : config.rules) {
    pugi::xml_node rule = root.append_child("Rule");
    if (!r.id.empty()) AddText(rule, "ID", r.id);
    const LifecycleFilter& f = r.filter;
    if (!r.filter_element) {
      AddText(rule, "Prefix", f.prefix);
    } else {
      pugi::xml_node filter = rule.append_child("Filter");
      const int predicates = !f.prefix.empty() + static_cast<int>(f.tags.size()) +
                             (f.size_greater_than != 0) + (f.size_less_than != 0);
      pugi::xml_node into = predicates > 1 ? filter.append_child("And") : filter;
      if (!f.prefix.empty() || predicates == 0) AddText(into, "Prefix", f.prefix);
      for (const auto& [k, v] : f.tags) {
        pugi::xml_node tag = into.append_child("Tag");
        AddText(tag, "Key", k);
        AddText(tag, "Value", v);
      }
      if (f.size_greater_than != 0) {
        AddText(into, "ObjectSizeGreaterThan", std::to_string(f.size_greater_than));
      }
      if (f.size_less_than != 0) {
        AddText(into, "ObjectSizeLessThan", std::to_string(f.size_less_than));
      }
    }
    AddText(rule, "Status", r.enabled ? "Enabled" : "Disabled");
    if (r.expiration_days != 0 || r.expiration_date_ns != 0 || r.expired_object_delete_marker) {
      pugi::xml_node e = rule.append_child("Expiration");
      if (r.expiration_days != 0) AddText(e, "Days", std::to_string(r.expiration_days));
      if (r.expiration_date_ns != 0) AddText(e, "Date", IsoDate(r.expiration_date_ns));
      if (r.expired_object_delete_marker) AddText(e, "ExpiredObjectDeleteMarker", "true");
    }
    if (r.noncurrent_days != 0) {
      pugi::xml_node e = rule.append_child("NoncurrentVersionExpiration");
      AddText(e, "NoncurrentDays", std::to_string(r.noncurrent_days));
      if (r.newer_noncurrent_versions != 0) {
        AddText(e, "NewerNoncurrentVersions", std::to_string(r.newer_noncurrent_versions));
      }
    }
    if (r.abort_incomplete_days != 0) {
      pugi::xml_node e = rule.append_child("AbortIncompleteMultipartUpload");
      AddText(e, "DaysAfterInitiation", std::to_string(r.abort_incomplete_days));
    }
  }
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw | pugi::format_no_declaration);
  return out.str();
}

bool RuleMatches(const LifecycleRule& rule, const LifecycleObject& object) {
  const LifecycleFilter& f = rule.filter;
  if (!object.key.starts_with(f.prefix)) return false;
  if (f.size_greater_than != 0 && object.size <= f.size_greater_than) return false;
  if (f.size_less_than != 0 && object.size >= f.size_less_than) return false;
  return HasTags(object.tags, f.tags);
}

std::optional<Expiry> CurrentVersionExpiry(const LifecycleConfig& config,
                                           const LifecycleObject& object, int64_t day_ns) {
  std::optional<Expiry> best;
  for (const LifecycleRule& r : config.rules) {
    if (!r.enabled || !RuleMatches(r, object)) continue;
    int64_t at = 0;
    if (r.expiration_days != 0) {
      at = object.mod_time_ns + r.expiration_days * day_ns;
      // Real days end at the next midnight UTC, as AWS counts them.
      if (day_ns == kNsPerDay) at = (at + kNsPerDay - 1) / kNsPerDay * kNsPerDay;
    } else if (r.expiration_date_ns != 0) {
      at = r.expiration_date_ns;
    } else {
      continue;
    }
    if (!best || at < best->at_ns) best = Expiry{at, r.id};
  }
  return best;
}

std::optional<int64_t> UploadAbortTime(const LifecycleConfig& config, std::string_view key,
                                       int64_t initiated_ns, int64_t day_ns) {
  std::optional<int64_t> best;
  for (const LifecycleRule& r : config.rules) {
    if (!r.enabled || r.abort_incomplete_days == 0 || !key.starts_with(r.filter.prefix)) continue;
    int64_t at = initiated_ns + r.abort_incomplete_days * day_ns;
    if (!best || at < *best) best = at;
  }
  return best;
}

std::string ExpirationHeader(const Expiry& expiry) {
  std::time_t t = static_cast<std::time_t>(expiry.at_ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return "expiry-date=\"" + std::string(date) + "\", rule-id=\"" + expiry.rule_id + "\"";
}

}  // namespace flashstor::object
