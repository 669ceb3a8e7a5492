// Notifier: target lookup by ARN, event fan-out to the matching rules' queues, metrics.
#include "flashstor/notify/notifier.h"

#include <algorithm>

namespace flashstor::notify {

std::string TargetArn(std::string_view target_id) {
  return "arn:flashstor:sqs::" + std::string(target_id) + ":webhook";
}

Notifier::Notifier(std::vector<TargetOptions> targets,
                   std::span<const std::shared_ptr<storage::StorageApi>> drives, std::string region)
    : pool_(std::make_unique<object::WorkerPool>(
          static_cast<int>(std::clamp<size_t>(drives.size(), 1, 4)))),
      region_(std::move(region)) {
  for (TargetOptions& t : targets) {
    arns_.push_back(TargetArn(t.id));
    queues_.push_back(std::make_unique<EventQueue>(std::move(t), drives, *pool_));
  }
}

Notifier::~Notifier() {
  stop();
}

void Notifier::start() {
  for (auto& q : queues_) q->start();
}

void Notifier::stop() {
  for (auto& q : queues_) q->stop();
}

bool Notifier::has_arn(std::string_view arn) const {
  return queue_for(arn) != nullptr;
}

EventQueue* Notifier::queue_for(std::string_view arn) const {
  for (size_t i = 0; i < arns_.size(); ++i) {
    if (arns_[i] == arn) return queues_[i].get();
  }
  return nullptr;
}

size_t Notifier::publish(const NotificationConfig& config, const ObjectEvent& event) {
  size_t queued = 0;
  for (const NotificationRule* rule : MatchingRules(config, event.event_name, event.key)) {
    // A target removed from the server config since the rule was stored: nothing to send to.
    EventQueue* queue = queue_for(rule->arn);
    if (queue == nullptr) continue;
    if (queue->enqueue(EventMessageJson(event, region_, rule->id))) ++queued;
  }
  return queued;
}

void Notifier::register_metrics(obs::MetricsRegistry& r) const {
  for (const auto& q : queues_) {
    const EventQueue* queue = q.get();
    auto stat = [queue](uint64_t QueueStats::*field) {
      return [queue, field] { return static_cast<double>(queue->stats().*field); };
    };
    const std::string& id = queue->id();
    r.gauge_fn("flashstor_notify_events_queued", "Events queued durably for a webhook target.",
               {{"target", id}}, stat(&QueueStats::queued));
    r.gauge_fn("flashstor_notify_events_delivered", "Events a webhook target acknowledged.",
               {{"target", id}}, stat(&QueueStats::delivered));
    r.gauge_fn("flashstor_notify_failed_attempts", "Webhook deliveries that failed (retried).",
               {{"target", id}}, stat(&QueueStats::failed_attempts));
    r.gauge_fn("flashstor_notify_events_dropped", "Events not queued.",
               {{"target", id}, {"reason", "queue_full"}}, stat(&QueueStats::dropped_full));
    r.gauge_fn("flashstor_notify_events_dropped", "Events not queued.",
               {{"target", id}, {"reason", "write_error"}}, stat(&QueueStats::dropped_errors));
    r.gauge_fn("flashstor_notify_queue_length", "Events waiting for delivery.", {{"target", id}},
               stat(&QueueStats::length));
    r.gauge_fn("flashstor_notify_queue_bytes", "Bytes of the events waiting for delivery.",
               {{"target", id}}, stat(&QueueStats::bytes));
  }
}

}  // namespace flashstor::notify
