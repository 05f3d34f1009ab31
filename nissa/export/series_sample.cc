#include "nissa/export/series_sample.h"

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

}  // namespace esper::nissa
