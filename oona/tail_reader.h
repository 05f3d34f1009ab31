// esper-tail's bus reader: a thread that reads the bus as fast as Oona sends and queues what passes
// the filter, so that a slow terminal or a paused pager (`esper-tail | less`) never holds back Oona.
// Oona never drops for a slow subscriber; it waits for it (XPUB_NODROP), and a stalled esper-tail
// would stall the whole normal lane for every other subscriber. Here the queue is bounded instead:
// when the printer falls behind, new envelopes are skipped and counted, and the printer is told how
// many it missed at the point where it missed them.
#ifndef ESPER_OONA_TAIL_READER_H_
#define ESPER_OONA_TAIL_READER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "oona/bus_subscriber.h"
#include "oona/tail_format.h"

namespace esper::oona {

class TailReader {
 public:
  // Connects (throws what BusSubscriber throws) and starts reading.
  TailReader(BusSubscriberOptions options, TailFilter filter, std::size_t capacity);
  ~TailReader();  // Stops reading.
  TailReader(const TailReader&) = delete;
  TailReader& operator=(const TailReader&) = delete;

  struct Next {
    std::optional<BusMessage> message;
    std::uint64_t skipped_before = 0;  // Envelopes skipped (queue full) just before this one.
  };
  // The next queued envelope, waiting up to `timeout` for one.
  Next next(std::chrono::milliseconds timeout);
  // Envelopes skipped since the last one handed out by next() (to report at exit).
  std::uint64_t skipped_pending() const;

 private:
  void run();

  BusSubscriber subscriber_;  // Used by the reading thread only, once started.
  TailFilter filter_;
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::deque<Next> queue_;
  std::uint64_t skipped_ = 0;  // Since the last queued envelope.
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace esper::oona

#endif  // ESPER_OONA_TAIL_READER_H_
