// What Nissa concludes from the traffic, on the ingest loop: every metric point goes through the
// alert engine and the session views, every telemetry packet is checked against the schema
// contracts, every event feeds the session views. After each batch, take_conclusions() hands back
// what was raised (alerts and schema violations, as events from "nissa"), logged once each
// (rate-limited), emergencies first so a CRITICAL alert never waits behind a burst of warnings.
//
// reconfigure() installs what a reload read: alert rules (baselines and alert history reset),
// schema contracts and session options.
#ifndef ESPER_NISSA_CORE_ANALYTICS_FANOUT_H_
#define ESPER_NISSA_CORE_ANALYTICS_FANOUT_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "logging/rate_limited_log.h"
#include "nissa/analytics/alert_engine.h"
#include "nissa/analytics/schema_contract.h"
#include "nissa/analytics/session_views.h"
#include "nissa/core/nissa_config.h"

namespace esper::nissa {

// Read access to the analytics state, for the HTTP handlers.
struct Analytics {
  const AlertEngine& alerts;
  const SchemaContractChecker& contracts;
  const SessionViews& sessions;
};

// One event Nissa raised, and the journal record type to persist it under (none: not persisted).
struct Conclusion {
  proto::TelemetryEvent event;
  std::optional<std::uint8_t> record;
};

class AnalyticsFanout {
 public:
  explicit AnalyticsFanout(const NissaConfig& config);

  void point(const std::string& source, const proto::MetricPoint& point, std::int64_t time_ms);
  void event(const proto::TelemetryEvent& event, std::int64_t time_ms);
  void packet(const std::string& source, const proto::TelemetryPacket& packet);

  // What the batch raised; violations are persisted when at or above `persist_min_severity`.
  std::vector<Conclusion> take_conclusions(proto::Severity persist_min_severity, std::uint64_t now_unix_ns);

  // Replay of the journal.
  void restore_alert(const proto::TelemetryEvent& event) { alerts_.restore(alert_from_event(event)); }
  void clear_alert_log() { alerts_.clear_log(); }

  void reconfigure(ReloadableConfig fresh);

  Analytics view() const { return Analytics{alerts_, contracts_, sessions_}; }
  const AlertEngine& alerts() const { return alerts_; }
  const SchemaContractChecker& contracts() const { return contracts_; }
  const SessionViews& sessions() const { return sessions_; }

 private:
  AlertEngine alerts_;
  SchemaContractChecker contracts_;
  SessionViews sessions_;
  std::vector<Alert> raised_;                // In the current batch.
  std::vector<SchemaViolation> violations_;  // In the current batch.
  logging::RateLimitedLog log_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_CORE_ANALYTICS_FANOUT_H_
