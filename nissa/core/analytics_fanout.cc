#include "nissa/core/analytics_fanout.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "nissa/store/journal_records.h"

namespace esper::nissa {

AnalyticsFanout::AnalyticsFanout(const NissaConfig& config)
    : alerts_(config.alerts), contracts_(config.schema_contracts), sessions_(config.sessions) {}

void AnalyticsFanout::point(const std::string& source, const proto::MetricPoint& point, std::int64_t time_ms) {
  alerts_.observe(source, point, time_ms, raised_);
  sessions_.add_point(point, time_ms);
}

void AnalyticsFanout::event(const proto::TelemetryEvent& event, std::int64_t time_ms) {
  sessions_.add_event(event, time_ms);
}

void AnalyticsFanout::packet(const std::string& source, const proto::TelemetryPacket& packet) {
  contracts_.check(source, packet, violations_);
}

std::vector<Conclusion> AnalyticsFanout::take_conclusions(proto::Severity persist_min_severity,
                                                          std::uint64_t now_unix_ns) {
  std::vector<Conclusion> out;
  for (const Alert& a : raised_) {
    log_.log(a.severity >= proto::SEVERITY_HIGH ? spdlog::level::err : spdlog::level::warn, "alert_" + a.rule,
             "alert " + a.rule + ": " + a.message);
    out.push_back(Conclusion{alert_event(a), kRecordAlert});
  }
  for (const SchemaViolation& v : violations_) {
    log_.log(spdlog::level::warn, "schema_" + v.contract,
             "schema contract " + v.contract + " violated by " + v.source + ": " + v.reason +
                 (v.key.empty() ? "" : " " + v.key));
    proto::TelemetryEvent e = violation_event(v, now_unix_ns);
    const bool persisted = e.level() >= persist_min_severity;
    out.push_back(Conclusion{std::move(e), persisted ? std::optional<std::uint8_t>(kRecordEvent) : std::nullopt});
  }
  raised_.clear();
  violations_.clear();
  std::stable_partition(out.begin(), out.end(),
                        [](const Conclusion& c) { return c.event.level() >= proto::SEVERITY_HIGH; });
  return out;
}

void AnalyticsFanout::reconfigure(ReloadableConfig fresh) {
  alerts_.reconfigure(std::move(fresh.alerts));
  contracts_.reconfigure(std::move(fresh.schema_contracts));
  sessions_.set_options(std::move(fresh.sessions));
  raised_.clear();
}

}  // namespace esper::nissa
