// Clean shutdown for event-loop processes. SIGINT, SIGTERM and SIGHUP are blocked in every thread
// and delivered through a signalfd, which an event loop polls like any socket (zmq_poll accepts raw
// file descriptors). SIGPIPE is ignored so a closed peer is an error return, not a dead process.
//
// Construct a ShutdownSignals in main() before starting any thread: threads inherit the blocked
// mask, so no signal is ever delivered asynchronously to a random thread.
#ifndef ESPER_SIGNALS_SHUTDOWN_SIGNALS_H_
#define ESPER_SIGNALS_SHUTDOWN_SIGNALS_H_

#include <optional>

namespace esper::signals {

class ShutdownSignals {
 public:
  ShutdownSignals();  // Throws std::system_error if the signalfd cannot be created.
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  // Readable when a signal is pending.
  int fd() const { return fd_; }

  // The next pending signal (SIGINT, SIGTERM or SIGHUP), or nullopt if none. Never blocks.
  std::optional<int> take();

  // Blocks up to `timeout_ms` (-1: for ever) for the next signal.
  std::optional<int> wait(int timeout_ms);

 private:
  int fd_ = -1;
};

// True for the signals that ask a process to stop (SIGINT, SIGTERM).
bool is_stop_signal(int signo);

}  // namespace esper::signals

#endif  // ESPER_SIGNALS_SHUTDOWN_SIGNALS_H_
