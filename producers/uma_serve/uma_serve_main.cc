// uma-serve: the simulated inference server of docs/reference/inference-server.md as a producer and load
// generator. One scheduler tick per work unit (--rate ticks per second); every tick's histogram
// observations and counter/gauge snapshot go into the telemetry buffer.
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
#include "producers/uma_serve/uma_scheduler.h"
#include "signals/shutdown_signals.h"

int main(int argc, char** argv) {
  using namespace esper;

  CLI::App app{"uma-serve: simulated inference-server telemetry (docs/reference/inference-server.md) for the Esper bus"};
  producers::ProducerFlags flags;
  producers::add_producer_flags(app, flags);
  producers::uma::UmaServeOptions sim;
  app.add_option("--seed", sim.seed, "Seed of the simulated request mix");
  app.add_option("--arrivals-per-tick", sim.arrivals_per_tick, "Mean new requests per scheduler tick")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--interactive-fraction", sim.interactive_fraction, "Share of interactive requests")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--prompt-tokens-mean", sim.prompt_tokens_mean, "Mean prompt tokens per request")
      ->check(CLI::PositiveNumber);
  app.add_option("--output-tokens-mean", sim.output_tokens_mean, "Mean generated tokens per request")
      ->check(CLI::PositiveNumber);
  app.add_option("--prefix-share", sim.prefix_share, "Chance a prompt prefix is cached")->check(CLI::Range(0.0, 1.0));
  app.add_option("--slo-ttft-ms", sim.slo_ttft_ms, "Time-To-First-Token SLO (ms)")->check(CLI::PositiveNumber);
  app.add_option("--slo-tbt-ms", sim.slo_tbt_ms, "Inter-token latency SLO (ms)")->check(CLI::PositiveNumber);
  app.add_option("--max-batch-tokens", sim.max_batch_tokens, "Upper bound of the batch budget")
      ->check(CLI::PositiveNumber);
  app.add_option("--target-decode-ms", sim.target_decode_ms, "Decode latency the adaptive budget aims at")
      ->check(CLI::PositiveNumber);
  app.footer(esper::cli::service_exit_code_footer());
  if (const auto code = esper::cli::parse(app, argc, argv)) return *code;
  if (sim.min_batch_tokens > sim.max_batch_tokens) sim.min_batch_tokens = sim.max_batch_tokens;

  if (!logging::setup_logging("uma-serve", flags.log_level)) return 2;
  try {
    signals::ShutdownSignals signals;  // Before any thread: they inherit the blocked mask.
    producers::ServiceRuntime runtime(producers::runtime_options_from_flags(flags, "uma-serve"));
    producers::uma::UmaScheduler scheduler(sim);
    std::printf("uma-serve ready\n");
    std::fflush(stdout);

    std::vector<proto::MetricPoint> points;
    producers::run_paced(flags.rate, flags.duration_s, signals, [&] {
      points.clear();
      scheduler.tick(points);
      for (auto& p : points) runtime.buffer().record(std::move(p));
      return true;
    });
    runtime.stop();
    const auto& c = scheduler.counters();
    spdlog::info("uma-serve stopping: {} batch calls, {} tokens, {} sessions completed, {} dropped",
                 c.batch_calls_total, c.tokens_generated_total, c.sessions_completed, runtime.stats().dropped_total);
  } catch (const std::exception& e) {
    spdlog::critical("uma-serve: {}", e.what());
    return 1;
  }
  return 0;
}
