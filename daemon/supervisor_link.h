// This process's end of Weatherlight's control socket (README.md, "Weatherlight, the supervisor").
// Under Weatherlight the environment names the socket (ESPER_CONTROL_ENDPOINT) and the service
// (ESPER_SERVICE_NAME). The link says HELLO (service, pid, version), says it again whenever
// Weatherlight has sent no FLUSH for `silence` (Weatherlight restarted, say), and answers each
// FLUSH(seq) with FLUSHED(seq, counts) where the counts are what the caller's flush did.
//
// The answer comes from the caller's own loop, never from a helper thread: Weatherlight marks a
// service unhealthy after missed FLUSHes, so a loop that hangs (a deadlock, a stopped process) is
// caught, not only a process that died. Producers drain their buffers on FLUSH; Oona and Nissa,
// which have nothing to drain, answer with zero counts to prove their loops turn.
//
// Not thread-safe: the thread whose liveness it proves owns it.
#ifndef ESPER_DAEMON_SUPERVISOR_LINK_H_
#define ESPER_DAEMON_SUPERVISOR_LINK_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <zmq.hpp>

namespace esper::daemon {

struct FlushCounts {
  // Telemetry packets and metric points published since the previous FLUSHED: by this flush and by
  // any drain in between (a producer's batch drains; proto/esper/control.proto).
  std::uint64_t packets = 0;
  std::uint64_t points = 0;
  std::uint64_t dropped = 0;  // Items dropped since the previous FLUSHED because a buffer was full.
  std::uint64_t depth = 0;    // Items left after the flush.
};

struct SupervisorLinkOptions {
  std::string endpoint;  // Weatherlight's control socket; empty: no supervisor, the link is inert.
  std::string service;   // As configured in Weatherlight's YAML.
  std::string version = "dev";
  std::chrono::milliseconds silence{3000};  // No FLUSH this long: not supervised; say HELLO again.
};

// Fills endpoint and (if set) service from ESPER_CONTROL_ENDPOINT / ESPER_SERVICE_NAME.
void apply_supervisor_environment(SupervisorLinkOptions& options);
// The options of a service named `service` unless Weatherlight's environment names it otherwise.
SupervisorLinkOptions supervisor_link_options(std::string service);

class SupervisorLink {
 public:
  using Clock = std::chrono::steady_clock;

  explicit SupervisorLink(SupervisorLinkOptions options);
  SupervisorLink(const SupervisorLink&) = delete;
  SupervisorLink& operator=(const SupervisorLink&) = delete;

  bool active() const { return static_cast<bool>(socket_); }
  // For the owner's zmq::poll: readable when a FLUSH may be waiting. Inert link: a null item.
  zmq::pollitem_t pollitem();
  // Says HELLO when due and answers every FLUSH waiting with what `flush` returns (called once per
  // FLUSH, before the reply goes out, so whoever sees FLUSHED also sees the flush's effects). Never
  // blocks. Returns how many FLUSHes it answered.
  std::size_t serve(const std::function<FlushCounts()>& flush, Clock::time_point now = Clock::now());
  // A FLUSH arrived within `silence`: Weatherlight drives this process's flushes.
  bool supervised(Clock::time_point now = Clock::now()) const;
  Clock::time_point last_flush() const { return last_flush_; }
  const std::string& service() const { return options_.service; }

 private:
  bool send(const std::string& bytes);

  SupervisorLinkOptions options_;
  zmq::context_t context_;
  zmq::socket_t socket_;
  std::string hello_;
  bool said_hello_ = false;
  Clock::time_point last_hello_{};
  Clock::time_point last_flush_{};  // Epoch: not supervised until a FLUSH arrives.
  std::uint64_t ignored_ = 0;
};

}  // namespace esper::daemon

#endif  // ESPER_DAEMON_SUPERVISOR_LINK_H_
