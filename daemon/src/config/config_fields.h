// Value checks for config fields (internal to flashstor_config): each returns an empty
// string when the value is valid, else the reason it is not.
#pragma once

#include <string>
#include <string_view>

#include <optional>

#include "flashstor/config/config.h"

struct cJSON;

namespace flashstor::config::internal {

// "notify_webhook": [{"id": ..., "endpoint": ..., ...}] (config_notify.cc).
std::optional<ConfigError> ParseNotifyWebhook(const cJSON* j, Config& c);

std::string CheckRootUser(std::string_view v);
std::string CheckRootPassword(std::string_view v);
std::string CheckAbsolutePath(std::string_view v);
// A drive: an absolute path or http(s)://host:port/absolute/path (a remote node's drive).
std::string CheckDrive(std::string_view v);
std::string CheckListenAddress(std::string_view v);
std::string CheckDomain(std::string_view v);
std::string CheckRegion(std::string_view v);
std::string CheckPosixName(std::string_view v);  // run_user, run_group

// Printable, bounded rendering of an untrusted JSON key for error messages.
std::string SafeKey(std::string_view key);

}  // namespace flashstor::config::internal
