#include "nissa/serve/metric_name_index.h"

#include <algorithm>
#include <cctype>

namespace esper::nissa {

std::vector<IndexedSeries> MetricNameIndex::unread_series(const MetricAggregator& metrics, std::size_t max) const {
  const std::size_t end = std::min(metrics.series_count(), series_read_ + max);
  std::vector<IndexedSeries> out;
  out.reserve(end > series_read_ ? end - series_read_ : 0);
  for (std::size_t i = series_read_; i < end; ++i) {
    const Series& s = metrics.series_at(i);
    out.push_back(IndexedSeries{s.key.name, s.key.source, s.unit, s.kind});
  }
  return out;
}

void MetricNameIndex::add(const std::vector<IndexedSeries>& series) {
  for (const IndexedSeries& s : series) {
    auto name = names_.find(s.metric);
    if (name == names_.end()) {
      std::string lowered = s.metric;
      std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      name = names_.emplace(s.metric, PerName{std::move(lowered), {}}).first;
    }
    auto [entry, added] = name->second.sources.try_emplace(s.source, PerSource{s.kind, s.unit, 0});
    ++entry->second.series;
    if (added) {
      ++pairs_;
      sources_.insert(s.source);
    }
  }
  series_read_ += series.size();
}

void MetricNameIndex::catch_up(const MetricAggregator& metrics) {
  while (series_read_ < metrics.series_count()) add(unread_series(metrics, 4096));
}

}  // namespace esper::nissa
