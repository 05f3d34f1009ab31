// How a recording thread wakes the service runtime's driver thread when a batch is ready, without
// waiting for it: an eventfd. notify() is one non-blocking write (a few hundred nanoseconds, paid
// once per batch, not per point); the driver polls fd() beside its control socket (zmq_poll accepts
// raw file descriptors) and calls clear() before it drains.
#ifndef ESPER_PRODUCERS_DRAIN_WAKEUP_H_
#define ESPER_PRODUCERS_DRAIN_WAKEUP_H_

namespace esper::producers {

class DrainWakeup {
 public:
  DrainWakeup();  // Throws std::system_error if the eventfd cannot be created.
  ~DrainWakeup();
  DrainWakeup(const DrainWakeup&) = delete;
  DrainWakeup& operator=(const DrainWakeup&) = delete;

  // Makes fd() readable. Thread-safe, never blocks.
  void notify();
  // Makes fd() unreadable again; true if notify() was called since the last clear().
  bool clear();
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace esper::producers

#endif  // ESPER_PRODUCERS_DRAIN_WAKEUP_H_
