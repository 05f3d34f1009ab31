// Messages passed from one of Oona's two lane threads to the other: emergency envelopes that came
// in on the normal ingress go to the emergency lane, and envelopes the emergency lane demoted (or
// that came in on its ingress with a normal topic) go to the normal lane.
//
// A mutex-guarded queue with an eventfd that is readable exactly while the queue holds something,
// so the receiving thread polls it beside its ZeroMQ sockets (zmq_poll takes plain descriptors).
// It is unbounded because nothing passed over may be dropped; the emergency lane throttles its own
// ingress on size() instead. The normal lane hands over only the emergencies that producers sent to
// the wrong socket.
#ifndef ESPER_OONA_LANE_HANDOFF_H_
#define ESPER_OONA_LANE_HANDOFF_H_

#include <atomic>
#include <cstddef>
#include <deque>
#include <mutex>

#include "oona/subscriber_queue.h"

namespace esper::oona {

class LaneHandoff {
 public:
  LaneHandoff();  // Throws std::system_error if no eventfd can be made.
  ~LaneHandoff();
  LaneHandoff(const LaneHandoff&) = delete;
  LaneHandoff& operator=(const LaneHandoff&) = delete;

  void push(QueuedMessage item);
  // Everything queued, oldest first; afterwards fd() is no longer readable until the next push.
  std::deque<QueuedMessage> take_all();

  std::size_t size() const { return size_.load(std::memory_order_relaxed); }
  int fd() const { return fd_; }

 private:
  int fd_;
  std::mutex mu_;
  std::deque<QueuedMessage> items_;
  std::atomic<std::size_t> size_{0};
};

}  // namespace esper::oona

#endif  // ESPER_OONA_LANE_HANDOFF_H_
