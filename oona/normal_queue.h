// Oona's own queue for the normal egress, used only while ZeroMQ refuses more (XPUB_NODROP makes a
// full subscriber pipe an EAGAIN instead of a silent drop). It is where Oona decides drops:
//
// - bounded by messages and by bytes;
// - when a droppable (normal-lane) item does not fit, the lowest severity goes first, and within a
//   severity the oldest; the arriving item itself is the victim if it is less severe than
//   everything queued;
// - reliable items (field reports, acks, control, demoted emergencies) are never evicted; they count
//   toward the bound, and may exceed it; the broker stops reading its ingress (backpressure) while
//   too many are queued.
//
// Reliable items leave first, in arrival order, then droppable ones in arrival order (FIFO across
// severities): an ack or a field report never waits behind a telemetry backlog, which under
// overload would delay acks past the issuer's retry timeout and turn every retry into more load.
// Every eviction is reported to the caller, which counts it.
#ifndef ESPER_OONA_NORMAL_QUEUE_H_
#define ESPER_OONA_NORMAL_QUEUE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>

#include <zmq.hpp>

#include "esper/severity.pb.h"

namespace esper::oona {

// One bus message waiting for its egress socket.
struct QueuedMessage {
  zmq::message_t topic;
  zmq::message_t payload;
  leyline::Severity severity = leyline::SEVERITY_INFO;
  bool droppable = true;  // False for reliable and demoted items.
  std::string source;

  std::size_t bytes() const { return topic.size() + payload.size(); }
};

class NormalQueue {
 public:
  NormalQueue(std::size_t max_messages, std::size_t max_bytes)
      : max_messages_(max_messages), max_bytes_(max_bytes) {}

  // Queues `item`, first evicting as many droppable items as its room needs; each evicted item
  // (possibly `item` itself) is passed to `on_drop`.
  void push(QueuedMessage item, const std::function<void(const QueuedMessage&)>& on_drop);

  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }
  std::size_t bytes() const { return bytes_; }
  std::size_t reliable_size() const { return items_.size() - droppable_; }

  QueuedMessage& front() {
    return reliable_ids_.empty() ? items_.begin()->second : items_.find(reliable_ids_.front())->second;
  }
  void pop_front();

 private:
  bool fits(std::size_t extra_bytes) const {
    return items_.size() + 1 <= max_messages_ && bytes_ + extra_bytes <= max_bytes_;
  }
  void erase(std::map<std::uint64_t, QueuedMessage>::iterator it);

  std::size_t max_messages_;
  std::size_t max_bytes_;
  std::uint64_t next_id_ = 0;
  std::map<std::uint64_t, QueuedMessage> items_;  // By arrival id: FIFO order.
  std::array<std::deque<std::uint64_t>, 6> droppable_by_severity_;  // Ids, oldest first.
  std::deque<std::uint64_t> reliable_ids_;                          // Ids, oldest first.
  std::size_t droppable_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace esper::oona

#endif  // ESPER_OONA_NORMAL_QUEUE_H_
