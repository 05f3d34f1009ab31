// A simulated PPO/SPO training run emitting the structured events of docs/reference/rl-trainer.md on
// its documented cadence: per update one TRAINER (optimization), one ACTOR (episodic aggregates)
// and one MISC (throughput) event, and an EVALUATOR event with the shared evaluation schema when
// eval_interval > 0, num_eval_episodes > 0 and update % eval_interval == 0. The numbers follow a
// plausible learning curve (returns rise, losses and KL fall) with seeded noise.
#ifndef ESPER_PRODUCERS_RL_TRAINER_PPO_RUN_H_
#define ESPER_PRODUCERS_RL_TRAINER_PPO_RUN_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "producers/rl_trainer/category_metrics.h"

namespace esper::producers::rl {

struct RunOptions {
  std::uint64_t seed = 1;
  std::string algorithm = "ppo";         // "ppo" or "spo"; both emit the same schema.
  std::uint64_t steps_per_update = 2048; // Environment steps collected per update.
  std::uint64_t eval_interval = 10;      // Updates between evaluations; 0: never.
  std::uint64_t num_eval_episodes = 5;   // Episodes per evaluation; 0: never.
  double learning_rate = 3e-4;
};

// The eval cadence contract of docs/reference/rl-trainer.md.
bool eval_due(std::uint64_t update, std::uint64_t eval_interval, std::uint64_t num_eval_episodes);

class PpoRun {
 public:
  explicit PpoRun(RunOptions options);

  // Runs one update (1, 2, ...) and returns its events.
  std::vector<CategoryEvent> update();
  std::uint64_t updates() const { return update_; }

 private:
  struct Episodes {
    double mean_return, max_return, min_return, length_mean, length_max, length_min;
  };
  Episodes play(std::uint64_t episodes);

  RunOptions options_;
  std::mt19937_64 rng_;
  std::uint64_t update_ = 0;
  std::uint64_t timesteps_ = 0;
};

}  // namespace esper::producers::rl

#endif  // ESPER_PRODUCERS_RL_TRAINER_PPO_RUN_H_
