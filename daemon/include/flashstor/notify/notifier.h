// Notifier: the configured webhook targets (their ARNs arn:flashstor:sqs::<id>:webhook), one
// EventQueue each, and the publishing of an object event to the targets a bucket's
// notification rules name. Owned by the server's Engine; thread-safe.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flashstor/notify/event_queue.h"
#include "flashstor/notify/event_record.h"
#include "flashstor/notify/notification_config.h"
#include "flashstor/obs/metrics.h"

namespace flashstor::notify {

// "arn:flashstor:sqs::<id>:webhook".
std::string TargetArn(std::string_view target_id);

class Notifier {
 public:
  Notifier(std::vector<TargetOptions> targets,
           std::span<const std::shared_ptr<storage::StorageApi>> drives, std::string region);
  ~Notifier();  // stops
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void start();
  void stop();  // each delivery thread ends within about 100 ms
  bool has_arn(std::string_view arn) const;
  // Queues the event (durably) for every rule of config that matches it. Returns the number
  // of messages queued; a full queue drops its message (counted), never fails the caller.
  size_t publish(const NotificationConfig& config, const ObjectEvent& event);
  // flashstor_notify_* gauges per target. The notifier must outlive the registry's scrapes.
  void register_metrics(obs::MetricsRegistry& registry) const;

 private:
  EventQueue* queue_for(std::string_view arn) const;

  std::unique_ptr<object::WorkerPool> pool_;
  std::vector<std::unique_ptr<EventQueue>> queues_;
  std::vector<std::string> arns_;
  std::string region_;
};

}  // namespace flashstor::notify
