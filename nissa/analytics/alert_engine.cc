#include "nissa/analytics/alert_engine.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "nissa/store/series_key.h"

namespace esper::nissa {

struct AlertEngine::State {
  // Threshold.
  bool pending = false;
  std::int64_t pending_since_ms = 0;
  // Shared: the rule has fired for the current excursion.
  bool firing = false;
  // Drift and regression baselines (Welford during warm-up).
  std::size_t warmup_n = 0;
  double mean = 0;
  double m2 = 0;
  // Drift window.
  std::deque<double> window;
  double window_sum = 0;
  // Regression run.
  std::size_t bad_run = 0;
  // Coverage level: 0 none, 1 warning, 2 high, 3 critical.
  int level = 0;
  // The alert raised for the current excursion, still firing (0: none).
  std::uint64_t open_alert = 0;
};

namespace {

bool selects(const PointSelector& s, std::string_view source, const proto::MetricPoint& point) {
  if (s.source && *s.source != source) return false;
  for (const auto& [k, v] : s.attributes) {
    auto it = point.attributes().find(k);
    if (it == point.attributes().end() || it->second != v) return false;
  }
  return true;
}

proto::Severity coverage_severity(int level) {
  switch (level) {
    case 3: return proto::SEVERITY_CRITICAL;
    case 2: return proto::SEVERITY_HIGH;
    default: return proto::SEVERITY_WARNING;
  }
}

}  // namespace

AlertEngine::AlertEngine(AlertRules rules) : log_(rules.log_capacity) {
  rules_ = std::move(rules);
  index_rules();
}

AlertEngine::~AlertEngine() = default;

void AlertEngine::reconfigure(AlertRules rules) {
  rules_ = std::move(rules);
  log_ = AlertLog(rules_.log_capacity);
  ++reconfigurations_;
  index_rules();
}

void AlertEngine::index_rules() {
  by_metric_.clear();
  states_.clear();
  auto add = [&](AlertKind kind, std::size_t i, const PointSelector& s) {
    by_metric_[s.metric].push_back(RuleRef{kind, i, states_.size()});
    states_.push_back(std::make_unique<std::unordered_map<std::string, State>>());
  };
  for (std::size_t i = 0; i < rules_.threshold.size(); ++i) add(AlertKind::kThreshold, i, rules_.threshold[i].select);
  for (std::size_t i = 0; i < rules_.drift.size(); ++i) add(AlertKind::kDrift, i, rules_.drift[i].select);
  for (std::size_t i = 0; i < rules_.regression.size(); ++i) add(AlertKind::kRegression, i, rules_.regression[i].select);
  for (std::size_t i = 0; i < rules_.coverage.size(); ++i) add(AlertKind::kCoverage, i, rules_.coverage[i].select);
}

Alert AlertEngine::make_alert(AlertKind kind, const std::string& rule, std::string_view source,
                              const proto::MetricPoint& point, std::int64_t time_ms) {
  Alert a;
  a.kind = kind;
  a.rule = rule;
  a.source = std::string(source);
  a.metric = point.name();
  a.attributes.assign(point.attributes().begin(), point.attributes().end());
  std::sort(a.attributes.begin(), a.attributes.end());
  a.series = SeriesKey::from(a.source, a.metric, point.attributes()).to_string();
  a.value = point.value();
  a.time_ms = time_ms;
  return a;
}

void AlertEngine::restore(Alert alert) {
  next_id_ = std::max(next_id_, alert.id + 1);
  alert.state = AlertState::kUnknown;
  log_.add(std::move(alert));
}

void AlertEngine::raise(Alert alert, std::vector<Alert>& raised) {
  alert.id = next_id_++;
  ++raised_total_[{alert.rule, alert.severity}];
  raised.push_back(alert);
  log_.add(std::move(alert));
}

std::size_t AlertEngine::observe(std::string_view source, const proto::MetricPoint& point,
                                 std::int64_t time_ms, std::vector<Alert>& raised) {
  auto found = by_metric_.find(point.name());
  if (found == by_metric_.end()) return 0;
  const double v = point.value();
  if (!std::isfinite(v)) return 0;
  const std::size_t before = raised.size();
  std::string series;  // Built once, only when a rule selects the point.
  for (const RuleRef& ref : found->second) {
    const PointSelector* selector = nullptr;
    switch (ref.kind) {
      case AlertKind::kThreshold: selector = &rules_.threshold[ref.index].select; break;
      case AlertKind::kDrift: selector = &rules_.drift[ref.index].select; break;
      case AlertKind::kRegression: selector = &rules_.regression[ref.index].select; break;
      case AlertKind::kCoverage: selector = &rules_.coverage[ref.index].select; break;
    }
    if (!selects(*selector, source, point)) continue;
    ++evaluations_;
    if (series.empty()) series = SeriesKey::from(std::string(source), point.name(), point.attributes()).to_string();
    auto& states = *states_[ref.state];
    auto it = states.find(series);
    if (it == states.end()) {
      if (states.size() >= kMaxSeriesPerRule) {
        ++untracked_;
        continue;
      }
      it = states.emplace(series, State{}).first;
    }
    State& st = it->second;
    std::optional<Alert> alert;
    switch (ref.kind) {
      case AlertKind::kThreshold: alert = evaluate(rules_.threshold[ref.index], it->second, source, point, time_ms); break;
      case AlertKind::kDrift: alert = evaluate(rules_.drift[ref.index], it->second, source, point, time_ms); break;
      case AlertKind::kRegression: alert = evaluate(rules_.regression[ref.index], it->second, source, point, time_ms); break;
      case AlertKind::kCoverage: alert = evaluate(rules_.coverage[ref.index], it->second, source, point, time_ms); break;
    }
    // The excursion an open alert was raised for is over when its rule re-armed; for coverage, when
    // the level is back to none, or a higher level raised an alert that supersedes it.
    const bool over = ref.kind == AlertKind::kCoverage ? (st.level == 0 || alert.has_value()) : !st.firing;
    if (st.open_alert != 0 && over) {
      log_.resolve(st.open_alert, time_ms);
      st.open_alert = 0;
    }
    if (alert) {
      raise(std::move(*alert), raised);
      st.open_alert = next_id_ - 1;
    }
  }
  return raised.size() - before;
}

std::optional<Alert> AlertEngine::evaluate(const ThresholdRule& r, State& st, std::string_view source,
                                           const proto::MetricPoint& point, std::int64_t time_ms) {
  const double v = point.value();
  if (!compare(r.comparison, v, r.value)) {
    st.pending = false;
    st.firing = false;
    return std::nullopt;
  }
  if (!st.pending) {
    st.pending = true;
    st.pending_since_ms = time_ms;
  }
  if (!st.firing && time_ms - st.pending_since_ms >= r.hold.count()) {
    st.firing = true;
    Alert a = make_alert(AlertKind::kThreshold, r.name, source, point, time_ms);
    a.event = "threshold_alert";
    a.severity = r.severity;
    a.baseline = r.value;
    a.message = fmt::format("{} = {} {} {} for {}ms", a.series, v, comparison_name(r.comparison), r.value,
                            time_ms - st.pending_since_ms);
    return a;
  }
  return std::nullopt;
}

std::optional<Alert> AlertEngine::evaluate(const DriftRule& r, State& st, std::string_view source,
                                           const proto::MetricPoint& point, std::int64_t time_ms) {
  const double v = point.value();
  if (st.warmup_n < r.warmup) {
    ++st.warmup_n;
    const double d = v - st.mean;
    st.mean += d / static_cast<double>(st.warmup_n);
    st.m2 += d * (v - st.mean);
    return std::nullopt;
  }
  st.window.push_back(v);
  st.window_sum += v;
  if (st.window.size() > r.window) {
    st.window_sum -= st.window.front();
    st.window.pop_front();
  }
  if (st.window.size() < r.window) return std::nullopt;
  const double stddev =
      std::max(std::sqrt(st.m2 / static_cast<double>(st.warmup_n - 1)), r.min_stddev);
  const double window_mean = st.window_sum / static_cast<double>(st.window.size());
  const double z = (window_mean - st.mean) / stddev;
  if (std::abs(z) <= r.z_threshold) {
    st.firing = false;
    return std::nullopt;
  }
  if (st.firing) return std::nullopt;
  st.firing = true;
  Alert a = make_alert(AlertKind::kDrift, r.name, source, point, time_ms);
  a.event = "feature_drift";
  a.severity = r.severity;
  a.value = window_mean;
  a.baseline = st.mean;
  a.score = z;
  a.message = fmt::format("{}: window mean {:.6g} vs baseline {:.6g} (stddev {:.6g}), z = {:.3g} beyond {}",
                          a.series, window_mean, st.mean, stddev, z, r.z_threshold);
  return a;
}

std::optional<Alert> AlertEngine::evaluate(const RegressionRule& r, State& st, std::string_view source,
                                           const proto::MetricPoint& point, std::int64_t time_ms) {
  const double v = point.value();
  if (st.warmup_n < r.warmup) {
    ++st.warmup_n;
    st.mean += (v - st.mean) / static_cast<double>(st.warmup_n);
    return std::nullopt;
  }
  const double band = r.tolerance * std::abs(st.mean);
  const bool worse = r.direction == Direction::kHigherIsWorse ? v > st.mean + band : v < st.mean - band;
  if (!worse) {
    st.bad_run = 0;
    st.firing = false;
    return std::nullopt;
  }
  ++st.bad_run;
  if (st.firing || st.bad_run < r.consecutive) return std::nullopt;
  st.firing = true;
  Alert a = make_alert(AlertKind::kRegression, r.name, source, point, time_ms);
  a.event = "performance_regression";
  a.severity = r.severity;
  a.baseline = st.mean;
  a.score = static_cast<double>(st.bad_run);
  a.message = fmt::format("{}: {} consecutive samples {} than baseline {:.6g} by more than {}%, last {}",
                          a.series, st.bad_run,
                          r.direction == Direction::kHigherIsWorse ? "higher" : "lower", st.mean,
                          r.tolerance * 100, v);
  return a;
}

std::optional<Alert> AlertEngine::evaluate(const CoverageRule& r, State& st, std::string_view source,
                                           const proto::MetricPoint& point, std::int64_t time_ms) {
  const double v = point.value();
  const int level = v < r.critical_below ? 3 : v < r.high_below ? 2 : v < r.warning_below ? 1 : 0;
  const int previous = st.level;
  st.level = level;
  if (level <= previous) return std::nullopt;  // Recovery or de-escalation: re-armed, nothing to say.
  Alert a = make_alert(AlertKind::kCoverage, r.name, source, point, time_ms);
  a.event = r.event;
  a.severity = coverage_severity(level);
  a.baseline = level == 3 ? r.critical_below : level == 2 ? r.high_below : r.warning_below;
  a.message = fmt::format("{}: coverage {} below {}", a.series, v, a.baseline);
  return a;
}

}  // namespace esper::nissa
