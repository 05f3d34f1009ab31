// The deadline by which each open HTTP connection must have delivered a whole request: counted
// from when it connected or from the end of its previous response, and paused while a request is
// being handled. A connection past its deadline has its socket shut down (the server's event loop
// then sees the end of the stream and closes it), so a client that trickles a request, or opens a
// connection and says nothing, holds only its own socket, and only until the deadline.
//
// The server reports each connection's life through the calls below (any thread); a thread of this
// class wakes at the earliest deadline. Connections are identified by an opaque key.
#ifndef ESPER_NISSA_SERVE_REQUEST_DEADLINES_H_
#define ESPER_NISSA_SERVE_REQUEST_DEADLINES_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace esper::nissa {

class RequestDeadlines {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RequestDeadlines(std::chrono::milliseconds timeout);
  ~RequestDeadlines();  // Stops the thread; shuts nothing down.
  RequestDeadlines(const RequestDeadlines&) = delete;
  RequestDeadlines& operator=(const RequestDeadlines&) = delete;

  // `fd` stays open until closed(key) returns: the server calls closed() before closing it.
  void opened(const void* key, int fd);
  void request_received(const void* key);  // The whole request is in: no deadline while handled.
  void response_done(const void* key);     // Waiting for the next request: the deadline restarts.
  void closed(const void* key);

  std::uint64_t expired() const;  // Connections shut down for missing their deadline.

 private:
  struct Connection {
    int fd = -1;
    Clock::time_point waiting_since;
    bool handling = false;
    bool shut_down = false;
  };
  void watch();
  void wait_for_request(const void* key, std::unique_lock<std::mutex>& lock);

  const std::chrono::milliseconds timeout_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::unordered_map<const void*, Connection> connections_;
  bool idle_ = false;  // The thread waits without a deadline: a new one must wake it.
  bool stopping_ = false;
  std::uint64_t expired_ = 0;
  std::thread thread_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_SERVE_REQUEST_DEADLINES_H_
