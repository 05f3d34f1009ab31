// The emergency half of Oona: the emergency ingress and egress sockets, the emergency queue and the
// per-source rate limiter, served by a thread of its own with a ZeroMQ context of its own (so also
// its own I/O thread). Nothing on the normal lane can delay it: not a normal backlog, not the
// broker loop being busy with one, not a shared I/O thread. The thread and its I/O thread run at
// real-time priority where allowed, on the CPU every process's emergency threads share (config
// `emergency_scheduling`; oona/emergency_scheduling.h), so that on a saturated machine they do not
// wait for the normal lane's CPU time either.
//
// The lane exchanges messages with the normal lane (oona/broker.h) through two LaneHandoffs:
// `inbox` brings emergency envelopes that arrived on the normal ingress; `to_normal` takes those it
// demoted (over their source's rate: marked `demoted`, re-signed, topic `reliable.…`) and any
// normal-topic envelope that arrived on the emergency ingress.
//
// Like the normal lane, every subscriber has its own queue and credit (oona/subscriber_registry.h):
// a subscriber that stops reading the emergency egress has its own queue shed (HIGH before CRITICAL,
// then oldest), counted, and never delays the emergencies of another. Emergencies are sent as soon
// as they are routed, before the lane reads more.
#ifndef ESPER_OONA_EMERGENCY_LANE_H_
#define ESPER_OONA_EMERGENCY_LANE_H_

#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "logging/rate_limited_log.h"
#include "oona/broker_config.h"
#include "oona/broker_stats.h"
#include "oona/emergency_rate_limiter.h"
#include "oona/emergency_scheduling.h"
#include "oona/envelope_signer.h"
#include "oona/ingress_reader.h"
#include "oona/lane_handoff.h"
#include "oona/lane_sockets.h"
#include "oona/replay_guard.h"
#include "oona/subscriber_registry.h"

namespace esper::oona {

class EmergencyLane {
 public:
  // Binds config.endpoints' emergency ingress and egress on the lane's thread, writes the bound
  // addresses back into `endpoints`, and starts serving. Throws what binding threw. `signer` (null:
  // signing off), `reject_log` and `to_normal` must outlive the lane.
  // `replay` (may be null) is shared with the normal lane.
  EmergencyLane(const BrokerConfig& config, BusEndpoints& endpoints, const EnvelopeSigner* signer,
                logging::RateLimitedLog& reject_log, LaneHandoff& to_normal, ReplayGuard* replay = nullptr);
  ~EmergencyLane();  // Stops the thread.
  EmergencyLane(const EmergencyLane&) = delete;
  EmergencyLane& operator=(const EmergencyLane&) = delete;

  // Stops serving (what is still queued is not sent) and joins the thread. Idempotent; stats()
  // stays readable.
  void stop();

  // Where the normal lane hands over emergency envelopes from its ingress.
  LaneHandoff& inbox() { return inbox_; }

  // How the lane's threads are scheduled (set before the constructor returns; never changes).
  const EmergencyScheduling& scheduling() const { return scheduling_; }

  // The lane's counters so far: received and routed (emergency), demoted, rejected (on its
  // ingress), what it shed for its subscribers, its queue depths, subscribers, subscriptions and
  // CURVE refusals. Thread-safe.
  BrokerStats stats() const;

 private:
  void serve(BusEndpoints& endpoints, std::promise<void>& bound);
  void enter_scheduling();
  void read_ingress(IngressReader& reader, IngressEnvelope& in, LaneSockets& sockets);
  // Rate limit: to the subscribers' queues, or demoted to normal.
  void admit(QueuedMessage item, zmq::socket_t& egress);

  const BrokerConfig& config_;
  const EnvelopeSigner* signer_;
  ReplayGuard* replay_;
  logging::RateLimitedLog& reject_log_;
  LaneHandoff& to_normal_;
  LaneHandoff inbox_;
  int stop_fd_;
  EmergencyRateLimiter rate_limiter_;
  mutable std::mutex stats_mu_;  // Guards stats_, subscribers_ and sockets_; held by the lane thread while it works.
  BrokerStats stats_;
  SubscriberRegistry subscribers_;
  const LaneSockets* sockets_ = nullptr;  // While the lane serves (for the CURVE refusal count).
  EmergencyScheduling scheduling_;  // Written by the lane thread before `bound` is set.
  std::thread thread_;
};

}  // namespace esper::oona

#endif  // ESPER_OONA_EMERGENCY_LANE_H_
