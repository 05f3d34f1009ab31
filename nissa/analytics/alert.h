// One alert raised by Nissa's alert engine (nissa/analytics/alert_engine.h), and the bus event that carries it.
//
// Alerts are published by Nissa as TelemetryEvents (source "nissa"), so HIGH and CRITICAL alerts
// travel the emergency lane. The event's description names the kind of alert ("threshold_alert",
// "feature_drift", "performance_regression", or the coverage rule's event, "degraded_inputs" by
// default); its attributes are: rule, kind, metric, series (source/name{attrs}), series_source,
// value, baseline, score (z-score for drift, consecutive count for regression), message, and every
// attribute of the series prefixed "attr.".
#ifndef ESPER_NISSA_ANALYTICS_ALERT_H_
#define ESPER_NISSA_ANALYTICS_ALERT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "esper/telemetry.pb.h"

namespace esper::nissa {

enum class AlertKind { kThreshold, kDrift, kRegression, kCoverage };
std::string_view alert_kind_name(AlertKind kind);  // "threshold", "drift", "regression", "coverage".

// Whether the condition that raised an alert still holds, as the engine sees it (alert_engine.h):
// firing until the rule re-arms on its series (resolved, at the time of the point that re-armed
// it). An alert restored from the WAL is "unknown": the engine's state did not survive the
// restart, so it cannot tell (if the condition still holds, it fires again as a new alert).
enum class AlertState { kFiring, kResolved, kUnknown };
std::string_view alert_state_name(AlertState state);  // "firing", "resolved", "unknown".
std::optional<AlertState> parse_alert_state(std::string_view name);

struct Alert {
  std::uint64_t id = 0;  // Order of raising in this process, from 1.
  AlertKind kind = AlertKind::kThreshold;
  std::string rule;
  std::string event;     // Description of the bus event.
  proto::Severity severity = proto::SEVERITY_WARNING;
  std::string source;    // Source of the series that raised it.
  std::string metric;
  std::vector<std::pair<std::string, std::string>> attributes;  // The series' attributes.
  std::string series;    // SeriesKey::to_string() form.
  double value = 0;      // The sample (or window mean for drift) that raised it.
  double baseline = 0;   // Threshold value, baseline mean, or coverage threshold crossed.
  double score = 0;      // z-score (drift), consecutive samples (regression); 0 otherwise.
  std::int64_t time_ms = 0;  // Time of the sample that raised it.
  std::string message;
  AlertState state = AlertState::kFiring;  // Not carried by the bus event.
  std::int64_t resolved_ms = 0;            // Time of the sample that resolved it, when kResolved.
};

// The TelemetryEvent published for `alert`.
proto::TelemetryEvent alert_event(const Alert& alert);
// The alert an alert_event() carries (Nissa's WAL stores alerts as their events).
Alert alert_from_event(const proto::TelemetryEvent& event);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_ANALYTICS_ALERT_H_
