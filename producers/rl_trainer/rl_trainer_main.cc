// rl-trainer: the RL trainer telemetry of docs/reference/rl-trainer.md as a producer and load
// generator. One PPO/SPO update per work unit (--rate updates per second); its category events go
// through the metrics formatter into the telemetry buffer, whose flush batches them to Oona.
#include <chrono>
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "cli/command_line.h"
#include "logging/log_setup.h"
#include "producers/paced_loop.h"
#include "producers/producer_flags.h"
#include "producers/rl_trainer/category_metrics.h"
#include "producers/rl_trainer/ppo_run.h"
#include "producers/service_runtime.h"
#include "signals/shutdown_signals.h"

int main(int argc, char** argv) {
  using namespace esper;

  CLI::App app{"rl-trainer: simulated PPO/SPO training telemetry (docs/reference/rl-trainer.md) for the Esper bus"};
  producers::ProducerFlags flags;
  producers::add_producer_flags(app, flags);
  producers::rl::RunOptions run_options;
  std::uint64_t max_updates = 0;
  app.add_option("--seed", run_options.seed, "Seed of the simulated run");
  app.add_option("--algorithm", run_options.algorithm, "ppo or spo")->check(CLI::IsMember({"ppo", "spo"}));
  app.add_option("--steps-per-update", run_options.steps_per_update, "Environment steps per update")
      ->check(CLI::PositiveNumber);
  app.add_option("--eval-interval", run_options.eval_interval, "Updates between evaluations (0: never)");
  app.add_option("--num-eval-episodes", run_options.num_eval_episodes, "Episodes per evaluation (0: never)");
  app.add_option("--learning-rate", run_options.learning_rate, "Initial learning rate")->check(CLI::PositiveNumber);
  app.add_option("--updates", max_updates, "Updates to run, then exit (0: until stopped)");
  app.footer(esper::cli::service_exit_code_footer());
  if (const auto code = esper::cli::parse(app, argc, argv)) return *code;

  if (!logging::setup_logging("rl-trainer", flags.log_level)) return 2;
  try {
    signals::ShutdownSignals signals;  // Before any thread: they inherit the blocked mask.
    producers::ServiceRuntime runtime(producers::runtime_options_from_flags(flags, "rl-trainer"));
    producers::rl::PpoRun run(run_options);
    producers::rl::CategoryMetricsFormatter formatter;
    std::printf("rl-trainer ready\n");
    std::fflush(stdout);

    producers::run_paced(flags.rate, flags.duration_s, signals, [&] {
      if (max_updates > 0 && run.updates() >= max_updates) return false;
      for (const auto& event : run.update()) {
        for (auto& p : formatter.format(event)) runtime.buffer().record(std::move(p));
      }
      return true;
    });
    runtime.stop();
    const auto& st = formatter.stats();
    spdlog::info("rl-trainer stopping: {} updates, {} events, {} points, {} skipped without step, {} dropped",
                 run.updates(), st.events, st.points, st.skipped_without_step, runtime.stats().dropped_total);
  } catch (const std::exception& e) {
    spdlog::critical("rl-trainer: {}", e.what());
    return 1;
  }
  return 0;
}
