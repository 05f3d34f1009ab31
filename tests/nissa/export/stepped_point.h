// A metric point with a step, as a training loop sends it: what the MLflow exporter takes.
#ifndef ESPER_TESTS_NISSA_EXPORT_STEPPED_POINT_H_
#define ESPER_TESTS_NISSA_EXPORT_STEPPED_POINT_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "proto/metric_point.h"

namespace esper::nissa::testing {

inline proto::MetricPoint at_step(std::string name, double value, std::uint64_t step,
                                  std::initializer_list<std::pair<std::string, std::string>> attributes = {}) {
  auto p = proto::make_point(name, value, "u", proto::METRIC_KIND_GAUGE, attributes);
  p.set_step(step);
  return p;
}

}  // namespace esper::nissa::testing

#endif  // ESPER_TESTS_NISSA_EXPORT_STEPPED_POINT_H_
