// Replay protection for signed envelopes. A signature proves who made an envelope, not that this is
// the first time it arrives: a captured envelope could be sent again byte for byte. With signing on,
// Oona and every subscriber that verifies remember, per stream (source, instance, lane stream as in
// oona/sequence_tracker.h), which sequence numbers they have seen in a window below the highest:
// a number seen before, or one too old for the window, is a replay (reject reason `replayed`).
//
// A producer that restarts under the same instance name counts from 1 again. That is told apart by
// the send time, which the signature covers: a restarted producer sends later than anything it sent
// before, while a replayed copy carries a send time already seen on its stream. So a number seen
// before with a send time newer than every one of its stream starts the stream afresh, and from
// then on anything sent before that restart is a replay. (A producer whose clock steps back across
// a restart is taken for a replay until it sends past that time; an envelope of the old run that
// arrives after the new run's first is refused.)
//
// The state is bounded: at most `max_streams` streams, the least recently used forgotten first. A
// forgotten stream, and every stream across an Oona restart, starts afresh, so protection holds
// for the streams currently remembered. Thread-safe (Oona's two lanes share one guard).
#ifndef ESPER_OONA_REPLAY_GUARD_H_
#define ESPER_OONA_REPLAY_GUARD_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "esper/envelope.pb.h"

namespace esper::oona {

class ReplayGuard {
 public:
  static constexpr std::uint64_t kWindow = 1024;  // Sequence numbers remembered below the highest.
  static constexpr std::size_t kDefaultMaxStreams = 16384;

  explicit ReplayGuard(std::size_t max_streams = kDefaultMaxStreams) : max_streams_(max_streams) {}

  // True if `envelope` is new on its stream (and remembers it); false for a replay.
  bool admit(const proto::Envelope& envelope);

  std::size_t streams() const;

 private:
  struct Stream {
    std::uint64_t highest = 0;
    std::uint64_t newest_sent_unix_ns = 0;
    std::uint64_t restarted_unix_ns = 0;  // Send time of the restart last seen; older is a replay.
    std::array<std::uint64_t, kWindow / 64> seen{};  // Bit s % kWindow for s in (highest - kWindow, highest].
    std::list<std::string>::iterator lru;
  };
  static bool test(const Stream& stream, std::uint64_t seq);
  static void mark(Stream& stream, std::uint64_t seq);
  static void clear(Stream& stream, std::uint64_t seq);

  const std::size_t max_streams_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Stream> streams_;
  std::list<std::string> lru_;  // Least recently used first.
};

}  // namespace esper::oona

#endif  // ESPER_OONA_REPLAY_GUARD_H_
