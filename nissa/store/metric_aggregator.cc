#include "nissa/store/metric_aggregator.h"

#include <cmath>

#include "nissa/store/envelope_walk.h"

namespace esper::nissa {

Series::Series(SeriesKey k, proto::MetricKind kind_, std::string unit_,
               const AggregatorOptions& options)
    : key(std::move(k)),
      kind(kind_),
      unit(std::move(unit_)),
      stats(options.stats, kind_ == proto::METRIC_KIND_HISTOGRAM),
      rollups(options.rollups, kind_ == proto::METRIC_KIND_HISTOGRAM) {}

MetricAggregator::MetricAggregator(AggregatorOptions options) : options_(std::move(options)) {}

MetricAggregator::AddResult MetricAggregator::add(std::string_view source,
                                                  const proto::MetricPoint& point,
                                                  std::int64_t time_ms, Series** added_to) {
  if (added_to != nullptr) *added_to = nullptr;
  SeriesKeyView::from(source, point.name(), point.attributes(), scratch_);
  auto it = series_.find(scratch_);
  if (it == series_.end()) {
    std::uint32_t& count = series_per_metric_[point.name()];
    if (count >= options_.max_series_per_metric) {
      ++refused_total_;
      ++refused_by_metric_[point.name()];
      return AddResult::kRefusedCardinality;
    }
    ++count;
    SeriesKey key = scratch_.to_key();
    it = series_.try_emplace(key, key, point.kind(), point.unit(), options_).first;
    by_arrival_.push_back(&it->second);
  }
  Series& series = it->second;
  const double value = point.value();
  double increase = 0;
  if (series.kind == proto::METRIC_KIND_COUNTER && series.stats.count() > 0) {
    const double previous = series.stats.last();
    increase = value >= previous ? value - previous : value;  // A drop means the counter reset.
  }
  series.stats.add(value, time_ms);
  series.rollups.add(time_ms, value, increase);
  ++points_total_;
  if (added_to != nullptr) *added_to = &series;
  return AddResult::kAdded;
}

std::size_t MetricAggregator::ingest(const proto::Envelope& envelope) {
  std::size_t added = 0;
  walk_envelope(
      envelope,
      [&](const proto::MetricPoint& p, std::int64_t time_ms) {
        if (add(envelope.source(), p, time_ms) == AddResult::kAdded) ++added;
      },
      [](const proto::TelemetryEvent&, std::int64_t) {});
  return added;
}

const Series* MetricAggregator::find(const SeriesKey& key) const {
  auto it = series_.find(key);
  return it == series_.end() ? nullptr : &it->second;
}

Series& MetricAggregator::restore_series(SeriesKey key, proto::MetricKind kind, std::string unit) {
  auto it = series_.find(key);
  if (it != series_.end()) return it->second;
  ++series_per_metric_[key.name];
  SeriesKey copy = key;
  Series& series =
      series_.try_emplace(std::move(copy), std::move(key), kind, std::move(unit), options_).first->second;
  by_arrival_.push_back(&series);
  return series;
}

void MetricAggregator::for_each(const std::function<void(const Series&)>& visit) const {
  for (const auto& [key, series] : series_) visit(series);
}

}  // namespace esper::nissa
