#include "nissa/export/series_sample.h"

#include <algorithm>

namespace esper::nissa {

SeriesSample sample_series(const Series& series) {
  SeriesSample s;
  sample_series(series, s);
  return s;
}

void sample_series(const Series& series, SeriesSample& s) {
  s.key.source.assign(series.key.source);
  s.key.name.assign(series.key.name);
  s.key.attributes.resize(series.key.attributes.size());
  for (std::size_t i = 0; i < series.key.attributes.size(); ++i) {
    s.key.attributes[i].first.assign(series.key.attributes[i].first);
    s.key.attributes[i].second.assign(series.key.attributes[i].second);
  }
  s.kind = series.kind;
  s.unit.assign(series.unit);
  s.last = series.stats.last();
  s.count = series.stats.count();
  s.sum = series.stats.sum();
  s.last_time_ms = series.stats.last_time_ms();
  s.has_quantiles = false;
  if (series.kind == proto::METRIC_KIND_HISTOGRAM && series.stats.sketch()) {
    s.has_quantiles = true;
    for (std::size_t i = 0; i < kSummaryQuantiles.size(); ++i) {
      s.quantiles[i] = series.stats.sketch()->quantile(kSummaryQuantiles[i].first);
    }
  }
}

std::size_t sample_series_range(const MetricAggregator& aggregator, std::size_t begin, std::size_t max,
                                std::vector<SeriesSample>& out) {
  const std::size_t end = std::min(aggregator.series_count(), begin + max);
  if (end <= begin) return 0;
  if (out.size() < end) out.resize(end);
  for (std::size_t i = begin; i < end; ++i) sample_series(aggregator.series_at(i), out[i]);
  return end - begin;
}

}  // namespace esper::nissa
