// The additive summary of a series' points over some time span: one rollup bucket, or the merge
// of any number of them. Only additive (or associative) fields are stored (count, sum, sum of
// squares, counter increase, min, max, sketch buckets), so a one-hour cell is exactly the merge of
// its sixty one-minute cells, and every ratio, mean, deviation or quantile is derived at read time.
#ifndef ESPER_NISSA_STORE_ROLLUP_CELL_H_
#define ESPER_NISSA_STORE_ROLLUP_CELL_H_

#include <cstdint>
#include <limits>
#include <optional>

#include "nissa/store/quantile_sketch.h"

namespace esper::nissa {

struct RollupCell {
  std::uint64_t count = 0;  // Points.
  double sum = 0;           // Sum of values.
  double sum_sq = 0;        // Sum of squared values.
  double increase = 0;      // Counter series: sum of increases between consecutive points (resets handled).
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  std::optional<QuantileSketch> sketch;  // Histogram series only.

  void add(double value);
  void merge(const RollupCell& other);

  // Derived at read time; NaN when there is nothing to derive from.
  double mean() const;
  double stddev() const;  // Population standard deviation.
  double quantile(double q) const;  // NaN without a sketch.
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_STORE_ROLLUP_CELL_H_
