#include "producers/kasmina/seed_manager.h"

#include <chrono>
#include <cmath>
#include <limits>

#include "proto/metric_point.h"

namespace esper::kasmina {

const char* stage_name(SeedStage stage) {
  switch (stage) {
    case SeedStage::kDormant: return "DORMANT";
    case SeedStage::kGerminated: return "GERMINATED";
    case SeedStage::kTraining: return "TRAINING";
    case SeedStage::kBlending: return "BLENDING";
    case SeedStage::kShadowing: return "SHADOWING";
    case SeedStage::kProbationary: return "PROBATIONARY";
    case SeedStage::kFossilized: return "FOSSILIZED";
    case SeedStage::kCulled: return "CULLED";
    case SeedStage::kEmbargoed: return "EMBARGOED";
    case SeedStage::kResetting: return "RESETTING";
  }
  return "UNKNOWN";
}

SeedManager::SeedManager(SeedManagerOptions options) : options_(options), rng_(options.rng_seed) {
  options_.stage_steps = std::max<std::uint64_t>(options_.stage_steps, 1);
  options_.blend_steps = std::max<std::uint64_t>(options_.blend_steps, 1);
  options_.kernel_size = std::max<std::size_t>(options_.kernel_size, 1);
  options_.gradient_size = std::max<std::size_t>(options_.gradient_size, 2);
  std::uniform_real_distribution<double> leak(0.0, options_.max_leak);
  for (std::size_t i = 0; i < options_.seeds; ++i) {
    SeedState s;
    s.id = "seed-" + std::to_string(i);
    s.leak = leak(rng_);
    // Staggered starts, so the seeds are not all in the same stage at once.
    s.steps_in_stage = options_.seeds > 0 ? (i * options_.stage_steps) / options_.seeds : 0;
    seeds_.push_back(std::move(s));
  }
}

void SeedManager::enter(SeedState& seed, SeedStage stage) {
  seed.stage = stage;
  seed.steps_in_stage = 0;
}

void SeedManager::attach_kernel(SeedState& seed) {
  const auto start = std::chrono::steady_clock::now();
  const std::size_t n = options_.kernel_size;
  std::normal_distribution<double> weight(0.0, 1.0 / std::sqrt(static_cast<double>(n)));
  std::vector<double> kernel(n * n);
  for (double& w : kernel) w = weight(rng_);
  if (std::uniform_real_distribution<double>(0, 1)(rng_) < options_.kernel_failure_rate) {
    kernel[n * n / 2] = std::numeric_limits<double>::quiet_NaN();  // Injected corruption.
  }
  // The check: every weight finite and the Frobenius norm near sqrt(n) (unit-variance rows).
  double frob2 = 0;
  bool finite = true;
  for (double w : kernel) {
    finite = finite && std::isfinite(w);
    frob2 += w * w;
  }
  const double expected = static_cast<double>(n);
  const bool valid = finite && frob2 > 0.5 * expected && frob2 < 2.0 * expected;
  seed.last_kernel_latency_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  seed.fallback_used = !valid || seed.last_kernel_latency_ms > options_.kernel_budget_ms;
  seed.kernel_attached = true;
}

void SeedManager::measure_isolation(SeedState& seed) {
  std::normal_distribution<double> normal(0.0, 1.0);
  double dot = 0, host2 = 0, seed2 = 0;
  for (std::size_t i = 0; i < options_.gradient_size; ++i) {
    const double h = normal(rng_);
    const double s = seed.leak * h + (1 - seed.leak) * normal(rng_);
    dot += h * s;
    host2 += h * h;
    seed2 += s * s;
  }
  seed.isolation = SeedState::Isolation{dot, std::sqrt(host2), std::sqrt(seed2)};
  const double cosine = dot / (seed.isolation->host_norm * seed.isolation->seed_norm);
  if (std::abs(cosine) > options_.isolation_threshold) ++seed.isolation_violations;
}

void SeedManager::advance(SeedState& seed) {
  ++seed.steps_in_stage;
  seed.isolation.reset();
  const bool stage_over = seed.steps_in_stage >= options_.stage_steps;
  switch (seed.stage) {
    case SeedStage::kDormant:
      if (stage_over) {
        enter(seed, SeedStage::kGerminated);
        attach_kernel(seed);
      }
      break;
    case SeedStage::kGerminated:
      if (stage_over) enter(seed, SeedStage::kTraining);
      break;
    case SeedStage::kTraining:
    case SeedStage::kBlending:
      measure_isolation(seed);
      if (seed.isolation_violations >= options_.max_violations) {
        enter(seed, SeedStage::kCulled);
        seed.kernel_attached = false;
        seed.alpha = 0;
        seed.alpha_steps = 0;
      } else if (seed.stage == SeedStage::kTraining) {
        if (stage_over) enter(seed, SeedStage::kBlending);
      } else {
        ++seed.alpha_steps;
        seed.alpha = std::min(1.0, static_cast<double>(seed.alpha_steps) / static_cast<double>(options_.blend_steps));
        if (seed.alpha >= 1.0) enter(seed, SeedStage::kShadowing);
      }
      break;
    case SeedStage::kShadowing:
      if (stage_over) enter(seed, SeedStage::kProbationary);
      break;
    case SeedStage::kProbationary:
      if (stage_over) enter(seed, SeedStage::kFossilized);
      break;
    case SeedStage::kFossilized:
    case SeedStage::kCulled:
      // The slot is recycled for a new seed (a fossilized seed is merged into the host; a culled
      // one is embargoed first).
      if (stage_over) enter(seed, seed.stage == SeedStage::kCulled ? SeedStage::kEmbargoed : SeedStage::kResetting);
      break;
    case SeedStage::kEmbargoed:
      if (seed.steps_in_stage >= 2 * options_.stage_steps) enter(seed, SeedStage::kResetting);
      break;
    case SeedStage::kResetting:
      if (stage_over) {
        enter(seed, SeedStage::kDormant);
        seed.kernel_attached = false;
        seed.fallback_used = false;
        seed.alpha = 0;
        seed.alpha_steps = 0;
        seed.isolation_violations = 0;
        seed.leak = std::uniform_real_distribution<double>(0.0, options_.max_leak)(rng_);
      }
      break;
  }
}

void SeedManager::step() {
  ++step_;
  for (auto& seed : seeds_) advance(seed);
}

std::vector<proto::MetricPoint> SeedManager::metric_points() const {
  std::vector<proto::MetricPoint> points;
  for (const auto& seed : seeds_) {
    auto add = [&](const char* name, double value, const char* unit, proto::MetricKind kind = proto::METRIC_KIND_GAUGE) {
      auto p = proto::make_point(name, value, unit, kind, {{"seed_id", seed.id}});
      p.set_step(step_);
      points.push_back(std::move(p));
    };
    add("kasmina.seed.stage", static_cast<double>(seed.stage), "state");
    add("kasmina.seed.alpha", seed.alpha, "ratio");
    if (seed.stage == SeedStage::kBlending) add("kasmina.seed.alpha_steps", static_cast<double>(seed.alpha_steps), "count");
    add("kasmina.seed.kernel_attached", seed.kernel_attached ? 1.0 : 0.0, "flag");
    add("kasmina.seed.last_kernel_latency_ms", seed.last_kernel_latency_ms, "ms");
    add("kasmina.seed.isolation_violations", static_cast<double>(seed.isolation_violations), "count");
    add("kasmina.seed.fallback_used", seed.fallback_used ? 1.0 : 0.0, "flag");
    if (seed.isolation) {
      add("kasmina.seed.isolation.dot", seed.isolation->dot, "dot");
      add("kasmina.seed.isolation.host_norm", seed.isolation->host_norm, "grad");
      add("kasmina.seed.isolation.seed_norm", seed.isolation->seed_norm, "grad");
    }
  }
  return points;
}

}  // namespace esper::kasmina
