// Renders Nissa's series in the Prometheus text exposition format (version 0.0.4).
//
// Names and labels are those of nissa/store/prometheus_naming.h.
#ifndef ESPER_NISSA_SERVE_PROMETHEUS_EXPOSITION_H_
#define ESPER_NISSA_SERVE_PROMETHEUS_EXPOSITION_H_

#include <string>
#include <string_view>

#include "nissa/store/metric_aggregator.h"
#include "nissa/store/prometheus_naming.h"

namespace esper::nissa {

// The whole exposition for every series in `aggregator`, grouped by metric family.
std::string render_prometheus(const MetricAggregator& aggregator);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_SERVE_PROMETHEUS_EXPOSITION_H_
