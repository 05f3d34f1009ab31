// One lane's sockets in Oona, in a ZeroMQ context of its own (one I/O thread), so that the two
// lanes share no I/O thread and no pipe:
//
// - the ingress, a PULL socket producers' PUSH sockets connect to;
// - the egress, a ROUTER that bus clients' DEALER sockets connect to: they say HELLO on it and Oona
//   sends each one what its credit allows (oona/egress_protocol.h, oona/subscriber_registry.h).
//   ROUTER_MANDATORY makes a full pipe an EAGAIN and an unknown peer an error, never a silent drop;
//   ZMQ_MAXMSGSIZE keeps what a client may send down to the size of a HELLO frame;
// - a monitor of the egress reporting closed connections (by file descriptor), so that Oona forgets
//   a subscriber as soon as it is gone, and one of the ingress; both report failed handshakes, each
//   attempt counted as a CURVE refusal: a client with an unknown key (refused by the ZAP handler)
//   and a plain client at a CURVE socket (a mechanism mismatch) alike;
// - the ZAP handler when CurveZMQ is configured (ZAP is per context).
#ifndef ESPER_OONA_LANE_SOCKETS_H_
#define ESPER_OONA_LANE_SOCKETS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <functional>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "oona/broker_config.h"
#include "oona/curve_security.h"

namespace esper::oona {

class LaneSockets {
 public:
  // Binds both endpoints (creating the directory of an ipc:// one) and replaces each with the
  // address actually bound (a tcp://host:* wildcard resolved to its port). Throws zmq::error_t or
  // std::filesystem::filesystem_error if it cannot.
  LaneSockets(const BrokerConfig& config, std::string& ingress_endpoint,
              std::string& egress_endpoint, std::string_view lane_name);
  ~LaneSockets();
  LaneSockets(const LaneSockets&) = delete;
  LaneSockets& operator=(const LaneSockets&) = delete;

  // Reads pending monitor events of both sockets, counting failed handshakes and calling
  // `on_disconnected` with the fd of each closed egress connection.
  void read_monitor(const std::function<void(int fd)>& on_disconnected);
  // Handshakes that failed on either socket, one per attempt (as of the last read_monitor()).
  // Thread-safe.
  std::uint64_t curve_refused() const { return handshakes_failed_.load(std::memory_order_relaxed); }
  // Connections to the ingress that closed (as of the last read_monitor()): a sender that went away,
  // a refused handshake, or a frame over the transport limit (oona/frame_limit.h), which libzmq
  // refuses by closing the connection and reports no other way.
  std::uint64_t ingress_disconnects() const { return ingress_disconnects_.load(std::memory_order_relaxed); }

 private:
  zmq::socket_t monitor_socket(zmq::socket_t& socket, const std::string& address, int events);

  zmq::context_t context_{1};
  std::unique_ptr<ZapAuthenticator> zap_;  // Only with CurveZMQ configured.
  std::atomic<std::uint64_t> handshakes_failed_{0};
  std::atomic<std::uint64_t> ingress_disconnects_{0};

 public:
  zmq::socket_t ingress;
  zmq::socket_t egress;
  zmq::socket_t monitor;          // The egress's.
  zmq::socket_t ingress_monitor;  // Failed handshakes and closed connections.
};

}  // namespace esper::oona

#endif  // ESPER_OONA_LANE_SOCKETS_H_
