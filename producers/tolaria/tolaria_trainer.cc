#include "producers/tolaria/tolaria_trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

namespace esper::tolaria {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// The target concept: an interaction term and a curved boundary, so a linear model cannot fit it
// and the hidden layer has something to learn.
double concept_score(const double* x, std::size_t features) {
  double s = 1.5 * x[0] * x[1] + x[2] - 0.5 * x[3] * x[3] + 0.3;
  if (features > 4) s += 0.5 * x[4];
  return s;
}

}  // namespace

TolariaTrainer::TolariaTrainer(TrainerOptions options)
    : options_(std::move(options)), rng_(options_.seed), learning_rate_(options_.learning_rate) {
  options_.features = std::max<std::size_t>(options_.features, 4);
  options_.hidden = std::max<std::size_t>(options_.hidden, 1);
  options_.samples = std::max<std::size_t>(options_.samples, 1);
  options_.batch_size = std::max<std::size_t>(options_.batch_size, 1);
  options_.micro_batches = std::clamp<std::size_t>(options_.micro_batches, 1, options_.batch_size);

  const std::size_t f = options_.features;
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  data_.resize(options_.samples * f);
  labels_.resize(options_.samples);
  for (std::size_t i = 0; i < options_.samples; ++i) {
    for (std::size_t j = 0; j < f; ++j) data_[i * f + j] = normal(rng_);
    double label = concept_score(&data_[i * f], f) > 0 ? 1.0 : 0.0;
    if (uniform(rng_) < options_.label_noise) label = 1.0 - label;
    labels_[i] = label;
  }
  order_.resize(options_.samples);
  std::iota(order_.begin(), order_.end(), 0);
  std::shuffle(order_.begin(), order_.end(), rng_);

  // Xavier-style initialisation.
  const std::size_t h = options_.hidden;
  params_.assign(h * f + h + h + 1, 0.0);
  std::normal_distribution<double> w1(0.0, 1.0 / std::sqrt(static_cast<double>(f)));
  std::normal_distribution<double> w2(0.0, 1.0 / std::sqrt(static_cast<double>(h)));
  for (std::size_t i = 0; i < h * f; ++i) params_[i] = w1(rng_);
  for (std::size_t i = 0; i < h; ++i) params_[h * f + h + i] = w2(rng_);
  micro_grads_.assign(options_.micro_batches, std::vector<double>(params_.size(), 0.0));
}

TolariaTrainer::Batch TolariaTrainer::next_batch() {
  Batch batch;
  batch.x.reserve(options_.batch_size);
  batch.y.reserve(options_.batch_size);
  for (std::size_t i = 0; i < options_.batch_size; ++i) {
    if (cursor_ == order_.size()) {  // A new epoch: reshuffle.
      std::shuffle(order_.begin(), order_.end(), rng_);
      cursor_ = 0;
    }
    const std::size_t idx = order_[cursor_++];
    batch.x.push_back(&data_[idx * options_.features]);
    batch.y.push_back(labels_[idx]);
  }
  return batch;
}

double TolariaTrainer::predict(const double* x) const {
  const std::size_t f = options_.features, h = options_.hidden;
  const double* w1 = params_.data();
  const double* b1 = w1 + h * f;
  const double* w2 = b1 + h;
  double z = params_[h * f + h + h];
  for (std::size_t k = 0; k < h; ++k) {
    double a = b1[k];
    for (std::size_t j = 0; j < f; ++j) a += w1[k * f + j] * x[j];
    z += w2[k] * std::tanh(a);
  }
  return sigmoid(z);
}

void TolariaTrainer::accumulate(const Batch& batch, std::size_t begin, std::size_t end,
                                std::vector<double>& grad, double* loss_sum, std::size_t* correct) const {
  const std::size_t f = options_.features, h = options_.hidden;
  const double* w1 = params_.data();
  const double* b1 = w1 + h * f;
  const double* w2 = b1 + h;
  double* g_w1 = grad.data();
  double* g_b1 = g_w1 + h * f;
  double* g_w2 = g_b1 + h;
  double& g_b2 = grad[h * f + h + h];
  std::vector<double> hidden(h);
  for (std::size_t i = begin; i < end; ++i) {
    const double* x = batch.x[i];
    double z = params_[h * f + h + h];
    for (std::size_t k = 0; k < h; ++k) {
      double a = b1[k];
      for (std::size_t j = 0; j < f; ++j) a += w1[k * f + j] * x[j];
      hidden[k] = std::tanh(a);
      z += w2[k] * hidden[k];
    }
    const double p = sigmoid(z);
    const double y = batch.y[i];
    constexpr double kEps = 1e-12;
    *loss_sum += -(y * std::log(p + kEps) + (1 - y) * std::log(1 - p + kEps));
    *correct += (p >= 0.5) == (y >= 0.5) ? 1 : 0;
    const double dz = p - y;  // d(BCE)/dz for a sigmoid output.
    g_b2 += dz;
    for (std::size_t k = 0; k < h; ++k) {
      g_w2[k] += dz * hidden[k];
      const double da = dz * w2[k] * (1 - hidden[k] * hidden[k]);
      g_b1[k] += da;
      for (std::size_t j = 0; j < f; ++j) g_w1[k * f + j] += da * x[j];
    }
  }
}

StepResult TolariaTrainer::step() {
  StepResult r;
  r.step = ++step_;
  r.learning_rate = learning_rate_;

  auto t = Clock::now();
  const Batch batch = next_batch();
  r.input_wait_ms = ms_since(t);

  t = Clock::now();
  const std::size_t n = batch.x.size();
  const std::size_t m = micro_grads_.size();
  double loss_sum = 0;
  std::size_t correct = 0;
  for (std::size_t s = 0; s < m; ++s) {
    accumulate(batch, s * n / m, (s + 1) * n / m, micro_grads_[s], &loss_sum, &correct);
  }
  std::vector<double> grad(params_.size(), 0.0);
  for (const auto& g : micro_grads_) {
    for (std::size_t i = 0; i < grad.size(); ++i) grad[i] += g[i];
  }
  double norm2 = 0;
  for (double& g : grad) {
    g /= static_cast<double>(n);
    norm2 += g * g;
  }
  r.compute_ms = ms_since(t);
  r.loss = loss_sum / static_cast<double>(n);
  r.accuracy = static_cast<double>(correct) / static_cast<double>(n);
  r.gradient_norm = std::sqrt(norm2);

  t = Clock::now();
  for (std::size_t i = 0; i < params_.size(); ++i) params_[i] -= learning_rate_ * grad[i];
  r.apply_ms = ms_since(t);

  t = Clock::now();
  if (m >= 2) {
    std::size_t pairs = 0, conflicts = 0;
    for (std::size_t a = 0; a < m; ++a) {
      for (std::size_t b = a + 1; b < m; ++b) {
        double dot = 0;
        for (std::size_t i = 0; i < params_.size(); ++i) dot += micro_grads_[a][i] * micro_grads_[b][i];
        ++pairs;
        conflicts += dot < 0 ? 1 : 0;
      }
    }
    r.grad_conflict_rate = static_cast<double>(conflicts) / static_cast<double>(pairs);
  }
  for (auto& g : micro_grads_) std::fill(g.begin(), g.end(), 0.0);
  r.finalize_ms = ms_since(t);

  t = Clock::now();
  consult_policy(r.loss);
  r.policy_ms = ms_since(t);

  const double busy_s = (r.input_wait_ms + r.compute_ms + r.apply_ms) / 1000.0;
  r.samples_per_s = busy_s > 0 ? static_cast<double>(n) / busy_s : 0.0;
  return r;
}

void TolariaTrainer::consult_policy(double loss) {
  constexpr double kAlpha = 0.05;
  loss_ewma_ = loss_ewma_ ? kAlpha * loss + (1 - kAlpha) * *loss_ewma_ : loss;
  if (step_ == 1 || *loss_ewma_ < best_ewma_ - options_.plateau_tolerance) {
    best_ewma_ = *loss_ewma_;
    since_best_ = 0;
    return;
  }
  if (++since_best_ >= options_.plateau_patience) {
    learning_rate_ *= options_.decay;
    since_best_ = 0;
  }
}

double TolariaTrainer::evaluate_loss() const {
  double sum = 0;
  for (std::size_t i = 0; i < options_.samples; ++i) {
    const double p = predict(&data_[i * options_.features]);
    const double y = labels_[i];
    sum += -(y * std::log(p + 1e-12) + (1 - y) * std::log(1 - p + 1e-12));
  }
  return sum / static_cast<double>(options_.samples);
}

double TolariaTrainer::evaluate_accuracy() const {
  std::size_t correct = 0;
  for (std::size_t i = 0; i < options_.samples; ++i) {
    correct += (predict(&data_[i * options_.features]) >= 0.5) == (labels_[i] >= 0.5) ? 1 : 0;
  }
  return static_cast<double>(correct) / static_cast<double>(options_.samples);
}

}  // namespace esper::tolaria
