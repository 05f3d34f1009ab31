// Tolaria's training loop, small enough to run anywhere: a two-layer perceptron (tanh hidden layer,
// sigmoid output) trained by minibatch SGD on a generated, non-linearly separable data set. Every
// number the step telemetry reports (docs/reference/training-system.md "Step Metrics") is computed here from
// the real step: the batch's cross-entropy loss and accuracy, the gradient's L2 norm, the conflict
// between micro-batch gradients, and the wall time of each phase.
//
// Deterministic: the same options (seed included) give the same losses, step for step.
#ifndef ESPER_PRODUCERS_TOLARIA_TOLARIA_TRAINER_H_
#define ESPER_PRODUCERS_TOLARIA_TOLARIA_TRAINER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace esper::tolaria {

struct TrainerOptions {
  std::uint64_t seed = 7;
  std::size_t samples = 4096;       // Size of the generated data set.
  std::size_t features = 8;
  std::size_t hidden = 16;
  std::size_t batch_size = 32;
  std::size_t micro_batches = 4;    // Gradient sources for grad_conflict_rate (1: not defined).
  double learning_rate = 0.5;
  double label_noise = 0.02;        // Fraction of labels flipped, so the loss never reaches zero.
  // The plateau policy (the in-loop "Tamiyo" consult): when the loss EWMA has not improved by
  // `plateau_tolerance` for `plateau_patience` steps, the learning rate is multiplied by `decay`.
  std::size_t plateau_patience = 50;
  double plateau_tolerance = 1e-3;
  double decay = 0.5;
};

// One step's measured outcome. Durations are wall-clock milliseconds of the phase.
struct StepResult {
  std::uint64_t step = 0;
  double loss = 0;                            // Mean binary cross-entropy over the batch.
  double accuracy = 0;                        // Fraction of the batch classified correctly.
  double gradient_norm = 0;                   // L2 norm of the batch gradient.
  std::optional<double> grad_conflict_rate;   // Fraction of micro-batch pairs with negative cosine.
  double learning_rate = 0;                   // As used for this step's update.
  double input_wait_ms = 0;                   // Assembling the batch from the data set.
  double compute_ms = 0;                      // Forward and backward passes.
  double apply_ms = 0;                        // Applying the update to the weights.
  double finalize_ms = 0;                     // Per-step bookkeeping: conflict stats, grad reset.
  double policy_ms = 0;                       // The plateau-policy consult.
  double samples_per_s = 0;                   // Batch size over the step's compute time.
};

class TolariaTrainer {
 public:
  explicit TolariaTrainer(TrainerOptions options);

  // Runs one SGD step on the next batch and returns what it measured.
  StepResult step();

  // Mean loss and accuracy over the whole data set (no update).
  double evaluate_loss() const;
  double evaluate_accuracy() const;

  std::uint64_t steps() const { return step_; }
  double learning_rate() const { return learning_rate_; }
  const TrainerOptions& options() const { return options_; }

 private:
  struct Batch {
    std::vector<const double*> x;
    std::vector<double> y;
  };
  Batch next_batch();
  // Forward/backward on samples [begin, end) of the batch; adds the gradient (summed over the
  // samples) into `grad` and returns the summed loss and number of correct predictions.
  void accumulate(const Batch& batch, std::size_t begin, std::size_t end, std::vector<double>& grad,
                  double* loss_sum, std::size_t* correct) const;
  double predict(const double* x) const;
  void consult_policy(double loss);

  TrainerOptions options_;
  std::mt19937_64 rng_;
  std::vector<double> data_;    // samples x features, row-major.
  std::vector<double> labels_;  // 0 or 1.
  std::vector<std::size_t> order_;
  std::size_t cursor_ = 0;
  // Parameters, flattened: W1 (hidden x features), b1 (hidden), w2 (hidden), b2 (1).
  std::vector<double> params_;
  std::vector<std::vector<double>> micro_grads_;
  std::uint64_t step_ = 0;
  double learning_rate_;
  std::optional<double> loss_ewma_;
  double best_ewma_ = 0;
  std::size_t since_best_ = 0;
};

}  // namespace esper::tolaria

#endif  // ESPER_PRODUCERS_TOLARIA_TOLARIA_TRAINER_H_
