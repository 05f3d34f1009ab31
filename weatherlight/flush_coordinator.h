// Weatherlight's end of the flush protocol (README.md, "Weatherlight, the supervisor"). It binds the control
// socket (ROUTER); each service's runtime connects (DEALER) and says HELLO. On every tick the
// coordinator sends FLUSH(seq) to each service that said HELLO and matches the FLUSHED(seq, ...)
// replies to measure flush latency per service. A service still owing a reply when the next tick
// comes has missed a flush; `missed_threshold` consecutive misses make it unhealthy, and one answered
// flush makes it healthy again.
#ifndef ESPER_WEATHERLIGHT_FLUSH_COORDINATOR_H_
#define ESPER_WEATHERLIGHT_FLUSH_COORDINATOR_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "logging/rate_limited_log.h"

namespace esper::proto {
class Flushed;
class Hello;
}  // namespace esper::proto

namespace esper::weatherlight {

struct FlushEvent {
  enum class Type { kHello, kFlushed, kUnhealthy, kHealthy };
  Type type;
  std::string service;
  pid_t pid = 0;                          // kHello: the pid the service announced.
  std::chrono::microseconds latency{0};   // kFlushed.
  std::uint64_t points = 0, packets = 0, dropped = 0, depth = 0;  // kFlushed.
  std::uint64_t missed = 0;               // kUnhealthy: consecutive misses.
};

struct ServiceFlushStats {
  bool connected = false;  // Said HELLO and has not been forgotten since.
  bool healthy = true;
  std::uint64_t answered = 0;
  std::uint64_t missed_total = 0;
  std::uint64_t missed_consecutive = 0;
  std::uint64_t dropped_total = 0;  // Sum of FLUSHED.dropped.
  std::chrono::microseconds last_latency{0};
};

class FlushCoordinator {
 public:
  using Clock = std::chrono::steady_clock;

  FlushCoordinator(zmq::context_t& context, const std::string& endpoint, std::uint32_t missed_threshold);

  zmq::socket_t& socket() { return socket_; }

  // Reads every message waiting on the control socket.
  std::vector<FlushEvent> on_readable(Clock::time_point now);
  // Counts missed replies from the previous round, then sends FLUSH(next seq) to every connected
  // service. Returns unhealthy transitions.
  std::vector<FlushEvent> tick(Clock::time_point now);
  // True when every connected service has answered the latest FLUSH.
  bool all_answered() const;

  // The service's process is gone: drop its connection (it will say HELLO again when restarted).
  void forget(const std::string& service);
  void set_missed_threshold(std::uint32_t threshold) { missed_threshold_ = threshold; }

  std::uint64_t seq() const { return seq_; }
  std::uint64_t rejected_messages() const { return rejected_; }  // Unparseable or unexpected.
  ServiceFlushStats stats(const std::string& service) const;

 private:
  struct Peer {
    std::string identity;
    pid_t pid = 0;
    std::optional<std::uint64_t> outstanding;  // seq of the FLUSH not yet answered.
    Clock::time_point sent_at;
    ServiceFlushStats stats;
  };

  void on_hello(const proto::Hello& hello, const std::string& identity, std::vector<FlushEvent>& events);
  void on_flushed(const proto::Flushed& flushed, const std::string& identity, Clock::time_point now,
                  std::vector<FlushEvent>& events);

  zmq::socket_t socket_;
  std::uint32_t missed_threshold_;
  std::uint64_t seq_ = 0;
  std::uint64_t rejected_ = 0;
  std::map<std::string, Peer> peers_;  // By service name.
  logging::RateLimitedLog bad_message_log_;
};

}  // namespace esper::weatherlight

#endif  // ESPER_WEATHERLIGHT_FLUSH_COORDINATOR_H_
