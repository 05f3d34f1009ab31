// One series as the exporters see it: a copy of what a scrape of /metrics would read, taken under
// the observer's lock and encoded after it is released, so ingest never waits on an encoder.
#ifndef ESPER_NISSA_EXPORT_SERIES_SAMPLE_H_
#define ESPER_NISSA_EXPORT_SERIES_SAMPLE_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "esper/telemetry.pb.h"
#include "nissa/store/metric_aggregator.h"
#include "nissa/store/prometheus_naming.h"

namespace esper::nissa {

struct SeriesSample {
  SeriesKey key;
  proto::MetricKind kind = proto::METRIC_KIND_GAUGE;
  std::string unit;
  double last = 0;             // A gauge's last value, a counter's last total.
  std::uint64_t count = 0;     // Points since Nissa started (or its checkpoint).
  double sum = 0;              // Their sum.
  std::int64_t last_time_ms = 0;
  bool has_quantiles = false;  // A histogram series with its sketch.
  std::array<double, kSummaryQuantiles.size()> quantiles{};  // In kSummaryQuantiles' order.
};

SeriesSample sample_series(const Series& series);
// The same into `out`, reusing its strings' storage (the collector refills one vector each interval).
void sample_series(const Series& series, SeriesSample& out);

// Samples the series numbered `begin` to `begin + max - 1` of `aggregator` (those that exist) into
// out[begin...], growing `out` as needed; returns how many, 0 past the last. The caller holds
// whatever lock guards `aggregator`: this is one slice of a collection (export_stage.h).
std::size_t sample_series_range(const MetricAggregator& aggregator, std::size_t begin, std::size_t max,
                                std::vector<SeriesSample>& out);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_EXPORT_SERIES_SAMPLE_H_
