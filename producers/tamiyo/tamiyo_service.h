// Tamiyo, the policy service, as a reference producer. Each decision observes the policy graph
// (feature_coverage.h) at the coverage the schedule asks for, runs the policy forward to pick the
// seed to act on, and yields an AdaptationCommand annotated with its coverage (feature_coverage,
// coverage_map, coverage_types) and the policy-service telemetry of docs/reference/training-system.md:
//
//   tamiyo.gnn.feature_coverage, tamiyo.gnn.feature_coverage.<type>    (ratio)
//   tamiyo.gnn.compile_enabled (bool), compile_fallback_total (count, only when non-zero),
//   compile_warm_ms (ms, only while compiled)
//   degraded_inputs events (degraded_inputs.h)
//
// "Compiled" here is the forward pass on a prebuilt plan (seed -> monitored layer and edge resolved
// once, for at most `compile_capacity` nodes); eager resolves them by scanning the edge lists on
// every decision. Building and warming the plan is compile_warm_ms; a graph the plan cannot hold
// falls back to eager and counts a compile fallback. Both paths compute the same scores.
#ifndef ESPER_PRODUCERS_TAMIYO_TAMIYO_SERVICE_H_
#define ESPER_PRODUCERS_TAMIYO_TAMIYO_SERVICE_H_

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "esper/adaptation.pb.h"
#include "esper/field_report.pb.h"
#include "esper/telemetry.pb.h"
#include "producers/tamiyo/degraded_inputs.h"
#include "producers/tamiyo/feature_coverage.h"

namespace esper::tamiyo {

struct TamiyoOptions {
  std::string source = "tamiyo";
  std::string training_run_id = "run-1";
  std::size_t layers = 8;
  std::size_t seeds = 8;
  std::vector<double> coverage_schedule{1.0};  // Observed share per phase; the last one holds.
  std::uint64_t decisions_per_phase = 20;
  CoverageThresholds thresholds;
  std::uint64_t degraded_repeat = 50;          // Decisions between repeats of a standing event.
  bool compile = true;
  std::size_t compile_capacity = 1024;         // Nodes the compiled plan holds.
  std::uint64_t rng_seed = 5;
};

struct Decision {
  std::uint64_t index = 0;  // 1-based; the points' step.
  proto::AdaptationCommand command;
  CoverageReport coverage;
  std::vector<proto::MetricPoint> points;
  std::optional<proto::TelemetryEvent> degraded;
};

class TamiyoService {
 public:
  explicit TamiyoService(TamiyoOptions options);

  Decision decide();

  bool compiled() const { return plan_.has_value(); }
  std::uint64_t compile_fallbacks() const { return compile_fallbacks_; }
  std::optional<double> compile_warm_ms() const { return warm_ms_; }
  double scheduled_coverage() const;  // For the next decision.
  std::uint64_t decisions() const { return decisions_; }

  // The field report evaluating `decision`'s command over `epochs` epochs.
  proto::FieldReport field_report(const Decision& decision, std::uint32_t epochs) const;

 private:
  struct Plan {
    std::size_t capacity = 0;
    std::vector<std::size_t> seed_layer;  // Seed j's monitored layer.
    std::vector<std::size_t> seed_edge;   // Seed j's edges.seed_monitors item.
  };
  // Builds and warms the plan for `graph`; nullopt (a fallback) when it does not fit.
  std::optional<Plan> compile_plan(const PolicyGraph& graph) const;
  std::vector<double> forward(const PolicyGraph& graph) const;

  TamiyoOptions options_;
  std::mt19937_64 rng_;
  DegradedInputsMonitor degraded_;
  std::optional<Plan> plan_;
  std::optional<double> warm_ms_;
  std::uint64_t compile_fallbacks_ = 0;
  std::uint64_t decisions_ = 0;
};

}  // namespace esper::tamiyo

#endif  // ESPER_PRODUCERS_TAMIYO_TAMIYO_SERVICE_H_
