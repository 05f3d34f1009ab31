// rl-trainer: the RL trainer telemetry of docs/reference/rl-trainer.md as a producer and load
// generator. One PPO/SPO update per work unit (--rate updates per second); its category events go
// through the metrics formatter into the telemetry buffer, whose flush batches them to Oona.
#include <cstdint>

#include <spdlog/spdlog.h>

#include "producers/producer_program.h"
#include "producers/rl_trainer/category_metrics.h"
#include "producers/rl_trainer/ppo_run.h"

int main(int argc, char** argv) {
  using namespace esper;
  producers::ProducerProgram program(
      "rl-trainer",
      "rl-trainer: simulated PPO/SPO training telemetry (docs/reference/rl-trainer.md) for the Esper bus");
  auto& command_line = program.command_line();
  producers::rl::RunOptions run_options;
  std::uint64_t max_updates = 0;
  command_line.option("--seed", run_options.seed, "Seed of the simulated run");
  command_line.option("--algorithm", run_options.algorithm, "ppo or spo").one_of({"ppo", "spo"});
  command_line.option("--steps-per-update", run_options.steps_per_update, "Environment steps per update").positive();
  command_line.option("--eval-interval", run_options.eval_interval, "Updates between evaluations (0: never)");
  command_line.option("--num-eval-episodes", run_options.num_eval_episodes, "Episodes per evaluation (0: never)");
  command_line.option("--learning-rate", run_options.learning_rate, "Initial learning rate").positive();
  command_line.option("--updates", max_updates, "Updates to run, then exit (0: until stopped)");

  return program.run(argc, argv, [&] {
    auto producer = program.start();
    producers::rl::PpoRun run(run_options);
    producers::rl::CategoryMetricsFormatter formatter;
    producer.say_ready();

    producer.run_paced([&] {
      if (max_updates > 0 && run.updates() >= max_updates) return false;
      for (const auto& event : run.update()) {
        for (auto& p : formatter.format(event)) producer.runtime().buffer().record(std::move(p));
      }
      return true;
    });
    producer.stop();
    const auto& st = formatter.stats();
    spdlog::info("rl-trainer stopping: {} updates, {} events, {} points, {} skipped without step, {} dropped",
                 run.updates(), st.events, st.points, st.skipped_without_step,
                 producer.runtime().stats().dropped_total);
    return 0;
  });
}
