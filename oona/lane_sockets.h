// One lane's sockets in Oona, in a ZeroMQ context of its own (one I/O thread), so that the two
// lanes share no I/O thread and no pipe:
//
// - the ingress, a PULL socket producers' PUSH sockets connect to;
// - the egress, an XPUB with XPUB_NODROP (a full subscriber is an EAGAIN that Oona handles, never a
//   silent drop) whose subscription messages are counted;
// - a monitor of the egress counting connected subscribers: accepted connections (by file
//   descriptor) not yet disconnected. The handshake event carries no fd, so a CURVE client being
//   refused counts for the moment until it is dropped;
// - the ZAP handler when CurveZMQ is configured (ZAP is per context).
#ifndef ESPER_OONA_LANE_SOCKETS_H_
#define ESPER_OONA_LANE_SOCKETS_H_

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "oona/broker_config.h"
#include "oona/curve_security.h"
#include "oona/normal_queue.h"

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

  // Reads pending subscription messages of the egress into `count` (distinct subscriptions).
  void read_subscriptions(std::int64_t& count);
  // Reads pending monitor events; `subscribers` becomes the number connected.
  void read_monitor(std::uint64_t& subscribers);
  std::uint64_t curve_refused() const { return zap_ ? zap_->refused() : 0; }

 private:
  zmq::context_t context_{1};
  std::unique_ptr<ZapAuthenticator> zap_;  // Only with CurveZMQ configured.

 public:
  zmq::socket_t ingress;
  zmq::socket_t egress;
  zmq::socket_t monitor;

 private:
  std::set<int> subscriber_fds_;
};

// Hands `item` to `egress` without waiting; false (and `item` untouched) if the egress refused.
bool try_send(zmq::socket_t& egress, QueuedMessage& item);

}  // namespace esper::oona

#endif  // ESPER_OONA_LANE_SOCKETS_H_
