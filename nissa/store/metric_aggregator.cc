#include "nissa/store/metric_aggregator.h"

#include <cmath>

namespace esper::nissa {
namespace {

std::int64_t ns_to_ms(std::uint64_t ns) { return static_cast<std::int64_t>(ns / 1'000'000); }

}  // namespace

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
                                                  std::int64_t default_time_ms) {
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
  const std::int64_t time_ms =
      point.timestamp_unix_ns() != 0 ? ns_to_ms(point.timestamp_unix_ns()) : default_time_ms;
  const double value = point.value();
  double increase = 0;
  if (series.kind == proto::METRIC_KIND_COUNTER && series.stats.count() > 0) {
    const double previous = series.stats.last();
    increase = value >= previous ? value - previous : value;  // A drop means the counter reset.
  }
  series.stats.add(value, time_ms);
  series.rollups.add(time_ms, value, increase);
  ++points_total_;
  return AddResult::kAdded;
}

std::size_t MetricAggregator::ingest(const proto::Envelope& envelope) {
  std::size_t added = 0;
  const std::int64_t sent_ms = ns_to_ms(envelope.sent_unix_ns());
  auto add_all = [&](const auto& points, std::int64_t default_ms) {
    for (const auto& p : points) {
      if (add(envelope.source(), p, default_ms) == AddResult::kAdded) ++added;
    }
  };
  if (envelope.has_telemetry()) {
    const auto& packet = envelope.telemetry();
    add_all(packet.metrics(),
            packet.timestamp_unix_ns() != 0 ? ns_to_ms(packet.timestamp_unix_ns()) : sent_ms);
  } else if (envelope.has_system_state()) {
    const auto& state = envelope.system_state();
    const std::int64_t t =
        state.timestamp_unix_ns() != 0 ? ns_to_ms(state.timestamp_unix_ns()) : sent_ms;
    add_all(state.training_metrics(), t);
    for (const auto& seed : state.seed_states()) add_all(seed.metrics(), t);
  }
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
