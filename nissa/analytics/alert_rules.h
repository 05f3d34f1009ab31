// The alert rules Nissa evaluates, read from the `alerts:` section of its YAML config
// (deploy/config/nissa.yaml has a commented example of each kind):
//
//   threshold   a metric compared with a constant, held for a duration before it fires
//   drift       a feature's rolling-window mean against the mean and standard deviation of its first
//               `warmup` samples; fires when |z| = |window_mean - baseline_mean| / baseline_stddev
//               exceeds `z_threshold`
//   regression  a directional metric (higher or lower is worse); fires (CRITICAL by default) after
//               `consecutive` samples in a row fall outside the band baseline * (1 +- tolerance) on
//               the worse side, the baseline being the mean of the first `warmup` samples
//   coverage    a coverage ratio mapped to a severity by three thresholds, as Tamiyo's
//               `degraded_inputs`; fires on every escalation, re-arms once coverage recovers
//
// Every rule selects points by metric name, optionally by source and by attributes (every listed
// attribute must be equal). Each selected series is evaluated on its own.
#ifndef ESPER_NISSA_ANALYTICS_ALERT_RULES_H_
#define ESPER_NISSA_ANALYTICS_ALERT_RULES_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config_section.h"
#include "esper/severity.pb.h"

namespace esper::nissa {

// Which points a rule looks at.
struct PointSelector {
  std::string metric;
  std::optional<std::string> source;
  std::map<std::string, std::string> attributes;
};

enum class Comparison { kGreater, kGreaterEqual, kLess, kLessEqual, kEqual, kNotEqual };
bool compare(Comparison c, double value, double reference);
const char* comparison_name(Comparison c);

struct ThresholdRule {
  std::string name;
  PointSelector select;
  Comparison comparison = Comparison::kGreater;
  double value = 0;
  std::chrono::milliseconds hold{0};  // `for:` the condition must hold this long (point time).
  proto::Severity severity = proto::SEVERITY_WARNING;
};

struct DriftRule {
  std::string name;
  PointSelector select;
  std::size_t warmup = 100;   // Samples forming the baseline.
  std::size_t window = 20;    // Samples in the rolling window.
  double z_threshold = 3.0;
  double min_stddev = 1e-9;   // Floor of the baseline stddev, so a constant baseline stays usable.
  proto::Severity severity = proto::SEVERITY_WARNING;
};

enum class Direction { kHigherIsWorse, kLowerIsWorse };

struct RegressionRule {
  std::string name;
  PointSelector select;
  Direction direction = Direction::kHigherIsWorse;
  std::size_t warmup = 20;
  double tolerance = 0.1;     // Relative to |baseline|.
  std::size_t consecutive = 5;
  proto::Severity severity = proto::SEVERITY_CRITICAL;
};

struct CoverageRule {
  std::string name;
  PointSelector select;
  double warning_below = 0.9;
  double high_below = 0.7;
  double critical_below = 0.5;
  std::string event = "degraded_inputs";  // Description of the events raised.
};

struct AlertRules {
  std::size_t log_capacity = 1000;  // Alerts kept for /api/v1/alerts.
  std::vector<ThresholdRule> threshold;
  std::vector<DriftRule> drift;
  std::vector<RegressionRule> regression;
  std::vector<CoverageRule> coverage;

  std::size_t size() const { return threshold.size() + drift.size() + regression.size() + coverage.size(); }
};

// Reads the `alerts:` section. Throws config::ConfigError naming file, key and line.
AlertRules read_alert_rules(config::Section& section);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_ANALYTICS_ALERT_RULES_H_
