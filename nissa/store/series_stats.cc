#include "nissa/store/series_stats.h"

#include <algorithm>
#include <cmath>

namespace esper::nissa {

SeriesStats::SeriesStats(const SeriesStatsOptions& options, bool with_sketch)
    : window_size_(std::max<std::uint32_t>(1, options.rolling_window)), alpha_(options.ewma_alpha) {
  if (with_sketch) sketch_.emplace();
}

void SeriesStats::add(double value, std::int64_t time_ms) {
  ++count_;
  sum_ += value;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  last_ = value;
  last_time_ms_ = time_ms;
  ewma_ = count_ == 1 ? value : alpha_ * value + (1 - alpha_) * ewma_;
  if (window_.size() < window_size_) {
    window_.push_back(value);
  } else {
    window_[window_next_] = value;
    window_next_ = (window_next_ + 1) % window_size_;
  }
  if (sketch_) sketch_->add(value);
}

SeriesStats::State SeriesStats::state() const {
  State s{count_, sum_, min_, max_, last_, ewma_, last_time_ms_, {}};
  s.window.reserve(window_.size());
  // window_next_ is the oldest entry once the ring is full.
  for (std::size_t i = 0; i < window_.size(); ++i) {
    s.window.push_back(window_[(window_next_ + i) % window_.size()]);
  }
  return s;
}

void SeriesStats::restore(const State& s) {
  count_ = s.count;
  sum_ = s.sum;
  min_ = s.min;
  max_ = s.max;
  last_ = s.last;
  ewma_ = s.ewma;
  last_time_ms_ = s.last_time_ms;
  window_.clear();
  window_next_ = 0;
  for (double v : s.window) {
    if (window_.size() < window_size_) {
      window_.push_back(v);
    } else {
      window_[window_next_] = v;
      window_next_ = (window_next_ + 1) % window_size_;
    }
  }
}

double SeriesStats::rolling_mean() const {
  if (window_.empty()) return std::nan("");
  double s = 0;
  for (double v : window_) s += v;
  return s / static_cast<double>(window_.size());
}

double SeriesStats::rolling_stddev() const {
  if (window_.size() < 2) return std::nan("");
  const double mean = rolling_mean();
  double ss = 0;
  for (double v : window_) ss += (v - mean) * (v - mean);
  return std::sqrt(ss / static_cast<double>(window_.size() - 1));
}

}  // namespace esper::nissa
