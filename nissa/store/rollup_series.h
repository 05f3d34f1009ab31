// Time-bucketed rollups of one series: a RollupCell per bucket (default one minute), oldest first,
// kept for a configured number of buckets. Buckets exist only for spans that received points, so an
// idle series costs nothing per minute.
#ifndef ESPER_NISSA_STORE_ROLLUP_SERIES_H_
#define ESPER_NISSA_STORE_ROLLUP_SERIES_H_

#include <cstdint>
#include <deque>
#include <utility>

#include "nissa/store/rollup_cell.h"

namespace esper::nissa {

struct RollupOptions {
  std::int64_t bucket_ms = 60'000;   // Width of one bucket.
  std::size_t retention_buckets = 24 * 60;  // Buckets kept per series (default: one day of minutes).
};

class RollupSeries {
 public:
  RollupSeries(const RollupOptions& options, bool with_sketch)
      : options_(&options), with_sketch_(with_sketch) {}

  // Adds a point observed at `time_ms` (ms since the Unix epoch). `increase` is the counter increase
  // this point represents (0 for gauges and histograms). Points older than the retained window are
  // ignored; a point for an older, retained bucket lands in that bucket.
  void add(std::int64_t time_ms, double value, double increase = 0);

  // The merge of every bucket whose start lies in [from_ms, to_ms).
  RollupCell window(std::int64_t from_ms, std::int64_t to_ms) const;

  // Buckets as (start ms, cell), oldest first.
  const std::deque<std::pair<std::int64_t, RollupCell>>& buckets() const { return buckets_; }
  // Restores a bucket from a checkpoint (appended in order).
  void restore(std::int64_t start_ms, RollupCell cell);

 private:
  RollupCell& bucket_for(std::int64_t start_ms);

  const RollupOptions* options_;
  bool with_sketch_;
  std::deque<std::pair<std::int64_t, RollupCell>> buckets_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_STORE_ROLLUP_SERIES_H_
