// A simulated streaming gateway: starts sessions with outcomes drawn from a seeded mix and advances
// every live session one step of its lifecycle script per tick, producing the trace events, errors
// and output FPS status samples of docs/reference/streaming-sessions.md. Every event and sample carries the
// session identity (stream_id, request_id) and its dimensions (gpu_id, region, pipeline, model_id,
// and the serving orchestrator, which the swap-rate fallback counts unique values of).
#ifndef ESPER_PRODUCERS_STREAM_GATEWAY_GATEWAY_SIMULATOR_H_
#define ESPER_PRODUCERS_STREAM_GATEWAY_GATEWAY_SIMULATOR_H_

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "esper/telemetry.pb.h"
#include "producers/stream_gateway/session_lifecycle.h"

namespace esper::producers::gateway {

struct GatewayOptions {
  std::uint64_t seed = 1;
  SessionMix mix;
  std::uint64_t max_sessions = 0;  // Sessions to start in all; 0: no limit.
  int sessions_per_tick = 1;       // New sessions started each tick (while under max_sessions).
  int fps_samples = 8;             // Output FPS samples of a session that streams.
  double fps_mean = 24;
};

class GatewaySimulator {
 public:
  explicit GatewaySimulator(GatewayOptions options);

  // Starts this tick's sessions and advances every live one by a step, appending what happened.
  void tick(std::vector<proto::MetricPoint>& points, std::vector<proto::TelemetryEvent>& events);

  // All max_sessions sessions started and closed (never true without a limit).
  bool done() const;
  std::uint64_t started() const { return started_; }
  std::uint64_t closed() const { return closed_; }
  const std::map<SessionOutcome, std::uint64_t>& outcomes() const { return outcomes_; }

 private:
  struct Session {
    std::map<std::string, std::string> identity;  // stream_id, request_id, gpu_id, ... orchestrator.
    std::vector<SessionStep> steps;
    std::size_t next = 0;
  };

  void start_session();
  std::string orchestrator_address();

  GatewayOptions options_;
  OutcomePlanner planner_;
  std::mt19937_64 rng_;  // Everything but the outcomes.
  std::vector<Session> live_;
  std::uint64_t started_ = 0;
  std::uint64_t closed_ = 0;
  std::uint64_t event_seq_ = 0;
  std::map<SessionOutcome, std::uint64_t> outcomes_;
};

}  // namespace esper::producers::gateway

#endif  // ESPER_PRODUCERS_STREAM_GATEWAY_GATEWAY_SIMULATOR_H_
