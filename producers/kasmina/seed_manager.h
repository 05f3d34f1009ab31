// Kasmina's seed manager, as a load-generating reference: N seed slots, each moving through the
// Seed lifecycle (DORMANT -> GERMINATED -> TRAINING -> BLENDING -> SHADOWING -> PROBATIONARY ->
// FOSSILIZED, or CULLED -> EMBARGOED -> RESETTING -> DORMANT when isolation fails), with alpha
// blending during BLENDING, and the per-seed metrics of docs/reference/training-system.md computed on the way:
//
// - kernels: attaching a seed builds its kernel (a weight matrix, really computed and checked);
//   the time it takes is last_kernel_latency_ms. A kernel that fails its check (non-finite or out
//   of the norm bound; `kernel_failure_rate` injects such corruptions) or misses the latency budget
//   is replaced by the identity fallback kernel (fallback_used).
// - isolation: while a seed trains or blends, each step draws a host gradient and the seed's
//   gradient (the seed's `leak` couples them), and reports their dot product and norms. A cosine
//   above `isolation_threshold` is an isolation violation; `max_violations` of them cull the seed.
//
// Deterministic for a given seed value, apart from the measured latencies.
#ifndef ESPER_PRODUCERS_KASMINA_SEED_MANAGER_H_
#define ESPER_PRODUCERS_KASMINA_SEED_MANAGER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "esper/telemetry.pb.h"

namespace esper::kasmina {

// the SeedLifecycleStage numbering, the value of kasmina.seed.stage.
enum class SeedStage : int {
  kDormant = 1,
  kGerminated = 2,
  kTraining = 3,
  kBlending = 4,
  kShadowing = 5,
  kProbationary = 6,
  kFossilized = 7,
  kCulled = 8,
  kEmbargoed = 9,
  kResetting = 10,
};

const char* stage_name(SeedStage stage);

struct SeedManagerOptions {
  std::size_t seeds = 4;
  std::uint64_t rng_seed = 11;
  std::uint64_t stage_steps = 20;      // Steps spent in each timed stage.
  std::uint64_t blend_steps = 20;      // BLENDING: alpha rises by 1/blend_steps per step.
  std::size_t kernel_size = 64;        // The kernel is kernel_size x kernel_size.
  std::size_t gradient_size = 64;
  double kernel_failure_rate = 0.1;    // Share of kernels corrupted before their check.
  double kernel_budget_ms = 50.0;      // Slower kernels fall back too.
  double isolation_threshold = 0.35;   // |cos(host, seed)| above this is a violation.
  std::uint32_t max_violations = 3;
  double max_leak = 0.6;               // Each seed's gradient coupling is drawn in [0, max_leak].
};

struct SeedState {
  std::string id;
  SeedStage stage = SeedStage::kDormant;
  std::uint64_t steps_in_stage = 0;
  double alpha = 0;
  std::uint64_t alpha_steps = 0;
  bool kernel_attached = false;
  double last_kernel_latency_ms = 0;
  std::uint32_t isolation_violations = 0;   // In this seed's current life.
  bool fallback_used = false;
  double leak = 0;
  struct Isolation {
    double dot = 0;
    double host_norm = 0;
    double seed_norm = 0;
  };
  std::optional<Isolation> isolation;  // This step's stats; only while TRAINING or BLENDING.
};

class SeedManager {
 public:
  explicit SeedManager(SeedManagerOptions options);

  // Advances every seed by one step.
  void step();
  // The per-seed points of the current step, each with attributes {"seed_id": id} and `step`.
  std::vector<proto::MetricPoint> metric_points() const;

  const std::vector<SeedState>& seeds() const { return seeds_; }
  std::uint64_t steps() const { return step_; }
  // Test hook: sets a seed's gradient coupling (1.0 makes every step a violation).
  void set_leak(std::size_t index, double leak) { seeds_.at(index).leak = leak; }

 private:
  void advance(SeedState& seed);
  void enter(SeedState& seed, SeedStage stage);
  void attach_kernel(SeedState& seed);
  void measure_isolation(SeedState& seed);

  SeedManagerOptions options_;
  std::mt19937_64 rng_;
  std::vector<SeedState> seeds_;
  std::uint64_t step_ = 0;
};

}  // namespace esper::kasmina

#endif  // ESPER_PRODUCERS_KASMINA_SEED_MANAGER_H_
