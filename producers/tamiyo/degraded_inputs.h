// Coverage-driven `degraded_inputs` events (docs/reference/training-system.md): the severity escalates as
// the average feature coverage falls below the configured thresholds - WARNING, then HIGH, then
// CRITICAL. HIGH and CRITICAL go to the emergency lane (the telemetry buffer publishes them at
// once). An event is raised when the severity changes while degraded, and repeated every
// `repeat_interval` decisions while it stays degraded, so a persisting problem stays visible
// without flooding the emergency lane.
#ifndef ESPER_PRODUCERS_TAMIYO_DEGRADED_INPUTS_H_
#define ESPER_PRODUCERS_TAMIYO_DEGRADED_INPUTS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "esper/telemetry.pb.h"
#include "producers/tamiyo/feature_coverage.h"

namespace esper::tamiyo {

struct CoverageThresholds {
  double warning_below = 0.8;
  double high_below = 0.5;
  double critical_below = 0.2;
};

// SEVERITY_INFO when coverage is at or above every threshold.
proto::Severity severity_for_coverage(double coverage, const CoverageThresholds& thresholds);

class DegradedInputsMonitor {
 public:
  DegradedInputsMonitor(CoverageThresholds thresholds, std::uint64_t repeat_interval, std::string source)
      : thresholds_(thresholds), repeat_interval_(repeat_interval), source_(std::move(source)) {}

  // The event for this decision's coverage, if one is due.
  std::optional<proto::TelemetryEvent> observe(const CoverageReport& coverage);

 private:
  CoverageThresholds thresholds_;
  std::uint64_t repeat_interval_;
  std::string source_;
  proto::Severity current_ = proto::SEVERITY_INFO;
  std::uint64_t since_last_ = 0;
  std::uint64_t raised_ = 0;
};

}  // namespace esper::tamiyo

#endif  // ESPER_PRODUCERS_TAMIYO_DEGRADED_INPUTS_H_
