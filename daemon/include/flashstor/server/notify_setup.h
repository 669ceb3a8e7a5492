// OpenNotifier: the webhook targets of the config as a notify::Notifier over the engine's
// drives (null when none is configured); reads each target's bearer token file.
#pragma once

#include <expected>
#include <memory>
#include <span>
#include <string>

#include "flashstor/config/config.h"
#include "flashstor/notify/notifier.h"

namespace flashstor::server {

// Errors are one line naming the target at fault (never the token).
std::expected<std::unique_ptr<notify::Notifier>, std::string> OpenNotifier(
    const config::Config& cfg, std::span<const std::shared_ptr<storage::StorageApi>> drives);

}  // namespace flashstor::server
