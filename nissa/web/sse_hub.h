// The dashboard's Server-Sent Events streams: at most `max_streams` at once (a browser tab keeps
// one), each a bounded SseStream. What is broadcast goes to every open stream; one that fell behind
// is dropped without delaying the others or the publisher.
#ifndef ESPER_NISSA_WEB_SSE_HUB_H_
#define ESPER_NISSA_WEB_SSE_HUB_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "nissa/web/sse_stream.h"

namespace esper::nissa::web {

// Dashboards open at once; beyond this a new stream is refused (503) rather than starve the others.
inline constexpr std::size_t kMaxSseStreams = 16;

// One SSE message: "event: <event>\ndata: <line>\n..." and a blank line. `data` may hold newlines.
std::string sse_message(std::string_view event, std::string_view data);
// A comment line (": <text>"), which browsers ignore: keeps idle connections from timing out.
std::string sse_comment(std::string_view text);

class SseHub {
 public:
  explicit SseHub(std::size_t max_streams = kMaxSseStreams, std::size_t max_buffered_bytes = kMaxSseBufferedBytes)
      : max_streams_(max_streams), max_buffered_bytes_(max_buffered_bytes) {}

  // A new stream with `greeting` queued; null when max_streams are open.
  std::shared_ptr<SseStream> open(std::string_view greeting);

  // Queues `bytes` on every open stream.
  void broadcast(std::string_view bytes);
  // Ends every stream after what it has queued (shutdown).
  void finish_all();

  std::size_t open_streams();
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  std::uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }

 private:
  void prune_locked();

  const std::size_t max_streams_;
  const std::size_t max_buffered_bytes_;
  std::mutex mu_;
  std::vector<std::shared_ptr<SseStream>> streams_;
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace esper::nissa::web

#endif  // ESPER_NISSA_WEB_SSE_HUB_H_
