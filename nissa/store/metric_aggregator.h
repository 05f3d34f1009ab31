// Nissa's metric store: every point that arrives is added to its series' live statistics and to the
// series' time-bucketed rollups. A cardinality cap per metric name bounds memory: a point that would
// create one series too many for its name is refused and counted, never merged into another series.
//
// Single-threaded: the ingest loop owns it; readers (HTTP) take the lock the caller provides.
#ifndef ESPER_NISSA_STORE_METRIC_AGGREGATOR_H_
#define ESPER_NISSA_STORE_METRIC_AGGREGATOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>

#include "esper/envelope.pb.h"
#include "nissa/store/rollup_series.h"
#include "nissa/store/series_key.h"
#include "nissa/store/series_stats.h"

namespace esper::nissa {

struct AggregatorOptions {
  SeriesStatsOptions stats;
  RollupOptions rollups;
  std::uint32_t max_series_per_metric = 10'000;  // Cardinality cap per metric name.
};

struct Series {
  Series(SeriesKey k, proto::MetricKind kind_, std::string unit_, const AggregatorOptions& options);

  SeriesKey key;
  proto::MetricKind kind;
  std::string unit;
  SeriesStats stats;
  RollupSeries rollups;
  // What a per-point exporter (MLflow) derived once from this series' key, as an id of its own (0:
  // not yet), so that no point of the series repeats the work. Not checkpointed.
  std::uint64_t export_tag = 0;
};

class MetricAggregator {
 public:
  explicit MetricAggregator(AggregatorOptions options = {});

  enum class AddResult { kAdded, kRefusedCardinality };

  // Adds one point from `source`, filed under `time_ms` (the walk's time rule, envelope_walk.h);
  // *added_to, when given, is set to the series it went to (nullptr if refused).
  AddResult add(std::string_view source, const proto::MetricPoint& point, std::int64_t time_ms,
                Series** added_to = nullptr);

  // Adds every metric point an envelope carries (walk_envelope). Returns the number added.
  std::size_t ingest(const proto::Envelope& envelope);

  const Series* find(const SeriesKey& key) const;
  // Creates (or returns) a series for a checkpoint being restored; it counts toward the cap.
  Series& restore_series(SeriesKey key, proto::MetricKind kind, std::string unit);
  void for_each(const std::function<void(const Series&)>& visit) const;
  // The series created `index`-th (0 <= index < series_count()). Series are never removed and
  // their addresses never change, so a walk by index can pause (release the lock) and resume.
  const Series& series_at(std::size_t index) const { return *by_arrival_[index]; }

  std::size_t series_count() const { return series_.size(); }
  std::uint64_t points_total() const { return points_total_; }
  std::uint64_t refused_total() const { return refused_total_; }
  // Refused points by metric name.
  const std::map<std::string, std::uint64_t>& refused_by_metric() const { return refused_by_metric_; }
  const AggregatorOptions& options() const { return options_; }

 private:
  AggregatorOptions options_;
  std::unordered_map<SeriesKey, Series, SeriesKeyHash, SeriesKeyEqual> series_;
  std::vector<Series*> by_arrival_;  // Into series_ (its nodes are stable), in creation order.
  std::unordered_map<std::string, std::uint32_t> series_per_metric_;
  std::map<std::string, std::uint64_t> refused_by_metric_;
  std::uint64_t points_total_ = 0;
  std::uint64_t refused_total_ = 0;
  SeriesKeyView scratch_;  // Reused by add() so lookups do not allocate.
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_STORE_METRIC_AGGREGATOR_H_
