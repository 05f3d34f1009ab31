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

void SubscriberQueue::shed_droppable(std::size_t severity, ShedReason reason, const OnShed& on_shed) {
  auto& ids = droppable_by_severity_[severity];
  Slot& slot = droppable_items_[ids.front() - first_id_];
  ids.pop_front();
  on_shed(slot.item, reason);
  bytes_ -= slot.item.bytes();
  slot.item = QueuedMessage{};  // Frees (its share of) the frames now.
  slot.live = false;
  --droppable_;
  ++dead_;
  drop_dead_front();
  compact_if_mostly_dead();
}

void SubscriberQueue::drop_dead_front() {
  while (!droppable_items_.empty() && !droppable_items_.front().live) {
    droppable_items_.pop_front();
    ++first_id_;
    --dead_;
  }
}

// A subscriber that never reads while lower severities keep being shed from the middle would
// otherwise collect dead slots without bound: once they outnumber the live ones, the live ones move
// up and take new ids (the same arrival order), in time linear in what the sheds left behind.
void SubscriberQueue::compact_if_mostly_dead() {
  if (dead_ < 64 || dead_ <= droppable_) return;
  std::deque<Slot> live;
  for (auto& ids : droppable_by_severity_) ids.clear();
  for (Slot& slot : droppable_items_) {
    if (!slot.live) continue;
    droppable_by_severity_[severity_index(slot.item.severity)].push_back(first_id_ + live.size());
    live.push_back(std::move(slot));
  }
  droppable_items_.swap(live);
  dead_ = 0;
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
    shed_droppable(lowest, reason, on_shed);
  }
  if (!fits(item_bytes) && item.droppable) {
    on_shed(item, why_not_fits());  // Only reliable items are queued: they outrank it.
    return;
  }
  // Only reliable items are left and a reliable one arrives: the oldest make room.
  while (!fits(item_bytes) && !reliable_.empty()) {
    on_shed(reliable_.front(), why_not_fits());
    bytes_ -= reliable_.front().bytes();
    reliable_.pop_front();
  }
  if (!fits(item_bytes)) {
    on_shed(item, why_not_fits());  // Larger than the whole byte bound.
    return;
  }
  bytes_ += item_bytes;
  if (item.droppable) {
    droppable_by_severity_[item_severity].push_back(first_id_ + droppable_items_.size());
    droppable_items_.push_back(Slot{std::move(item), true});
    ++droppable_;
  } else {
    reliable_.push_back(std::move(item));
  }
}

QueuedMessage SubscriberQueue::take_front() {
  // Counted out before the caller sends it: sending moves the frames out of the item.
  if (!reliable_.empty()) {
    QueuedMessage item = std::move(reliable_.front());
    reliable_.pop_front();
    bytes_ -= item.bytes();
    return item;
  }
  QueuedMessage item = std::move(droppable_items_.front().item);
  auto& ids = droppable_by_severity_[severity_index(item.severity)];
  assert(!ids.empty() && ids.front() == first_id_);  // The oldest is its severity's oldest.
  ids.pop_front();
  droppable_items_.pop_front();
  ++first_id_;
  --droppable_;
  bytes_ -= item.bytes();
  drop_dead_front();
  return item;
}

void SubscriberQueue::pop_front() { (void)take_front(); }

}  // namespace esper::oona
