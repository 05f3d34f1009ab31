#include "nissa/core/self_telemetry.h"

#include <cmath>
#include <cstdint>
#include <map>

#include <nlohmann/json.hpp>

#include "proto/metric_point.h"

namespace esper::nissa {
namespace {

std::string json_key(std::string_view name) {
  constexpr std::string_view kPrefix = "nissa.";
  if (name.starts_with(kPrefix)) name.remove_prefix(kPrefix.size());
  return std::string(name);
}

}  // namespace

void SelfTelemetry::counter(std::string_view name, double value, Labels labels) {
  points_.push_back(proto::make_point(name, value, "count", proto::METRIC_KIND_COUNTER, labels));
}

void SelfTelemetry::gauge(std::string_view name, double value, std::string_view unit, Labels labels) {
  points_.push_back(proto::make_point(name, value, unit, proto::METRIC_KIND_GAUGE, labels));
}

void SelfTelemetry::family(std::string_view name) { families_.emplace_back(name); }

std::string SelfTelemetry::json() const {
  std::map<std::string, double> sums;
  for (const auto& name : families_) sums[json_key(name)] = 0;
  for (const auto& p : points_) sums[json_key(p.name())] += p.value();
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [key, value] : sums) {
    // Counts stay integers in the JSON, as readers of a count expect.
    const bool whole = value >= 0 && value < 9e15 && std::floor(value) == value;
    j[key] = whole ? nlohmann::json(static_cast<std::uint64_t>(value)) : nlohmann::json(value);
  }
  return j.dump();
}

}  // namespace esper::nissa
