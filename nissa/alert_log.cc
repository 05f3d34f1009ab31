#include "nissa/alert_log.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "proto/topic.h"

namespace esper::nissa {
namespace {

using nlohmann::json;

QueryReply bad(const std::string& parameter, const std::string& error) {
  return QueryReply{400, bad_parameter_json(parameter, error)};
}

bool parse_u64(const std::string& text, std::uint64_t& out) {
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size();
}

}  // namespace

void AlertLog::add(Alert alert) {
  ++total_;
  if (alerts_.size() >= capacity_) {
    alerts_.pop_front();
    ++dropped_;
  }
  alerts_.push_back(std::move(alert));
}

void AlertLog::clear() {
  alerts_.clear();
  total_ = 0;
  dropped_ = 0;
}

QueryReply AlertLog::query(const QueryParams& params) const {
  std::uint64_t since_id = 0;
  std::uint64_t limit = 1000;
  leyline::Severity min_severity = leyline::SEVERITY_DEBUG;
  std::string rule;
  for (const auto& [key, value] : params) {
    if (key == "since_id") {
      if (!parse_u64(value, since_id)) return bad(key, "expected a non-negative integer");
    } else if (key == "limit") {
      if (!parse_u64(value, limit) || limit == 0) return bad(key, "expected a positive integer");
    } else if (key == "min_severity") {
      const auto s = wire::parse_severity(value);
      if (!s) return bad(key, "expected debug, info, warning, high or critical");
      min_severity = *s;
    } else if (key == "rule") {
      rule = value;
    } else {
      return bad(key, "unknown parameter");
    }
  }
  json list = json::array();
  std::deque<const Alert*> selected;
  for (const Alert& a : alerts_) {
    if (a.id <= since_id || a.severity < min_severity) continue;
    if (!rule.empty() && a.rule != rule) continue;
    selected.push_back(&a);
    if (selected.size() > limit) selected.pop_front();
  }
  for (const Alert* a : selected) {
    json attributes = json::object();
    for (const auto& [k, v] : a->attributes) attributes[k] = v;
    list.push_back(json{{"id", a->id},
                        {"kind", std::string(alert_kind_name(a->kind))},
                        {"rule", a->rule},
                        {"event", a->event},
                        {"severity", std::string(wire::severity_name(a->severity))},
                        {"source", a->source},
                        {"metric", a->metric},
                        {"series", a->series},
                        {"attributes", attributes},
                        {"value", a->value},
                        {"baseline", a->baseline},
                        {"score", a->score},
                        {"time_ms", a->time_ms},
                        {"message", a->message}});
  }
  return QueryReply{200, json{{"alerts", list}, {"total", total_}, {"dropped", dropped_}}.dump()};
}

}  // namespace esper::nissa
