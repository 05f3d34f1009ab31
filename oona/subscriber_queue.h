// What Oona holds for one subscriber on one lane (oona/subscriber_registry.h): the envelopes
// routed to it that its credit does not yet let Oona send. Every subscriber has its own, so a slow
// or stopped reader fills only its own queue and never delays another. It is where Oona sheds:
//
// - bounded by messages and by bytes (the payloads themselves are shared between the queues of all
//   subscribers, zmq_msg_copy only counts references; the bound is what this subscriber holds back);
// - when an item does not fit, the droppable items go first: the lowest severity first, and within a
//   severity the oldest; the arriving item itself is the victim if it is less severe than everything
//   queued. Droppable are normal-lane items and, on the emergency egress, emergencies (so HIGH goes
//   before CRITICAL);
// - reliable items (field reports, acks, control, demoted emergencies) go last: the oldest reliable
//   is shed only when the queue holds nothing else. Their issuers retry end to end (the outbox), so a
//   reliable item shed for a subscriber that stopped reading is re-sent once it reads again.
//
// Reliable items leave first, in arrival order, then the others in arrival order (FIFO across
// severities): an ack or a field report never waits behind a telemetry backlog, which under
// overload would delay acks past the issuer's retry timeout and turn every retry into more load.
// Every item shed is reported to the caller, with the bound it did not fit, to be counted.
#ifndef ESPER_OONA_SUBSCRIBER_QUEUE_H_
#define ESPER_OONA_SUBSCRIBER_QUEUE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "esper/severity.pb.h"

namespace esper::oona {

// One bus message on its way to an egress socket.
struct QueuedMessage {
  zmq::message_t topic;
  zmq::message_t payload;
  proto::Severity severity = proto::SEVERITY_INFO;
  bool droppable = true;  // False for reliable and demoted items: shed last.
  std::string source;

  std::size_t bytes() const { return topic.size() + payload.size(); }
  // A second reference to the same frames (large frames are shared, not copied).
  QueuedMessage share();
};

// Which bound an item did not fit.
enum class ShedReason { kQueueFullMessages, kQueueFullBytes };
// "queue_full_messages" or "queue_full_bytes": the reason label of drop counters.
std::string_view shed_reason_name(ShedReason reason);

class SubscriberQueue {
 public:
  using OnShed = std::function<void(const QueuedMessage&, ShedReason)>;

  SubscriberQueue(std::size_t max_messages, std::size_t max_bytes)
      : max_messages_(max_messages), max_bytes_(max_bytes) {}

  // Queues `item`, first shedding as many items as its room needs (see the top of this file); each
  // shed item (possibly `item` itself) is passed to `on_shed`.
  void push(QueuedMessage item, const OnShed& on_shed);

  bool empty() const { return size() == 0; }
  std::size_t size() const { return reliable_.size() + droppable_; }
  std::size_t bytes() const { return bytes_; }
  std::size_t reliable_size() const { return reliable_.size(); }

  QueuedMessage& front() { return reliable_.empty() ? droppable_items_.front().item : reliable_.front(); }
  // Removes the front item and hands it over (to be sent: its bytes no longer count here).
  QueuedMessage take_front();
  void pop_front();

 private:
  // A droppable item in arrival order. One shed from the middle (a lower severity than the front's)
  // leaves its slot dead, frames freed, until it reaches the front or the slots are compacted: so
  // pushing and sending, the per-envelope work, allocate no node per item.
  struct Slot {
    QueuedMessage item;
    bool live = true;
  };

  bool fits(std::size_t extra_bytes) const {
    return size() + 1 <= max_messages_ && bytes_ + extra_bytes <= max_bytes_;
  }
  ShedReason why_not_fits() const {
    return size() + 1 > max_messages_ ? ShedReason::kQueueFullMessages : ShedReason::kQueueFullBytes;
  }
  // Sheds the oldest droppable item of severity index `severity` (its list must not be empty).
  void shed_droppable(std::size_t severity, ShedReason reason, const OnShed& on_shed);
  void drop_dead_front();
  void compact_if_mostly_dead();

  std::size_t max_messages_;
  std::size_t max_bytes_;
  std::deque<QueuedMessage> reliable_;  // Oldest first.
  std::deque<Slot> droppable_items_;    // Oldest first; the front slot is always live.
  std::uint64_t first_id_ = 0;          // The id of droppable_items_.front(); ids count arrivals.
  std::array<std::deque<std::uint64_t>, 6> droppable_by_severity_;  // Live ids, oldest first.
  std::size_t droppable_ = 0;  // Live droppable items.
  std::size_t dead_ = 0;       // Dead slots in droppable_items_.
  std::size_t bytes_ = 0;
};

}  // namespace esper::oona

#endif  // ESPER_OONA_SUBSCRIBER_QUEUE_H_
