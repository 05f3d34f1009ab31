// kasmina: the reference seed executor. Steps N seed slots through their lifecycle
// (seed_manager.h) at --rate steps per second and publishes the per-seed metrics of
// docs/reference/training-system.md with {"seed_id": id}; doubles as a load generator (--seeds N points
// ~7-10 N per step). Prints "kasmina ready"; stops after --duration/--steps or on SIGTERM/SIGINT.
#include <cstdint>

#include <spdlog/spdlog.h>

#include "producers/kasmina/seed_manager.h"
#include "producers/producer_program.h"

int main(int argc, char** argv) {
  using namespace esper;
  producers::ProducerProgram program(
      "kasmina", "kasmina: reference seed executor; publishes per-seed metrics (docs/reference/training-system.md)");
  auto& command_line = program.command_line();
  kasmina::SeedManagerOptions options;
  std::uint64_t max_steps = 0;
  command_line.option("--seeds", options.seeds, "Seed slots").positive();
  command_line.option("--steps", max_steps, "Stop after this many steps (0: no limit)");
  command_line.option("--stage-steps", options.stage_steps, "Steps per timed lifecycle stage").positive();
  command_line.option("--blend-steps", options.blend_steps, "Steps for alpha to go from 0 to 1").positive();
  command_line.option("--kernel-failure-rate", options.kernel_failure_rate, "Share of kernels that fail their check")
      .in_range(0.0, 1.0);
  command_line.option("--isolation-threshold", options.isolation_threshold, "|cosine| counted as a violation")
      .in_range(0.0, 1.0);
  command_line.option("--max-leak", options.max_leak, "Upper bound of a seed's gradient coupling").in_range(0.0, 1.0);
  command_line.option("--rng-seed", options.rng_seed);

  return program.run(argc, argv, [&] {
    auto producer = program.start();
    kasmina::SeedManager manager(options);
    producer.say_ready();
    spdlog::info("kasmina: {} seeds, rate {}/s", options.seeds, program.flags().rate);

    producer.run_paced([&] {
      if (max_steps > 0 && manager.steps() >= max_steps) return false;
      manager.step();
      for (auto& p : manager.metric_points()) producer.runtime().buffer().record(std::move(p));
      return true;
    });
    spdlog::info("kasmina: stopping after {} steps", manager.steps());
    producer.stop();
    return 0;
  });
}
