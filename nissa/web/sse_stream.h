// One Server-Sent Events stream to one browser: the bytes queued for it, bounded, between the
// thread that publishes (SseHub) and the HTTP server's event loop that sends them.
//
// A browser that stops reading costs only itself: once `max_buffered_bytes` are queued and unsent,
// the next push drops the stream (it ends after an error, and the browser's EventSource reconnects
// and starts afresh). The event loop never blocks on it: read() returns what is queued, or nothing,
// and when nothing is queued it calls `park` (the server suspends the connection) under the
// stream's lock; the next push calls the `wake` given to attach() (the server resumes it), also
// under the lock, so a wake can never come before the park it answers.
#ifndef ESPER_NISSA_WEB_SSE_STREAM_H_
#define ESPER_NISSA_WEB_SSE_STREAM_H_

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace esper::nissa::web {

// Per stream: a few seconds of events and counters even in a burst of alerts.
inline constexpr std::size_t kMaxSseBufferedBytes = 256 * 1024;

class SseStream {
 public:
  explicit SseStream(std::size_t max_buffered_bytes = kMaxSseBufferedBytes) : max_bytes_(max_buffered_bytes) {}

  // The server's side, once, before the first read(): called when bytes arrive for a parked reader.
  void attach(std::function<void()> wake);

  // Queues `bytes` (whole SSE messages). False if the stream has ended, or is ended now because the
  // reader fell more than max_buffered_bytes behind.
  bool push(std::string_view bytes);

  // Ends the stream after the bytes already queued (shutdown). Idempotent.
  void finish();
  // The reader is gone (connection closed): pushes are refused and the hub forgets the stream.
  void close();

  enum class Read { kBytes, kNothingYet, kEnded, kDropped };
  struct ReadResult {
    Read what;
    std::size_t bytes = 0;  // Copied into `out`, for kBytes.
  };
  // Up to `max` queued bytes into `out`; with nothing queued, calls `park` under the lock and
  // returns kNothingYet. kDropped: the reader fell behind (end the response with an error).
  ReadResult read(char* out, std::size_t max, const std::function<void()>& park);

  // Ended, dropped or closed: the hub forgets it.
  bool closed() const;
  // Ended because the reader fell behind.
  bool fell_behind() const;
  std::size_t buffered() const;

 private:
  void wake_locked();

  const std::size_t max_bytes_;
  mutable std::mutex mu_;
  std::string queued_;
  std::size_t sent_ = 0;  // Bytes of queued_ already read (trimmed lazily).
  std::function<void()> wake_;
  bool parked_ = false;
  bool finished_ = false;
  bool dropped_ = false;
  bool closed_ = false;
};

}  // namespace esper::nissa::web

#endif  // ESPER_NISSA_WEB_SSE_STREAM_H_
