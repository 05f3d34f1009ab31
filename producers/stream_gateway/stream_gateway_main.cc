// stream-gateway: the session telemetry of docs/reference/streaming-sessions.md as a producer and load
// generator. One tick per work unit (--rate per second): new sessions start, live ones advance one
// lifecycle step. With --sessions N it exits once N sessions have started and closed.
#include <chrono>
#include <cstdio>
#include <exception>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "cli/command_line.h"
#include "logging/log_setup.h"
#include "producers/paced_loop.h"
#include "producers/producer_flags.h"
#include "producers/service_runtime.h"
#include "producers/stream_gateway/gateway_simulator.h"
#include "signals/shutdown_signals.h"

int main(int argc, char** argv) {
  using namespace esper;

  CLI::App app{"stream-gateway: simulated streaming-session telemetry (docs/reference/streaming-sessions.md) for the Esper bus"};
  producers::ProducerFlags flags;
  producers::add_producer_flags(app, flags);
  producers::gateway::GatewayOptions sim;
  app.add_option("--seed", sim.seed, "Seed of the session mix");
  app.add_option("--sessions", sim.max_sessions, "Sessions to run, then exit (0: until stopped)");
  app.add_option("--sessions-per-tick", sim.sessions_per_tick, "New sessions per tick")->check(CLI::PositiveNumber);
  app.add_option("--fps-samples", sim.fps_samples, "Output FPS samples per streaming session")
      ->check(CLI::PositiveNumber);
  app.add_option("--fps-mean", sim.fps_mean, "Mean output FPS")->check(CLI::PositiveNumber);
  app.add_option("--mix-success", sim.mix.success, "Weight of successful sessions")->check(CLI::NonNegativeNumber);
  app.add_option("--mix-excused", sim.mix.excused, "Weight of excused failures")->check(CLI::NonNegativeNumber);
  app.add_option("--mix-unexcused", sim.mix.unexcused, "Weight of unexcused failures")->check(CLI::NonNegativeNumber);
  app.add_option("--mix-swapped", sim.mix.swapped, "Weight of swapped sessions")->check(CLI::NonNegativeNumber);
  app.footer(esper::cli::service_exit_code_footer());
  if (const auto code = esper::cli::parse(app, argc, argv)) return *code;
  if (!sim.mix.valid()) {
    std::fprintf(stderr, "stream-gateway: the --mix-* weights must not all be zero\n");
    return 2;
  }

  if (!logging::setup_logging("stream-gateway", flags.log_level)) return 2;
  try {
    signals::ShutdownSignals signals;  // Before any thread: they inherit the blocked mask.
    producers::ServiceRuntime runtime(producers::runtime_options_from_flags(flags, "stream-gateway"));
    producers::gateway::GatewaySimulator gateway(sim);
    std::printf("stream-gateway ready\n");
    std::fflush(stdout);

    std::vector<proto::MetricPoint> points;
    std::vector<proto::TelemetryEvent> events;
    producers::run_paced(flags.rate, flags.duration_s, signals, [&] {
      if (gateway.done()) return false;
      points.clear();
      events.clear();
      gateway.tick(points, events);
      // Events first: a session's request precedes its samples in the buffer and on the bus.
      for (auto& e : events) runtime.buffer().record(std::move(e));
      for (auto& p : points) runtime.buffer().record(std::move(p));
      return true;
    });
    runtime.stop();
    std::string mix;
    for (const auto& [outcome, n] : gateway.outcomes()) {
      mix += " " + std::string(producers::gateway::outcome_name(outcome)) + "=" + std::to_string(n);
    }
    spdlog::info("stream-gateway stopping: {} sessions started, {} closed,{}; {} dropped", gateway.started(),
                 gateway.closed(), mix, runtime.stats().dropped_total);
  } catch (const std::exception& e) {
    spdlog::critical("stream-gateway: {}", e.what());
    return 1;
  }
  return 0;
}
