#include "nissa/alert.h"

#include <fmt/format.h>

namespace esper::nissa {

std::string_view alert_kind_name(AlertKind kind) {
  switch (kind) {
    case AlertKind::kThreshold: return "threshold";
    case AlertKind::kDrift: return "drift";
    case AlertKind::kRegression: return "regression";
    case AlertKind::kCoverage: return "coverage";
  }
  return "unknown";
}

leyline::TelemetryEvent alert_event(const Alert& alert) {
  leyline::TelemetryEvent e;
  e.set_event_id(fmt::format("alert-{}", alert.id));
  e.set_description(alert.event);
  e.set_level(alert.severity);
  e.set_timestamp_unix_ns(static_cast<std::uint64_t>(alert.time_ms) * 1'000'000);
  auto& a = *e.mutable_attributes();
  a["rule"] = alert.rule;
  a["kind"] = std::string(alert_kind_name(alert.kind));
  a["metric"] = alert.metric;
  a["series"] = alert.series;
  a["series_source"] = alert.source;
  a["value"] = fmt::format("{}", alert.value);
  a["baseline"] = fmt::format("{}", alert.baseline);
  a["score"] = fmt::format("{}", alert.score);
  a["message"] = alert.message;
  for (const auto& [k, v] : alert.attributes) a["attr." + k] = v;
  return e;
}

}  // namespace esper::nissa
