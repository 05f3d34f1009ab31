// Renders Nissa's series in the Prometheus text exposition format (version 0.0.4).
//
// Naming follows Prometheus conventions: a dotted Esper name becomes `esper_` plus the name with
// every character outside [a-zA-Z0-9_] replaced by '_' (`kasmina.seed.alpha` ->
// `esper_kasmina_seed_alpha`); values are converted to base units with the unit as a name suffix
// (ms -> `_seconds`, GB -> `_bytes`, % -> `_percent`, ratio -> `_ratio`), a trailing unit already
// in the name (`hook_latency_ms`) being replaced rather than repeated; counters end in `_total`.
// The source is the `source` label and attributes are further labels. Gauges expose their last
// value, counters their last total, histograms a summary (p50/p90/p95/p99, _sum, _count).
#ifndef ESPER_NISSA_SERVE_PROMETHEUS_EXPOSITION_H_
#define ESPER_NISSA_SERVE_PROMETHEUS_EXPOSITION_H_

#include <string>
#include <string_view>

#include "nissa/store/metric_aggregator.h"

namespace esper::nissa {

// The exposition name and scale for a metric: value_in_base_units = value * scale.
struct PrometheusName {
  std::string name;
  double scale = 1;
};
PrometheusName prometheus_name(std::string_view dotted_name, std::string_view unit,
                               proto::MetricKind kind);

// A label name made valid ([a-zA-Z_][a-zA-Z0-9_]*).
std::string prometheus_label_name(std::string_view key);

// The whole exposition for every series in `aggregator`, grouped by metric family.
std::string render_prometheus(const MetricAggregator& aggregator);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_SERVE_PROMETHEUS_EXPOSITION_H_
