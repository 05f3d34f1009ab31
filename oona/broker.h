// Oona, the bus broker. Every envelope passes through here:
//
//   ingress (PULL, one socket per lane) -> read the routing header (bad input rejected and counted)
//   -> route by the envelope's own lane -> a queue per subscriber -> egress (ROUTER, one socket per
//   lane), sent to each subscriber as its credit allows (at the end of the ingress pass that read
//   it when nothing is queued for it), what is ready for one subscriber together as one BATCH
//   (oona/egress_batch.h) if it takes batches
//
// Oona forwards the frames it received. It reads only the envelope's header (proto/envelope_header.h),
// never parses the body: every rejection the header can decide is Oona's, a malformed body is the
// consumers' to refuse (they decode whole). With signing on it decodes whole, to verify the MAC.
//
// The two lanes are served by two threads that share nothing but two LaneHandoffs and the reject
// log: the emergency lane (oona/emergency_lane.h) runs on a thread of its own with its own ZeroMQ
// context, so no normal backlog, batch or I/O thread stands between an emergency and its egress;
// the normal lane runs on the thread that calls run(). An envelope that arrives on the other lane's
// ingress is handed over to the lane its topic names.
//
// No subscriber can hold back another, or Oona's ingress: every subscriber has its own bounded queue
// and credit (oona/subscriber_registry.h). A subscriber that stops reading stops granting credit;
// only its own queue fills, and it sheds by the lane policy (oona/subscriber_queue.h: lowest
// severity first, then oldest; reliable last), each shed envelope counted by lane, source and
// reason and by subscriber, and told to that subscriber in-band. Oona reads its ingress whatever
// its subscribers do. Nothing is dropped silently: ZeroMQ is told never to drop (ROUTER_MANDATORY),
// and credit keeps each connection's pipe below its high-water mark.
//
// An emergency envelope over its source's token bucket is demoted by the emergency lane: marked
// `demoted` (which makes its topic `reliable.<kind>.<severity>.<source>`), re-serialized and handed
// to the normal lane, which routes it as reliable. Subscribers see it on the normal socket; it is
// counted in oona.demoted_total{source}.
//
// With a signing key configured (oona/envelope_signer.h), every envelope must carry a valid
// HMAC: unsigned and badly signed ones are rejected and counted (`unsigned`, `bad_signature`), and
// so is a copy of a signed envelope already seen (`replayed`, oona/replay_guard.h); Oona signs its
// own telemetry and re-signs what it demotes.
//
// With CurveZMQ configured, tcp:// endpoints admit only the listed client keys
// (oona/curve_security.h).
//
// Oona publishes its own counters (oona/broker_stats.h), both lanes' together, from source "oona"
// on the normal lane every flush interval.
#ifndef ESPER_OONA_BROKER_H_
#define ESPER_OONA_BROKER_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "daemon/supervisor_link.h"
#include "logging/rate_limited_log.h"
#include "oona/broker_config.h"
#include "oona/broker_stats.h"
#include "oona/emergency_lane.h"
#include "oona/envelope_signer.h"
#include "oona/ingress_reader.h"
#include "oona/lane_handoff.h"
#include "oona/lane_sockets.h"
#include "oona/replay_guard.h"
#include "oona/subscriber_registry.h"

namespace esper::oona {

class Broker {
 public:
  // Binds all four endpoints (creating the runtime dir for ipc:// ones) and starts the emergency
  // lane; config().endpoints then holds the bound addresses (a tcp://host:* wildcard resolved to
  // its port). Throws zmq::error_t or std::filesystem::filesystem_error if it cannot.
  explicit Broker(BrokerConfig config);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Serves the normal lane until `stop_fd` is readable and `should_stop()` then returns true (main
  // passes the signalfd of ShutdownSignals); then stops the emergency lane and publishes a final
  // oona.* packet. `on_tick` runs every flush interval, after Oona's own telemetry went out (the
  // systemd watchdog pings from there: a stuck loop stops them). `supervisor`, if given, is
  // answered from this loop too, so Weatherlight sees the loop turn (daemon/supervisor_link.h).
  void run(int stop_fd, const std::function<bool()>& should_stop, const std::function<void()>& on_tick = {},
           daemon::SupervisorLink* supervisor = nullptr);

  const BrokerConfig& config() const { return config_; }
  // Both lanes' counters. Not while run() runs on another thread (its own are not locked).
  BrokerStats stats() const;
  // How the emergency lane's threads are scheduled. Thread-safe.
  const EmergencyScheduling& emergency_scheduling() const { return emergency_->scheduling(); }

 private:
  void route_normal(QueuedMessage item);
  bool read_normal_ingress();  // Up to one batch; false if the ingress ran dry.
  void publish_stats();

  BrokerConfig config_;
  std::optional<EnvelopeSigner> signer_;
  ReplayGuard replay_;  // Both lanes' ingress, with signing on.
  logging::RateLimitedLog reject_log_;
  LaneHandoff from_emergency_;
  std::unique_ptr<LaneSockets> normal_;
  std::unique_ptr<EmergencyLane> emergency_;
  IngressReader reader_;
  std::array<IngressEnvelope, 2> in_;  // The envelope being routed and the next (read_normal_ingress).
  BrokerStats stats_;  // The normal lane's counters (the emergency lane keeps its own).
  SubscriberRegistry subscribers_;
  std::string instance_;
  std::uint64_t sequence_ = 0;
};

}  // namespace esper::oona

#endif  // ESPER_OONA_BROKER_H_
