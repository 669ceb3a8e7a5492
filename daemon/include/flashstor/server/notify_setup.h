// OpenNotifier: the webhook targets of the config as a notify::Notifier over the engine's
// drives (null when none is configured); reads each target's bearer token file.
// LifecycleEventPublisher: the lifecycle worker's removals as s3:LifecycleExpiration events.
#pragma once

#include <expected>
#include <memory>
#include <span>
#include <string>

#include "flashstor/config/config.h"
#include "flashstor/notify/notifier.h"
#include "flashstor/object/lifecycle_worker.h"

namespace flashstor::server {

// Errors are one line naming the target at fault (never the token).
std::expected<std::unique_ptr<notify::Notifier>, std::string> OpenNotifier(
    const config::Config& cfg, std::span<const std::shared_ptr<storage::StorageApi>> drives);

// Publishes LifecycleExpiration:Delete / :DeleteMarkerCreated for the bucket's rules, as AWS
// (principal "s3.amazonaws.com"). Empty without a notifier. Both must outlive the worker.
object::LifecycleObserver LifecycleEventPublisher(notify::Notifier* notifier,
                                                  object::ObjectLayer& layer);

}  // namespace flashstor::server
