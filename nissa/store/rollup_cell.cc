#include "nissa/store/rollup_cell.h"

#include <algorithm>
#include <cmath>

namespace esper::nissa {

void RollupCell::add(double value) {
  ++count;
  sum += value;
  sum_sq += value * value;
  min = std::min(min, value);
  max = std::max(max, value);
  if (sketch) sketch->add(value);
}

void RollupCell::merge(const RollupCell& other) {
  count += other.count;
  sum += other.sum;
  sum_sq += other.sum_sq;
  increase += other.increase;
  min = std::min(min, other.min);
  max = std::max(max, other.max);
  if (other.sketch) {
    if (sketch) sketch->merge(*other.sketch);
    else sketch = other.sketch;
  }
}

double RollupCell::mean() const {
  return count == 0 ? std::nan("") : sum / static_cast<double>(count);
}

double RollupCell::stddev() const {
  if (count == 0) return std::nan("");
  const double n = static_cast<double>(count);
  // Sums of squares lose precision when the mean is large against the spread; clamp the tiny
  // negative results that cancellation can produce.
  const double variance = std::max(0.0, (sum_sq - sum * sum / n) / n);
  return std::sqrt(variance);
}

double RollupCell::quantile(double q) const {
  return sketch ? sketch->quantile(q) : std::nan("");
}

}  // namespace esper::nissa
