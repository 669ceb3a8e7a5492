// PublishBucketEvent: queues an object event for the notification rules of its bucket (the
// bucket's settings record holds them as XML; parsed rules are cached per thread by record).
// Shared by the S3 handlers (request events) and the lifecycle worker (expiry events).
#pragma once

#include <memory>

#include "flashstor/notify/event_record.h"
#include "flashstor/notify/notifier.h"
#include "flashstor/object/bucket_metadata.h"

namespace flashstor::notify {

// Fills event.time_ns and event.sequencer when they are unset. Returns the messages queued (0
// when the bucket has no rules or none matches).
size_t PublishBucketEvent(Notifier& notifier,
                          const std::shared_ptr<const object::BucketMetadata>& bucket,
                          ObjectEvent event);

}  // namespace flashstor::notify
