// The metrics formatter of docs/reference/rl-trainer.md: a structured log event with a category and
// fields becomes metric points keyed `<prefix><field>`, where the category picks the prefix
// (TRAINER/TRAIN -> trainer/, ACTOR/ACT -> actor/, EVALUATOR/EVAL -> evaluator/, anything else ->
// misc/). Only numeric fields become metrics; `category`, `message` and `telemetry` never do. An
// event without one of the accepted step fields (timesteps, policy_version, step, global_step,
// update, looked for in that order) is skipped; the step found is every point's `step`.
//
// Text fields are not metrics but are not thrown away either: they ride on the event's points as
// attributes (e.g. the evaluation schema's `phase`). A non-finite number is bad input: rejected,
// counted and logged rate-limited.
#ifndef ESPER_PRODUCERS_RL_TRAINER_CATEGORY_METRICS_H_
#define ESPER_PRODUCERS_RL_TRAINER_CATEGORY_METRICS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "esper/telemetry.pb.h"
#include "logging/rate_limited_log.h"
#include "proto/metric_category.h"

namespace esper::producers::rl {

using proto::category_prefix;  // proto/metric_category.h

inline constexpr std::array<std::string_view, 5> kStepFields{"timesteps", "policy_version", "step", "global_step",
                                                             "update"};

struct Field {
  std::string name;
  std::variant<double, std::string> value;
  std::string unit;  // Unit of a numeric field's metric.
};

// One emission, like `tracing::info!(category="TRAINER", critic_loss=0.5, timesteps=100, "train")`.
struct CategoryEvent {
  std::string category;
  std::string message;
  std::vector<Field> fields;
};

struct FormatterStats {
  std::uint64_t events = 0;
  std::uint64_t skipped_without_step = 0;  // Whole events.
  std::uint64_t rejected_non_finite = 0;   // Fields.
  std::uint64_t points = 0;
};

class CategoryMetricsFormatter {
 public:
  // The event's metric points; empty when it was skipped (no step field).
  std::vector<proto::MetricPoint> format(const CategoryEvent& event);
  const FormatterStats& stats() const { return stats_; }

 private:
  FormatterStats stats_;
  logging::RateLimitedLog log_;
};

}  // namespace esper::producers::rl

#endif  // ESPER_PRODUCERS_RL_TRAINER_CATEGORY_METRICS_H_
