#include "nissa/export/series_sample.h"

namespace esper::nissa {

SeriesSample sample_series(const Series& series) {
  SeriesSample s;
  s.key = series.key;
  s.kind = series.kind;
  s.unit = series.unit;
  s.last = series.stats.last();
  s.count = series.stats.count();
  s.sum = series.stats.sum();
  s.last_time_ms = series.stats.last_time_ms();
  if (series.kind == proto::METRIC_KIND_HISTOGRAM && series.stats.sketch()) {
    s.has_quantiles = true;
    for (std::size_t i = 0; i < kSummaryQuantiles.size(); ++i) {
      s.quantiles[i] = series.stats.sketch()->quantile(kSummaryQuantiles[i].first);
    }
  }
  return s;
}

}  // namespace esper::nissa
