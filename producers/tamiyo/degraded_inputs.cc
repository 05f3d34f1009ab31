#include "producers/tamiyo/degraded_inputs.h"

#include <cstdio>

#include "proto/envelope_codec.h"

namespace esper::tamiyo {

namespace {

std::string ratio_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4f", v);
  return buf;
}

}  // namespace

proto::Severity severity_for_coverage(double coverage, const CoverageThresholds& t) {
  if (coverage < t.critical_below) return proto::SEVERITY_CRITICAL;
  if (coverage < t.high_below) return proto::SEVERITY_HIGH;
  if (coverage < t.warning_below) return proto::SEVERITY_WARNING;
  return proto::SEVERITY_INFO;
}

std::optional<proto::TelemetryEvent> DegradedInputsMonitor::observe(const CoverageReport& coverage) {
  const auto severity = severity_for_coverage(coverage.average, thresholds_);
  const bool changed = severity != current_;
  current_ = severity;
  ++since_last_;
  if (severity == proto::SEVERITY_INFO) return std::nullopt;
  if (!changed && since_last_ < repeat_interval_) return std::nullopt;
  since_last_ = 0;

  const double threshold = severity == proto::SEVERITY_CRITICAL ? thresholds_.critical_below
                           : severity == proto::SEVERITY_HIGH   ? thresholds_.high_below
                                                                  : thresholds_.warning_below;
  proto::TelemetryEvent event;
  event.set_event_id(source_ + "-degraded_inputs-" + std::to_string(++raised_));
  event.set_description("degraded_inputs");
  event.set_level(severity);
  event.set_timestamp_unix_ns(proto::now_unix_ns());
  auto& a = *event.mutable_attributes();
  a["reason"] = "degraded_inputs";
  a["feature_coverage"] = ratio_text(coverage.average);
  a["threshold"] = ratio_text(threshold);
  a["worst_type"] = coverage.worst_type;
  a["worst_coverage"] = ratio_text(coverage.worst);
  return event;
}

}  // namespace esper::tamiyo
