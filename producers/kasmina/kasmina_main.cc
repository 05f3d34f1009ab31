// kasmina: the reference seed executor. Steps N seed slots through their lifecycle
// (seed_manager.h) at --rate steps per second and publishes the per-seed metrics of
// docs/reference/training-system.md with {"seed_id": id}; doubles as a load generator (--seeds N points
// ~7-10 N per step). Prints "kasmina ready"; stops after --duration/--steps or on SIGTERM/SIGINT.
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "cli/command_line.h"
#include "config/config_error.h"
#include "logging/log_setup.h"
#include "producers/kasmina/seed_manager.h"
#include "producers/paced_loop.h"
#include "producers/producer_flags.h"
#include "producers/service_runtime.h"
#include "signals/shutdown_signals.h"

int main(int argc, char** argv) {
  using namespace esper;
  CLI::App app{"kasmina: reference seed executor; publishes per-seed metrics (docs/reference/training-system.md)"};
  producers::ProducerFlags flags;
  producers::add_producer_flags(app, flags);
  kasmina::SeedManagerOptions options;
  std::uint64_t max_steps = 0;
  app.add_option("--seeds", options.seeds, "Seed slots")->check(CLI::PositiveNumber);
  app.add_option("--steps", max_steps, "Stop after this many steps (0: no limit)");
  app.add_option("--stage-steps", options.stage_steps, "Steps per timed lifecycle stage")->check(CLI::PositiveNumber);
  app.add_option("--blend-steps", options.blend_steps, "Steps for alpha to go from 0 to 1")->check(CLI::PositiveNumber);
  app.add_option("--kernel-failure-rate", options.kernel_failure_rate, "Share of kernels that fail their check")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--isolation-threshold", options.isolation_threshold, "|cosine| counted as a violation")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--max-leak", options.max_leak, "Upper bound of a seed's gradient coupling")->check(CLI::Range(0.0, 1.0));
  app.add_option("--rng-seed", options.rng_seed);
  app.footer(esper::cli::service_exit_code_footer());
  if (const auto code = esper::cli::parse(app, argc, argv)) return *code;

  if (!logging::setup_logging("kasmina", flags.log_level)) return 2;
  try {
    signals::ShutdownSignals signals;  // Before any thread: they inherit the blocked mask.
    producers::ServiceRuntime runtime(producers::runtime_options_from_flags(flags, "kasmina"));
    kasmina::SeedManager manager(options);

    std::printf("kasmina ready\n");
    std::fflush(stdout);
    spdlog::info("kasmina: {} seeds, rate {}/s", options.seeds, flags.rate);

    producers::run_paced(flags.rate, flags.duration_s, signals, [&] {
      if (max_steps > 0 && manager.steps() >= max_steps) return false;
      manager.step();
      for (auto& p : manager.metric_points()) runtime.buffer().record(std::move(p));
      return true;
    });
    spdlog::info("kasmina: stopping after {} steps", manager.steps());
    runtime.stop();
    return 0;
  } catch (const config::ConfigError& error) {
    spdlog::error("{}", error.what());
    return 2;
  } catch (const std::exception& error) {
    spdlog::error("kasmina: {}", error.what());
    return 1;
  }
}
