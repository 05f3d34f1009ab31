// Nissa's alert engine: evaluates every metric point against the configured rules
// (nissa/analytics/alert_rules.h) and raises alerts (nissa/analytics/alert.h) into a bounded log.
//
// Each rule keeps state per series (source, metric, attributes) it selects: a threshold rule the
// time its condition started to hold, a drift rule its warm-up baseline and rolling window, a
// regression rule its baseline and run of bad samples, a coverage rule its current level. A rule
// fires once per excursion and re-arms when its series is back to normal, so a lasting shift is one
// alert, not one per sample. Time is the points' own time, so replays behave like live streams.
// An alert is firing until its rule re-arms on that series, then resolved (AlertState, alert.h):
// a threshold's value back on the right side, a drift's window back within z, a regression's
// sample back within tolerance, a coverage level back to none (or superseded by a higher level).
//
// reconfigure() installs new rules and forgets every baseline, window, pending state and the
// alert log (a clean baseline per run); the raised_total() counters are monotonic and survive it,
// as Prometheus counters must. States per rule are capped (kMaxSeriesPerRule); points of further
// series are not evaluated and are counted in untracked_total().
//
// Single-threaded, like MetricAggregator: the ingest loop owns it and readers take its lock.
#ifndef ESPER_NISSA_ANALYTICS_ALERT_ENGINE_H_
#define ESPER_NISSA_ANALYTICS_ALERT_ENGINE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "esper/telemetry.pb.h"
#include "nissa/analytics/alert.h"
#include "nissa/analytics/alert_log.h"
#include "nissa/analytics/alert_rules.h"

namespace esper::nissa {

class AlertEngine {
 public:
  static constexpr std::size_t kMaxSeriesPerRule = 10'000;

  explicit AlertEngine(AlertRules rules = {});
  ~AlertEngine();
  AlertEngine(const AlertEngine&) = delete;
  AlertEngine& operator=(const AlertEngine&) = delete;

  void reconfigure(AlertRules rules);

  // Puts an alert raised before a restart back into the log (from Nissa's WAL); later alerts get
  // higher ids. The raised_total() counters are not touched: they count since this start.
  void restore(Alert alert);
  // Forgets the alert log, as reconfigure() does (replaying a reload from the WAL).
  void clear_log() { log_.clear(); }

  // Evaluates one point from `source` observed at `time_ms`. Alerts raised are added to the log
  // and appended to `raised` (for the caller to publish). Returns how many were raised.
  std::size_t observe(std::string_view source, const proto::MetricPoint& point, std::int64_t time_ms,
                      std::vector<Alert>& raised);

  const AlertRules& rules() const { return rules_; }
  const AlertLog& log() const { return log_; }
  // Alerts raised since start, by (rule, severity); survives reconfigure().
  const std::map<std::pair<std::string, proto::Severity>, std::uint64_t>& raised_total() const {
    return raised_total_;
  }
  std::uint64_t evaluations_total() const { return evaluations_; }  // (point, rule) pairs evaluated.
  std::uint64_t untracked_total() const { return untracked_; }
  std::uint64_t reconfigurations() const { return reconfigurations_; }

 private:
  struct State;
  struct RuleRef {
    AlertKind kind;
    std::size_t index;  // Into the rules_ vector of that kind.
    std::size_t state;  // Into states_.
  };

  void index_rules();
  Alert make_alert(AlertKind kind, const std::string& rule, std::string_view source,
                   const proto::MetricPoint& point, std::int64_t time_ms);
  void raise(Alert alert, std::vector<Alert>& raised);
  // One rule's verdict on one point of a series it tracks: the alert to raise, if any.
  std::optional<Alert> evaluate(const ThresholdRule& r, State& st, std::string_view source,
                                const proto::MetricPoint& point, std::int64_t time_ms);
  std::optional<Alert> evaluate(const DriftRule& r, State& st, std::string_view source,
                                const proto::MetricPoint& point, std::int64_t time_ms);
  std::optional<Alert> evaluate(const RegressionRule& r, State& st, std::string_view source,
                                const proto::MetricPoint& point, std::int64_t time_ms);
  std::optional<Alert> evaluate(const CoverageRule& r, State& st, std::string_view source,
                                const proto::MetricPoint& point, std::int64_t time_ms);

  AlertRules rules_;
  // Rules by metric name, so a point only meets the rules that can select it.
  std::unordered_map<std::string, std::vector<RuleRef>> by_metric_;
  // One state map per rule, in by_metric_ order of creation.
  std::vector<std::unique_ptr<std::unordered_map<std::string, State>>> states_;
  AlertLog log_;
  std::uint64_t next_id_ = 1;
  std::map<std::pair<std::string, proto::Severity>, std::uint64_t> raised_total_;
  std::uint64_t evaluations_ = 0;
  std::uint64_t untracked_ = 0;
  std::uint64_t reconfigurations_ = 0;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_ANALYTICS_ALERT_ENGINE_H_
