#include "oona/subscriber_queue.h"

#include <cassert>

namespace esper::oona {
namespace {

std::size_t severity_index(proto::Severity severity) {
  const int s = static_cast<int>(severity);
  return s < 0 ? 0 : s > 5 ? 5 : static_cast<std::size_t>(s);
}

}  // namespace

QueuedMessage QueuedMessage::share() {
  QueuedMessage copy{zmq::message_t(), zmq::message_t(), severity, droppable, source};
  copy.topic.copy(topic);
  copy.payload.copy(payload);
  return copy;
}

std::string_view shed_reason_name(ShedReason reason) {
  return reason == ShedReason::kQueueFullMessages ? "queue_full_messages" : "queue_full_bytes";
}

void SubscriberQueue::erase(std::map<std::uint64_t, QueuedMessage>::iterator it) {
  bytes_ -= it->second.bytes();
  if (it->second.droppable) --droppable_;
  items_.erase(it);
}

void SubscriberQueue::push(QueuedMessage item, const OnShed& on_shed) {
  const std::size_t item_bytes = item.bytes();
  const std::size_t item_severity = severity_index(item.severity);
  while (!fits(item_bytes) && droppable_ > 0) {
    const ShedReason reason = why_not_fits();
    std::size_t lowest = 0;
    while (droppable_by_severity_[lowest].empty()) ++lowest;
    if (item.droppable && item_severity < lowest) {
      on_shed(item, reason);  // Less severe than anything queued: the newcomer is the one to go.
      return;
    }
    auto& ids = droppable_by_severity_[lowest];
    auto it = items_.find(ids.front());
    ids.pop_front();
    assert(it != items_.end());
    on_shed(it->second, reason);
    erase(it);
  }
  if (!fits(item_bytes) && item.droppable) {
    on_shed(item, why_not_fits());  // Only reliable items are queued: they outrank it.
    return;
  }
  // Only reliable items are left and a reliable one arrives: the oldest make room.
  while (!fits(item_bytes) && !reliable_ids_.empty()) {
    const ShedReason reason = why_not_fits();
    auto it = items_.find(reliable_ids_.front());
    reliable_ids_.pop_front();
    on_shed(it->second, reason);
    erase(it);
  }
  if (!fits(item_bytes)) {
    on_shed(item, why_not_fits());  // Larger than the whole byte bound.
    return;
  }
  const std::uint64_t id = next_id_++;
  if (item.droppable) {
    droppable_by_severity_[item_severity].push_back(id);
    ++droppable_;
  } else {
    reliable_ids_.push_back(id);
  }
  bytes_ += item_bytes;
  items_.emplace_hint(items_.end(), id, std::move(item));
}

QueuedMessage SubscriberQueue::take_front() {
  std::map<std::uint64_t, QueuedMessage>::iterator it;
  if (!reliable_ids_.empty()) {
    it = items_.find(reliable_ids_.front());
    reliable_ids_.pop_front();
  } else {
    it = items_.begin();  // Only droppable items are queued: the oldest is its severity's oldest.
    auto& ids = droppable_by_severity_[severity_index(it->second.severity)];
    assert(!ids.empty() && ids.front() == it->first);
    ids.pop_front();
  }
  // Counted out before the caller sends it: sending moves the frames out of the item.
  QueuedMessage item = std::move(it->second);
  bytes_ -= item.bytes();
  if (item.droppable) --droppable_;
  items_.erase(it);
  return item;
}

void SubscriberQueue::pop_front() { (void)take_front(); }

}  // namespace esper::oona
