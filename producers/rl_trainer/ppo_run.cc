#include "producers/rl_trainer/ppo_run.h"

#include <algorithm>
#include <cmath>

namespace esper::producers::rl {

bool eval_due(std::uint64_t update, std::uint64_t eval_interval, std::uint64_t num_eval_episodes) {
  return eval_interval > 0 && num_eval_episodes > 0 && update % eval_interval == 0;
}

PpoRun::PpoRun(RunOptions options) : options_(std::move(options)), rng_(options_.seed) {}

// Episode returns on a saturating learning curve: the policy gets better as updates go by.
PpoRun::Episodes PpoRun::play(std::uint64_t episodes) {
  const double progress = 1.0 - std::exp(-static_cast<double>(update_) / 200.0);
  std::normal_distribution<double> ret(20.0 + 480.0 * progress, 25.0);
  std::normal_distribution<double> len(50.0 + 400.0 * progress, 20.0);
  Episodes e{0, -1e300, 1e300, 0, -1e300, 1e300};
  const std::uint64_t n = std::max<std::uint64_t>(1, episodes);
  for (std::uint64_t i = 0; i < n; ++i) {
    const double r = ret(rng_);
    const double l = std::max(1.0, std::round(len(rng_)));
    e.mean_return += r / static_cast<double>(n);
    e.max_return = std::max(e.max_return, r);
    e.min_return = std::min(e.min_return, r);
    e.length_mean += l / static_cast<double>(n);
    e.length_max = std::max(e.length_max, l);
    e.length_min = std::min(e.length_min, l);
  }
  return e;
}

std::vector<CategoryEvent> PpoRun::update() {
  ++update_;
  timesteps_ += options_.steps_per_update;
  const double t = static_cast<double>(update_);
  std::normal_distribution<double> jitter(1.0, 0.05);
  std::uniform_real_distribution<double> sps(9000, 11000);
  const double decay = std::exp(-t / 300.0);
  const double u = static_cast<double>(update_);
  const double ts = static_cast<double>(timesteps_);
  const Field algorithm{"algorithm", options_.algorithm, ""};

  std::vector<CategoryEvent> events;
  events.push_back({"TRAINER",
                    "train",
                    {algorithm,
                     {"timesteps", ts, "steps"},
                     {"update", u, "updates"},
                     {"policy_loss", -0.02 * decay * jitter(rng_), "loss"},
                     {"critic_loss", 0.5 * decay * jitter(rng_) + 0.01, "loss"},
                     {"entropy", 1.4 * (0.3 + 0.7 * decay) * jitter(rng_), "nats"},
                     {"approx_kl", 0.015 * decay * jitter(rng_), "nats"},
                     {"clip_fraction", std::clamp(0.2 * decay * jitter(rng_), 0.0, 1.0), "ratio"},
                     {"global_grad_norm", 0.8 * decay * jitter(rng_) + 0.05, "norm"},
                     {"learning_rate", options_.learning_rate * (1.0 - std::min(0.99, t / 10000.0)), "lr"},
                     {"explained_variance", std::clamp(1.0 - decay * jitter(rng_), -1.0, 1.0), "ratio"}}});

  const std::uint64_t episodes = std::max<std::uint64_t>(1, options_.steps_per_update / 400);
  const Episodes played = play(episodes);
  events.push_back({"ACTOR",
                    "rollout",
                    {algorithm,
                     {"timesteps", ts, "steps"},
                     {"episodes", static_cast<double>(episodes), "episodes"},
                     {"mean_return", played.mean_return, "return"},
                     {"max_return", played.max_return, "return"},
                     {"min_return", played.min_return, "return"},
                     {"episode_length_mean", played.length_mean, "steps"}}});

  const double steps_per_second = sps(rng_);
  events.push_back({"MISC",
                    "throughput",
                    {algorithm,
                     {"timesteps", ts, "steps"},
                     {"steps_per_second", steps_per_second, "steps/s"},
                     {"update_duration_ms", 1000.0 * static_cast<double>(options_.steps_per_update) / steps_per_second,
                      "ms"}}});

  if (eval_due(update_, options_.eval_interval, options_.num_eval_episodes)) {
    const Episodes eval = play(options_.num_eval_episodes);
    std::uniform_real_distribution<double> ms_per_step(0.05, 0.08);
    events.push_back({"EVALUATOR",
                      "eval",
                      {algorithm,
                       {"phase", std::string("eval"), ""},
                       {"policy_version", u, "version"},
                       {"episodes", static_cast<double>(options_.num_eval_episodes), "episodes"},
                       {"mean_return", eval.mean_return, "return"},
                       {"max_return", eval.max_return, "return"},
                       {"min_return", eval.min_return, "return"},
                       {"episode_length_mean", eval.length_mean, "steps"},
                       {"episode_length_max", eval.length_max, "steps"},
                       {"episode_length_min", eval.length_min, "steps"},
                       {"duration_ms",
                        eval.length_mean * static_cast<double>(options_.num_eval_episodes) * ms_per_step(rng_),
                        "ms"}}});
  }
  return events;
}

}  // namespace esper::producers::rl
