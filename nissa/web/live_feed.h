// The thread behind the dashboard's live stream: every `period`, while some stream is open, asks
// `poll` for what is new (SSE messages: events, alerts, counters) and broadcasts it; every
// `keep_alive` sends a comment so that idle streams are not closed as idle connections. One poller
// for every browser, so ten open dashboards cost one look at Nissa's state per period, not ten.
#ifndef ESPER_NISSA_WEB_LIVE_FEED_H_
#define ESPER_NISSA_WEB_LIVE_FEED_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "nissa/web/sse_hub.h"

namespace esper::nissa::web {

// Below the HTTP server's idle timeout (5 s), with room for a busy event loop.
inline constexpr std::chrono::milliseconds kSseKeepAlive{2000};
// New events reach a browser within this (plus the time to send them).
inline constexpr std::chrono::milliseconds kLiveFeedPeriod{250};

class LiveFeed {
 public:
  using Poll = std::function<std::string()>;  // The SSE bytes to broadcast now (empty: nothing new).

  LiveFeed(SseHub& hub, Poll poll, std::chrono::milliseconds period = kLiveFeedPeriod,
           std::chrono::milliseconds keep_alive = kSseKeepAlive);
  ~LiveFeed();  // Stops the thread and ends every stream.
  LiveFeed(const LiveFeed&) = delete;
  LiveFeed& operator=(const LiveFeed&) = delete;

  // Starts the thread if it is not running (the first stream opened); idempotent, thread-safe.
  void start();

 private:
  void run();

  SseHub& hub_;
  Poll poll_;
  const std::chrono::milliseconds period_;
  const std::chrono::milliseconds keep_alive_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace esper::nissa::web

#endif  // ESPER_NISSA_WEB_LIVE_FEED_H_
