// tolaria: the reference trainer. Trains a small perceptron by SGD (tolaria_trainer.h) and publishes
// the step metrics of docs/reference/training-system.md through the producer runtime, paced by --rate steps
// per second; doubles as a load generator. Prints "tolaria ready" once running; stops after
// --duration (or --steps) or on SIGTERM/SIGINT, drains, and exits 0.
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "cli/command_line.h"
#include "config/config_error.h"
#include "logging/log_setup.h"
#include "producers/paced_loop.h"
#include "producers/producer_flags.h"
#include "producers/service_runtime.h"
#include "producers/tolaria/hardware_probes.h"
#include "producers/tolaria/step_telemetry.h"
#include "producers/tolaria/tolaria_trainer.h"
#include "signals/shutdown_signals.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace esper;
  CLI::App app{"tolaria: reference trainer; publishes step metrics (docs/reference/training-system.md)"};
  producers::ProducerFlags flags;
  producers::add_producer_flags(app, flags);
  std::string enrichment = "on";
  std::uint64_t max_steps = 0;
  tolaria::TrainerOptions trainer_options;
  app.add_option("--enrichment", enrichment, "tolaria_step_enrichment_enabled: gated metrics and probes")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--steps", max_steps, "Stop after this many steps (0: no limit)");
  app.add_option("--seed", trainer_options.seed, "Data set and initialisation seed");
  app.add_option("--batch-size", trainer_options.batch_size)->check(CLI::PositiveNumber);
  app.add_option("--micro-batches", trainer_options.micro_batches, "Gradient sources per step")
      ->check(CLI::PositiveNumber);
  app.add_option("--learning-rate", trainer_options.learning_rate)->check(CLI::PositiveNumber);
  app.footer(esper::cli::service_exit_code_footer());
  if (const auto code = esper::cli::parse(app, argc, argv)) return *code;

  if (!logging::setup_logging("tolaria", flags.log_level)) return 2;
  try {
    signals::ShutdownSignals signals;  // Before any thread: they inherit the blocked mask.
    const bool enriched = enrichment == "on";
    auto options = producers::runtime_options_from_flags(flags, "tolaria");
    options.buffer.gated_enabled = enriched;
    producers::ServiceRuntime runtime(options);

    tolaria::TolariaTrainer trainer(trainer_options);
    std::optional<tolaria::NvmlProbe> nvml;
    if (enriched) nvml.emplace();  // Probes are part of the gated set: not even loaded when off.
    tolaria::StepTelemetry telemetry({.enrichment = enriched}, nvml ? &*nvml : nullptr);

    std::printf("tolaria ready\n");
    std::fflush(stdout);
    spdlog::info("tolaria: training (enrichment {}, rate {}/s)", enrichment, flags.rate);

    producers::run_paced(flags.rate, flags.duration_s, signals, [&] {
      if (max_steps > 0 && trainer.steps() >= max_steps) return false;
      const auto step_start = Clock::now();
      const auto result = trainer.step();
      const auto hook_start = Clock::now();
      for (auto& p : telemetry.step_points(result)) runtime.buffer().record(std::move(p));
      const double hook_ms = ms_since(hook_start);
      for (auto& p : telemetry.latency_points(result, hook_ms, ms_since(step_start))) {
        runtime.buffer().record(std::move(p));
      }
      return true;
    });
    spdlog::info("tolaria: stopping after {} steps, dataset loss {:.4f}, accuracy {:.3f}", trainer.steps(),
                 trainer.evaluate_loss(), trainer.evaluate_accuracy());
    runtime.stop();
    return 0;
  } catch (const config::ConfigError& error) {
    spdlog::error("{}", error.what());
    return 2;
  } catch (const std::exception& error) {
    spdlog::error("tolaria: {}", error.what());
    return 1;
  }
}
