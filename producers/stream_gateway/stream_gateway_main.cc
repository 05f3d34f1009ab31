// stream-gateway: the session telemetry of docs/reference/streaming-sessions.md as a producer and load
// generator. One tick per work unit (--rate per second): new sessions start, live ones advance one
// lifecycle step. With --sessions N it exits once N sessions have started and closed.
#include <cstdio>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "producers/producer_program.h"
#include "producers/stream_gateway/gateway_simulator.h"

int main(int argc, char** argv) {
  using namespace esper;
  producers::ProducerProgram program(
      "stream-gateway",
      "stream-gateway: simulated streaming-session telemetry (docs/reference/streaming-sessions.md) for the Esper bus");
  auto& command_line = program.command_line();
  producers::gateway::GatewayOptions sim;
  command_line.option("--seed", sim.seed, "Seed of the session mix");
  command_line.option("--sessions", sim.max_sessions, "Sessions to run, then exit (0: until stopped)");
  command_line.option("--sessions-per-tick", sim.sessions_per_tick, "New sessions per tick").positive();
  command_line.option("--fps-samples", sim.fps_samples, "Output FPS samples per streaming session").positive();
  command_line.option("--fps-mean", sim.fps_mean, "Mean output FPS").positive();
  command_line.option("--mix-success", sim.mix.success, "Weight of successful sessions").non_negative();
  command_line.option("--mix-excused", sim.mix.excused, "Weight of excused failures").non_negative();
  command_line.option("--mix-unexcused", sim.mix.unexcused, "Weight of unexcused failures").non_negative();
  command_line.option("--mix-swapped", sim.mix.swapped, "Weight of swapped sessions").non_negative();

  return program.run(argc, argv, [&] {
    if (!sim.mix.valid()) {
      std::fprintf(stderr, "stream-gateway: the --mix-* weights must not all be zero\n");
      return cli::kExitUsage;
    }
    auto producer = program.start();
    producers::gateway::GatewaySimulator gateway(sim);
    producer.say_ready();

    std::vector<proto::MetricPoint> points;
    std::vector<proto::TelemetryEvent> events;
    producer.run_paced([&] {
      if (gateway.done()) return false;
      points.clear();
      events.clear();
      gateway.tick(points, events);
      // Events first: a session's request precedes its samples in the buffer and on the bus.
      for (auto& e : events) producer.runtime().buffer().record(std::move(e));
      for (auto& p : points) producer.runtime().buffer().record(std::move(p));
      return true;
    });
    producer.stop();
    std::string mix;
    for (const auto& [outcome, n] : gateway.outcomes()) {
      mix += " " + std::string(producers::gateway::outcome_name(outcome)) + "=" + std::to_string(n);
    }
    spdlog::info("stream-gateway stopping: {} sessions started, {} closed,{}; {} dropped", gateway.started(),
                 gateway.closed(), mix, producer.runtime().stats().dropped_total);
    return 0;
  });
}
