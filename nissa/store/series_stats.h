// Live statistics of one series since Nissa started (or since its last checkpoint): count, sum,
// min, max, last value and time, an EWMA, the mean and standard deviation of the last N values,
// and, for histogram series, an all-time quantile sketch.
#ifndef ESPER_NISSA_STORE_SERIES_STATS_H_
#define ESPER_NISSA_STORE_SERIES_STATS_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "nissa/store/quantile_sketch.h"

namespace esper::nissa {

struct SeriesStatsOptions {
  double ewma_alpha = 0.1;         // Weight of the newest value.
  std::uint32_t rolling_window = 60;  // Values in the rolling mean / stddev.
};

class SeriesStats {
 public:
  SeriesStats(const SeriesStatsOptions& options, bool with_sketch);

  void add(double value, std::int64_t time_ms);

  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  double min() const { return min_; }
  double max() const { return max_; }
  double last() const { return last_; }
  std::int64_t last_time_ms() const { return last_time_ms_; }
  double ewma() const { return ewma_; }
  double rolling_mean() const;
  double rolling_stddev() const;  // Sample standard deviation of the window; NaN below 2 values.
  const std::optional<QuantileSketch>& sketch() const { return sketch_; }

  // Everything add() has accumulated, for checkpoints; restore() puts it back.
  struct State {
    std::uint64_t count = 0;
    double sum = 0, min = 0, max = 0, last = 0, ewma = 0;
    std::int64_t last_time_ms = 0;
    std::vector<double> window;  // Oldest first.
  };
  State state() const;
  void restore(const State& state);
  std::optional<QuantileSketch>& mutable_sketch() { return sketch_; }

 private:
  std::uint32_t window_size_;
  double alpha_;
  std::uint64_t count_ = 0;
  double sum_ = 0;
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
  double last_ = std::numeric_limits<double>::quiet_NaN();
  std::int64_t last_time_ms_ = 0;
  double ewma_ = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> window_;  // Ring buffer, grows to window_size_.
  std::size_t window_next_ = 0;
  std::optional<QuantileSketch> sketch_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_STORE_SERIES_STATS_H_
