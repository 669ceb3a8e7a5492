// S3 Object Lock documents and headers (object_lock.h): parsing with pugixml and AWS's
// validation rules and messages, and the canonical documents we answer with.
#include "flashstor/s3/object_lock.h"

#include <pugixml.hpp>

#include <charconv>
#include <ctime>

#include "flashstor/s3/headers.h"
#include "pugi_helpers.h"

namespace flashstor::s3 {
namespace {

using object::RetentionMode;

constexpr int64_t kDayNs = 86400LL * 1'000'000'000LL;
constexpr std::string_view kNs = "http://s3.amazonaws.com/doc/2006-03-01/";

std::optional<RetentionMode> ModeFromName(std::string_view name) {
  if (name == "GOVERNANCE") return RetentionMode::kGovernance;
  if (name == "COMPLIANCE") return RetentionMode::kCompliance;
  return std::nullopt;
}

std::optional<int> PositiveInt(std::string_view text, int max) {
  int v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v <= 0 || v > max) {
    return std::nullopt;
  }
  return v;
}

std::string Save(pugi::xml_document& doc) {
  std::string out;
  StringWriter w(out);
  doc.save(w, "", pugi::format_raw | pugi::format_no_declaration);
  return out;
}

pugi::xml_node NewRoot(pugi::xml_document& doc, const char* name) {
  pugi::xml_node root = doc.append_child(name);
  root.append_attribute("xmlns").set_value(std::string(kNs).c_str());
  return root;
}

}  // namespace

ApiError ParseObjectLockConfiguration(std::string_view xml, DefaultRetention& out) {
  out = {};
  pugi::xml_document doc;
  if (!Load(doc, xml)) return Code::kMalformedXml;
  pugi::xml_node root = Root(doc, "ObjectLockConfiguration");
  if (!root) return Code::kMalformedXml;
  if (TrimWs(Text(Child(root, "ObjectLockEnabled"))) != "Enabled") return Code::kMalformedXml;
  pugi::xml_node rule = Child(root, "Rule");
  if (!rule) return {};
  pugi::xml_node def = Child(rule, "DefaultRetention");
  if (!def) return Code::kMalformedXml;
  pugi::xml_node mode = Child(def, "Mode");
  pugi::xml_node days = Child(def, "Days");
  pugi::xml_node years = Child(def, "Years");
  if (!mode) return Code::kMalformedXml;
  std::optional<RetentionMode> m = ModeFromName(TrimWs(Text(mode)));
  if (!m) return Code::kMalformedXml;
  if (static_cast<bool>(days) == static_cast<bool>(years)) return Code::kMalformedXml;
  out.mode = *m;
  if (days) {
    std::optional<int> d = PositiveInt(TrimWs(Text(days)), kMaxRetentionDays);
    if (!d) {
      return ApiError(Code::kInvalidArgument,
                      "Default retention period must be a positive integer value.");
    }
    out.days = *d;
  } else {
    std::optional<int> y = PositiveInt(TrimWs(Text(years)), kMaxRetentionYears);
    if (!y) {
      return ApiError(Code::kInvalidArgument,
                      "Default retention period must be a positive integer value.");
    }
    out.years = *y;
  }
  return {};
}

std::string ObjectLockConfigurationXml(const DefaultRetention& rule) {
  pugi::xml_document doc;
  pugi::xml_node root = NewRoot(doc, "ObjectLockConfiguration");
  root.append_child("ObjectLockEnabled").text().set("Enabled");
  if (rule.mode != RetentionMode::kNone) {
    pugi::xml_node def = root.append_child("Rule").append_child("DefaultRetention");
    def.append_child("Mode").text().set(std::string(RetentionModeName(rule.mode)).c_str());
    if (rule.days != 0) def.append_child("Days").text().set(rule.days);
    if (rule.years != 0) def.append_child("Years").text().set(rule.years);
  }
  return Save(doc);
}

int64_t DefaultRetainUntil(const DefaultRetention& rule, int64_t now_ns) {
  if (rule.mode == RetentionMode::kNone) return 0;
  const int64_t days = rule.days != 0 ? rule.days : static_cast<int64_t>(rule.years) * 365;
  return now_ns + days * kDayNs;
}

std::optional<int64_t> ParseLockDate(std::string_view text) {
  // yyyy-mm-ddThh:mm:ss[.fraction]Z
  if (text.size() < 20 || text.size() > 40 || text.back() != 'Z') return std::nullopt;
  std::string buf(text.substr(0, 19));
  std::tm tm{};
  const char* end = strptime(buf.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  std::string_view rest = text.substr(19, text.size() - 20);
  int64_t frac_ns = 0;
  if (!rest.empty()) {
    if (rest.front() != '.' || rest.size() < 2 || rest.size() > 10) return std::nullopt;
    int64_t scale = 100'000'000;
    for (char c : rest.substr(1)) {
      if (c < '0' || c > '9') return std::nullopt;
      frac_ns += (c - '0') * scale;
      scale /= 10;
    }
  }
  return static_cast<int64_t>(timegm(&tm)) * 1'000'000'000LL + frac_ns;
}

ApiError ParseRetention(std::string_view xml, int64_t now_ns, object::ObjectLock& out) {
  out = {};
  pugi::xml_document doc;
  if (!Load(doc, xml)) return Code::kMalformedXml;
  pugi::xml_node root = Root(doc, "Retention");
  if (!root) return Code::kMalformedXml;
  pugi::xml_node mode = Child(root, "Mode");
  pugi::xml_node date = Child(root, "RetainUntilDate");
  if (!mode && !date) return {};  // an empty retention removes it
  if (!mode || !date) return Code::kMalformedXml;
  std::optional<RetentionMode> m = ModeFromName(TrimWs(Text(mode)));
  if (!m) return Code::kMalformedXml;
  std::optional<int64_t> until = ParseLockDate(TrimWs(Text(date)));
  if (!until) return Code::kMalformedXml;
  if (*until <= now_ns) {
    return ApiError(Code::kInvalidArgument, "The retain until date must be in the future!");
  }
  out.mode = *m;
  out.retain_until_ns = *until;
  return {};
}

std::string RetentionXml(const object::ObjectLock& lock) {
  pugi::xml_document doc;
  pugi::xml_node root = NewRoot(doc, "Retention");
  root.append_child("Mode").text().set(std::string(RetentionModeName(lock.mode)).c_str());
  root.append_child("RetainUntilDate").text().set(FormatIso8601(lock.retain_until_ns).c_str());
  return Save(doc);
}

ApiError ParseLegalHold(std::string_view xml, bool& on) {
  pugi::xml_document doc;
  if (!Load(doc, xml)) return Code::kMalformedXml;
  pugi::xml_node root = Root(doc, "LegalHold");
  if (!root) return Code::kMalformedXml;
  std::string_view status = TrimWs(Text(Child(root, "Status")));
  if (status != "ON" && status != "OFF") return Code::kMalformedXml;
  on = status == "ON";
  return {};
}

std::string LegalHoldXml(bool on) {
  pugi::xml_document doc;
  pugi::xml_node root = NewRoot(doc, "LegalHold");
  root.append_child("Status").text().set(on ? "ON" : "OFF");
  return Save(doc);
}

ApiError ParseLockHeaders(const http::Request& req, int64_t now_ns, LockHeaders& out) {
  out = {};
  const bool has_mode = req.has_header("x-amz-object-lock-mode");
  const bool has_date = req.has_header("x-amz-object-lock-retain-until-date");
  if (has_mode != has_date) {
    return ApiError(Code::kInvalidArgument,
                    "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both "
                    "be supplied");
  }
  if (has_mode) {
    std::optional<RetentionMode> m = ModeFromName(req.header("x-amz-object-lock-mode"));
    if (!m) return ApiError(Code::kInvalidArgument, "Unknown wormMode directive.");
    std::optional<int64_t> until = ParseLockDate(req.header("x-amz-object-lock-retain-until-date"));
    if (!until) {
      return ApiError(Code::kInvalidArgument,
                      "The retain until date must be provided in ISO 8601 format");
    }
    if (*until <= now_ns) {
      return ApiError(Code::kInvalidArgument, "The retain until date must be in the future!");
    }
    out.lock.mode = *m;
    out.lock.retain_until_ns = *until;
    out.retention = true;
  }
  if (req.has_header("x-amz-object-lock-legal-hold")) {
    std::string_view v = req.header("x-amz-object-lock-legal-hold");
    if (v != "ON" && v != "OFF") {
      return ApiError(Code::kInvalidArgument, "Legal Hold must be either of 'ON' or 'OFF'");
    }
    out.lock.legal_hold = v == "ON";
    out.legal_hold = true;
  }
  return {};
}

std::string_view RetentionModeName(object::RetentionMode mode) {
  switch (mode) {
    case RetentionMode::kGovernance:
      return "GOVERNANCE";
    case RetentionMode::kCompliance:
      return "COMPLIANCE";
    case RetentionMode::kNone:
      break;
  }
  return "";
}

}  // namespace flashstor::s3
