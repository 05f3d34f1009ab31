#include "producers/rl_trainer/category_metrics.h"

#include <algorithm>
#include <cmath>

#include "proto/metric_point.h"

namespace esper::producers::rl {
namespace {

bool is_reserved(std::string_view name) { return name == "category" || name == "message" || name == "telemetry"; }

const double* numeric(const Field& f) { return std::get_if<double>(&f.value); }

}  // namespace

std::vector<proto::MetricPoint> CategoryMetricsFormatter::format(const CategoryEvent& event) {
  ++stats_.events;
  std::optional<double> step;
  for (std::string_view name : kStepFields) {
    auto it = std::find_if(event.fields.begin(), event.fields.end(),
                           [&](const Field& f) { return f.name == name && numeric(f) && std::isfinite(*numeric(f)); });
    if (it != event.fields.end()) {
      step = *numeric(*it);
      break;
    }
  }
  if (!step || *step < 0) {
    ++stats_.skipped_without_step;
    log_.log(spdlog::level::warn, "no_step",
             "skipping " + std::string(category_prefix(event.category)) + " event '" + event.message +
                 "': no step field (timesteps, policy_version, step, global_step, update)");
    return {};
  }

  const std::string_view prefix = category_prefix(event.category);
  std::vector<proto::MetricPoint> points;
  for (const Field& f : event.fields) {
    if (is_reserved(f.name) || !numeric(f)) continue;
    if (!std::isfinite(*numeric(f))) {
      ++stats_.rejected_non_finite;
      log_.log(spdlog::level::warn, "non_finite:" + f.name,
               "rejecting non-finite value of " + std::string(prefix) + f.name);
      continue;
    }
    proto::MetricPoint p = proto::make_point(std::string(prefix) + f.name, *numeric(f), f.unit);
    p.set_step(static_cast<std::uint64_t>(*step));
    for (const Field& a : event.fields) {
      if (const auto* text = std::get_if<std::string>(&a.value); text && !is_reserved(a.name)) {
        (*p.mutable_attributes())[a.name] = *text;
      }
    }
    points.push_back(std::move(p));
  }
  stats_.points += points.size();
  return points;
}

}  // namespace esper::producers::rl
