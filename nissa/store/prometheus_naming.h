// How an Esper series is named in Prometheus, shared by everything that speaks Prometheus (the
// /metrics exposition and the remote-write exporter), so a series pushed to a remote store carries
// exactly the name and labels a scrape of /metrics would give it.
//
// A dotted Esper name becomes `esper_` plus the name with every character outside [a-zA-Z0-9_]
// replaced by '_' (`kasmina.seed.alpha` -> `esper_kasmina_seed_alpha`); values are converted to
// base units with the unit as a name suffix (ms -> `_seconds`, GB -> `_bytes`, % -> `_percent`,
// ratio -> `_ratio`), a trailing unit already in the name (`hook_latency_ms`) being replaced rather
// than repeated; counters end in `_total`. The source is the `source` label and attributes are
// further labels. Gauges carry their last value, counters their last total, histograms a summary
// (the quantiles below, `_sum`, `_count`).
#ifndef ESPER_NISSA_STORE_PROMETHEUS_NAMING_H_
#define ESPER_NISSA_STORE_PROMETHEUS_NAMING_H_

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "esper/telemetry.pb.h"
#include "nissa/store/series_key.h"

namespace esper::nissa {

// The name and scale for a metric: value_in_base_units = value * scale.
struct PrometheusName {
  std::string name;
  double scale = 1;
};
PrometheusName prometheus_name(std::string_view dotted_name, std::string_view unit,
                               proto::MetricKind kind);

// A label name made valid ([a-zA-Z_][a-zA-Z0-9_]*).
std::string prometheus_label_name(std::string_view key);

// A series' labels: `source` first, then its attributes under valid names, in the key's order. An
// attribute named `source` or `quantile` becomes `attr_source` / `attr_quantile` (both are taken).
std::vector<std::pair<std::string, std::string>> prometheus_labels(const SeriesKey& key);

// The quantiles a histogram series is summarised by, with their `quantile` label values.
inline constexpr std::array<std::pair<double, std::string_view>, 4> kSummaryQuantiles{
    {{0.5, "0.5"}, {0.9, "0.9"}, {0.95, "0.95"}, {0.99, "0.99"}}};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_STORE_PROMETHEUS_NAMING_H_
