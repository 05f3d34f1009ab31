// Oona, the bus broker. Every envelope passes through here:
//
//   ingress (PULL, one socket per lane) -> decode (bad input rejected and counted) -> route by the
//   envelope's own lane -> egress (XPUB with XPUB_NODROP, one socket per lane)
//
// Emergency first: every loop iteration drains the emergency egress queue and reads the emergency
// ingress before touching the normal lane, and normal work is done in batches of 16 messages
// between emergency checks (which ask ZMQ_EVENTS, so a pending emergency is seen at once). Each
// lane's sockets also run on their own ZeroMQ I/O thread. Nothing is dropped silently: ZeroMQ is told never to drop (XPUB_NODROP makes a
// full subscriber an EAGAIN), and what it refuses waits in Oona's own queues, where only the normal
// lane is bounded and drops (lowest severity first, then oldest; NormalQueue), each drop counted by
// lane, source and reason. Emergency and reliable items are never dropped: past their bound Oona
// stops reading the ingress, which pushes back to the producers (whose publish() is bounded and
// counts what it could not send).
//
// An emergency envelope over its source's token bucket is demoted: marked `demoted` (which makes
// its topic `reliable.<kind>.<severity>.<source>`), re-serialized and routed on the normal egress as
// reliable. Subscribers see it on the normal socket; it is counted in oona.demoted_total{source}.
//
// With a signing key configured (oona/envelope_signer.h), every envelope must carry a valid
// HMAC: unsigned and badly signed ones are rejected and counted (`unsigned`, `bad_signature`);
// Oona signs its own telemetry and re-signs what it demotes.
//
// With CurveZMQ configured, tcp:// endpoints admit only the listed client keys
// (oona/curve_security.h).
//
// Oona publishes its own counters (oona/broker_stats.h) from source "oona" on the normal lane every
// flush interval.
#ifndef ESPER_OONA_BROKER_H_
#define ESPER_OONA_BROKER_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <zmq.hpp>

#include "logging/rate_limited_log.h"
#include "oona/broker_config.h"
#include "oona/broker_stats.h"
#include "oona/emergency_rate_limiter.h"
#include "oona/envelope_signer.h"
#include "oona/normal_queue.h"

namespace esper::oona {

class Broker {
 public:
  // Binds all four endpoints (creating the runtime dir for ipc:// ones); config().endpoints then
  // holds the bound addresses (a tcp://host:* wildcard resolved to its port). Throws zmq::error_t
  // or std::filesystem::filesystem_error if it cannot.
  explicit Broker(BrokerConfig config);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Runs until `stop_fd` is readable and `should_stop()` then returns true (main passes the
  // signalfd of ShutdownSignals). Publishes a final oona.* packet before returning.
  // `on_tick` runs every flush interval, after Oona's own telemetry went out (the systemd watchdog
  // pings from there: a stuck loop stops them).
  void run(int stop_fd, const std::function<bool()>& should_stop, const std::function<void()>& on_tick = {});

  const BrokerConfig& config() const { return config_; }
  const BrokerStats& stats() const { return stats_; }

 private:
  bool emergency_waiting();
  bool read_ingress(zmq::socket_t& socket);  // One message; false if none was waiting.
  void reject(std::string_view reason, const std::string& detail);
  void route(std::vector<zmq::message_t>& frames, wire::Decoded& decoded);
  void route_emergency(QueuedMessage item);
  void route_normal(QueuedMessage item);
  void drain_emergency();
  void serve_emergency();  // Drain the emergency egress queue, read the emergency ingress, drain.
  bool drain_normal();     // Up to one batch; false if the egress refused (EAGAIN).
  void read_subscriptions(zmq::socket_t& socket, std::int64_t& count);
  void read_monitor(std::size_t lane);
  void publish_stats();
  bool try_send(zmq::socket_t& socket, QueuedMessage& item);

  BrokerConfig config_;
  zmq::context_t context_{2};  // I/O threads: one per lane (kNormalIoThread, kEmergencyIoThread).
  std::unique_ptr<ZapAuthenticator> zap_;  // Only with CurveZMQ configured.
  zmq::socket_t normal_in_;
  zmq::socket_t emergency_in_;
  zmq::socket_t normal_out_;
  zmq::socket_t emergency_out_;
  // Socket monitors of the two egress sockets (normal, emergency): connected subscribers are the
  // accepted connections (by file descriptor) that have not disconnected. (The handshake event
  // carries no fd, so a CURVE client being refused counts for the moment until it is dropped.)
  std::array<zmq::socket_t, 2> egress_monitor_;
  std::array<std::set<int>, 2> subscriber_fds_;
  std::deque<QueuedMessage> emergency_queue_;
  NormalQueue normal_queue_;
  EmergencyRateLimiter rate_limiter_;
  std::optional<EnvelopeSigner> signer_;
  BrokerStats stats_;
  logging::RateLimitedLog reject_log_;
  std::string instance_;
  std::uint64_t sequence_ = 0;
};

}  // namespace esper::oona

#endif  // ESPER_OONA_BROKER_H_
