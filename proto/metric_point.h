// Building a MetricPoint in one expression, as producers, Nissa's own telemetry and tests do.
#ifndef ESPER_PROTO_METRIC_POINT_H_
#define ESPER_PROTO_METRIC_POINT_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "esper/telemetry.pb.h"

namespace esper::wire {

inline leyline::MetricPoint make_point(
    std::string_view name, double value, std::string_view unit,
    leyline::MetricKind kind = leyline::METRIC_KIND_GAUGE,
    std::initializer_list<std::pair<std::string, std::string>> attributes = {}) {
  leyline::MetricPoint p;
  p.set_name(std::string(name));
  p.set_value(value);
  p.set_unit(std::string(unit));
  p.set_kind(kind);
  for (const auto& [k, v] : attributes) (*p.mutable_attributes())[k] = v;
  return p;
}

}  // namespace esper::wire

#endif  // ESPER_PROTO_METRIC_POINT_H_
