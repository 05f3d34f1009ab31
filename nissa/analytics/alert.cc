#include "nissa/analytics/alert.h"

#include <algorithm>
#include <cstdlib>

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

std::string_view alert_state_name(AlertState state) {
  switch (state) {
    case AlertState::kFiring: return "firing";
    case AlertState::kResolved: return "resolved";
    case AlertState::kUnknown: return "unknown";
  }
  return "unknown";
}

std::optional<AlertState> parse_alert_state(std::string_view name) {
  for (AlertState s : {AlertState::kFiring, AlertState::kResolved, AlertState::kUnknown}) {
    if (alert_state_name(s) == name) return s;
  }
  return std::nullopt;
}

proto::TelemetryEvent alert_event(const Alert& alert) {
  proto::TelemetryEvent e;
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

Alert alert_from_event(const proto::TelemetryEvent& event) {
  const auto& a = event.attributes();
  auto get = [&](const char* key) {
    auto it = a.find(key);
    return it == a.end() ? std::string() : it->second;
  };
  auto number = [&](const char* key) { return std::strtod(get(key).c_str(), nullptr); };
  Alert alert;
  constexpr std::string_view kIdPrefix = "alert-";
  if (event.event_id().rfind(kIdPrefix, 0) == 0) {
    alert.id = std::strtoull(event.event_id().c_str() + kIdPrefix.size(), nullptr, 10);
  }
  const std::string kind = get("kind");
  for (AlertKind k : {AlertKind::kThreshold, AlertKind::kDrift, AlertKind::kRegression, AlertKind::kCoverage}) {
    if (alert_kind_name(k) == kind) alert.kind = k;
  }
  alert.rule = get("rule");
  alert.event = event.description();
  alert.severity = event.level();
  alert.source = get("series_source");
  alert.metric = get("metric");
  alert.series = get("series");
  alert.value = number("value");
  alert.baseline = number("baseline");
  alert.score = number("score");
  alert.time_ms = static_cast<std::int64_t>(event.timestamp_unix_ns() / 1'000'000);
  alert.message = get("message");
  for (const auto& [key, value] : a) {
    if (key.rfind("attr.", 0) == 0) alert.attributes.emplace_back(key.substr(5), value);
  }
  std::sort(alert.attributes.begin(), alert.attributes.end());
  return alert;
}

}  // namespace esper::nissa
