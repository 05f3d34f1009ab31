// tolaria: the reference trainer. Trains a small perceptron by SGD (tolaria_trainer.h) and publishes
// the step metrics of docs/reference/training-system.md through the producer runtime, paced by --rate steps
// per second; doubles as a load generator. Prints "tolaria ready" once running; stops after
// --duration (or --steps) or on SIGTERM/SIGINT, drains, and exits 0.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>

#include "producers/producer_program.h"
#include "producers/tolaria/hardware_probes.h"
#include "producers/tolaria/step_telemetry.h"
#include "producers/tolaria/tolaria_trainer.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace esper;
  producers::ProducerProgram program(
      "tolaria", "tolaria: reference trainer; publishes step metrics (docs/reference/training-system.md)");
  auto& command_line = program.command_line();
  std::string enrichment = "on";
  std::uint64_t max_steps = 0;
  tolaria::TrainerOptions trainer_options;
  command_line.option("--enrichment", enrichment, "tolaria_step_enrichment_enabled: gated metrics and probes")
      .one_of({"on", "off"});
  command_line.option("--steps", max_steps, "Stop after this many steps (0: no limit)");
  command_line.option("--seed", trainer_options.seed, "Data set and initialisation seed");
  command_line.option("--batch-size", trainer_options.batch_size).positive();
  command_line.option("--micro-batches", trainer_options.micro_batches, "Gradient sources per step").positive();
  command_line.option("--learning-rate", trainer_options.learning_rate).positive();

  return program.run(argc, argv, [&] {
    const bool enriched = enrichment == "on";
    auto options = program.runtime_options();
    options.buffer.gated_enabled = enriched;
    auto producer = program.start(std::move(options));

    tolaria::TolariaTrainer trainer(trainer_options);
    std::optional<tolaria::NvmlProbe> nvml;
    if (enriched) nvml.emplace();  // Probes are part of the gated set: not even loaded when off.
    tolaria::StepTelemetry telemetry({.enrichment = enriched}, nvml ? &*nvml : nullptr);
    producer.say_ready();
    spdlog::info("tolaria: training (enrichment {}, rate {}/s)", enrichment, program.flags().rate);

    auto& buffer = producer.runtime().buffer();
    producer.run_paced([&] {
      if (max_steps > 0 && trainer.steps() >= max_steps) return false;
      const auto step_start = Clock::now();
      const auto result = trainer.step();
      const auto hook_start = Clock::now();
      for (auto& p : telemetry.step_points(result)) buffer.record(std::move(p));
      const double hook_ms = ms_since(hook_start);
      for (auto& p : telemetry.latency_points(result, hook_ms, ms_since(step_start))) buffer.record(std::move(p));
      return true;
    });
    spdlog::info("tolaria: stopping after {} steps, dataset loss {:.4f}, accuracy {:.3f}", trainer.steps(),
                 trainer.evaluate_loss(), trainer.evaluate_accuracy());
    producer.stop();
    return 0;
  });
}
