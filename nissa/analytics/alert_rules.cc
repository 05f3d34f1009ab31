#include "nissa/analytics/alert_rules.h"

#include <set>

#include "proto/topic.h"

namespace esper::nissa {
namespace {

PointSelector read_selector(config::Section& s) {
  PointSelector p;
  p.metric = s.required<std::string>("metric");
  if (p.metric.empty()) throw s.error("metric", "must not be empty");
  p.source = s.optional<std::string>("source");
  p.attributes = s.get("attributes", std::map<std::string, std::string>{});
  return p;
}

proto::Severity read_severity(config::Section& s, proto::Severity fallback) {
  const auto text = s.optional<std::string>("severity");
  if (!text) return fallback;
  const auto parsed = proto::parse_severity(*text);
  if (!parsed) throw s.error("severity", "expected debug, info, warning, high or critical");
  return *parsed;
}

std::string read_name(config::Section& s, std::set<std::string>& names) {
  auto name = s.required<std::string>("name");
  if (name.empty()) throw s.error("name", "must not be empty");
  if (!names.insert(name).second) throw s.error("name", "duplicate rule name '" + name + "'");
  return name;
}

std::size_t positive(config::Section& s, std::string_view key, std::size_t fallback) {
  const auto v = s.get<std::uint64_t>(key, fallback);
  if (v == 0) throw s.error(key, "must be at least 1");
  return static_cast<std::size_t>(v);
}

Comparison parse_comparison(config::Section& s) {
  const auto text = s.required<std::string>("comparison");
  if (text == ">" || text == "gt") return Comparison::kGreater;
  if (text == ">=" || text == "ge") return Comparison::kGreaterEqual;
  if (text == "<" || text == "lt") return Comparison::kLess;
  if (text == "<=" || text == "le") return Comparison::kLessEqual;
  if (text == "==" || text == "eq") return Comparison::kEqual;
  if (text == "!=" || text == "ne") return Comparison::kNotEqual;
  throw s.error("comparison", "expected one of >, >=, <, <=, ==, != (or gt, ge, lt, le, eq, ne)");
}

}  // namespace

bool compare(Comparison c, double value, double reference) {
  switch (c) {
    case Comparison::kGreater: return value > reference;
    case Comparison::kGreaterEqual: return value >= reference;
    case Comparison::kLess: return value < reference;
    case Comparison::kLessEqual: return value <= reference;
    case Comparison::kEqual: return value == reference;
    case Comparison::kNotEqual: return value != reference;
  }
  return false;
}

const char* comparison_name(Comparison c) {
  switch (c) {
    case Comparison::kGreater: return ">";
    case Comparison::kGreaterEqual: return ">=";
    case Comparison::kLess: return "<";
    case Comparison::kLessEqual: return "<=";
    case Comparison::kEqual: return "==";
    case Comparison::kNotEqual: return "!=";
  }
  return "?";
}

AlertRules read_alert_rules(config::Section& section) {
  AlertRules rules;
  std::set<std::string> names;
  rules.log_capacity = positive(section, "log_capacity", rules.log_capacity);

  for (auto& s : section.sections("threshold")) {
    ThresholdRule r;
    r.name = read_name(s, names);
    r.select = read_selector(s);
    r.comparison = parse_comparison(s);
    r.value = s.required<double>("value");
    r.hold = s.get("for", r.hold);
    if (r.hold.count() < 0) throw s.error("for", "must not be negative");
    r.severity = read_severity(s, r.severity);
    s.finish();
    rules.threshold.push_back(std::move(r));
  }
  for (auto& s : section.sections("drift")) {
    DriftRule r;
    r.name = read_name(s, names);
    r.select = read_selector(s);
    r.warmup = positive(s, "warmup", r.warmup);
    if (r.warmup < 2) throw s.error("warmup", "must be at least 2 (a standard deviation needs two samples)");
    r.window = positive(s, "window", r.window);
    r.z_threshold = s.get("z_threshold", r.z_threshold);
    if (!(r.z_threshold > 0)) throw s.error("z_threshold", "must be greater than 0");
    r.min_stddev = s.get("min_stddev", r.min_stddev);
    if (!(r.min_stddev > 0)) throw s.error("min_stddev", "must be greater than 0");
    r.severity = read_severity(s, r.severity);
    s.finish();
    rules.drift.push_back(std::move(r));
  }
  for (auto& s : section.sections("regression")) {
    RegressionRule r;
    r.name = read_name(s, names);
    r.select = read_selector(s);
    const auto direction = s.get<std::string>("direction", "higher_is_worse");
    if (direction == "higher_is_worse") {
      r.direction = Direction::kHigherIsWorse;
    } else if (direction == "lower_is_worse") {
      r.direction = Direction::kLowerIsWorse;
    } else {
      throw s.error("direction", "expected higher_is_worse or lower_is_worse");
    }
    r.warmup = positive(s, "warmup", r.warmup);
    r.tolerance = s.get("tolerance", r.tolerance);
    if (!(r.tolerance >= 0)) throw s.error("tolerance", "must be 0 or more");
    r.consecutive = positive(s, "consecutive", r.consecutive);
    r.severity = read_severity(s, r.severity);
    s.finish();
    rules.regression.push_back(std::move(r));
  }
  for (auto& s : section.sections("coverage")) {
    CoverageRule r;
    r.name = read_name(s, names);
    r.select = read_selector(s);
    r.warning_below = s.get("warning_below", r.warning_below);
    r.high_below = s.get("high_below", r.high_below);
    r.critical_below = s.get("critical_below", r.critical_below);
    if (!(r.critical_below <= r.high_below && r.high_below <= r.warning_below)) {
      throw s.error("warning_below", "thresholds must satisfy critical_below <= high_below <= warning_below");
    }
    r.event = s.get("event", r.event);
    if (r.event.empty()) throw s.error("event", "must not be empty");
    s.finish();
    rules.coverage.push_back(std::move(r));
  }
  section.finish();
  return rules;
}

}  // namespace esper::nissa
