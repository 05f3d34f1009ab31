// The derived statistics producers compute before recording (docs/reference/training-system.md: loss_ewma,
// loss_volatility as a rolling std, loss_delta, grad_norm_ewma, grad_var; docs/reference/inference-server.md: decode_ms_ewma).
#ifndef ESPER_PRODUCERS_DERIVED_STATS_H_
#define ESPER_PRODUCERS_DERIVED_STATS_H_

#include <cmath>
#include <cstddef>
#include <optional>
#include <vector>

namespace esper::producers {

// Exponentially weighted moving average; the first value seeds it.
class Ewma {
 public:
  explicit Ewma(double alpha) : alpha_(alpha) {}
  double add(double value) {
    value_ = value_ ? alpha_ * value + (1 - alpha_) * *value_ : value;
    return *value_;
  }
  std::optional<double> value() const { return value_; }

 private:
  double alpha_;
  std::optional<double> value_;
};

// Mean, sample variance and standard deviation of the last `window` values.
class RollingStats {
 public:
  explicit RollingStats(std::size_t window) : window_(window == 0 ? 1 : window) {}
  void add(double value) {
    if (values_.size() < window_) {
      values_.push_back(value);
    } else {
      values_[next_] = value;
      next_ = (next_ + 1) % window_;
    }
  }
  std::size_t size() const { return values_.size(); }
  double mean() const {
    if (values_.empty()) return std::nan("");
    double s = 0;
    for (double v : values_) s += v;
    return s / static_cast<double>(values_.size());
  }
  double variance() const {  // NaN below two values.
    if (values_.size() < 2) return std::nan("");
    const double m = mean();
    double ss = 0;
    for (double v : values_) ss += (v - m) * (v - m);
    return ss / static_cast<double>(values_.size() - 1);
  }
  double stddev() const { return std::sqrt(variance()); }

 private:
  std::size_t window_;
  std::vector<double> values_;
  std::size_t next_ = 0;
};

// The change from the previous value; nullopt for the first.
class Delta {
 public:
  std::optional<double> add(double value) {
    std::optional<double> d;
    if (previous_) d = value - *previous_;
    previous_ = value;
    return d;
  }

 private:
  std::optional<double> previous_;
};

}  // namespace esper::producers

#endif  // ESPER_PRODUCERS_DERIVED_STATS_H_
