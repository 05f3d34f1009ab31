#include "nissa/store/quantile_sketch.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace esper::nissa {

QuantileSketch::QuantileSketch(double relative_accuracy)
    : alpha_(relative_accuracy),
      gamma_((1 + relative_accuracy) / (1 - relative_accuracy)),
      log_gamma_(std::log(gamma_)) {
  if (!(relative_accuracy > 0 && relative_accuracy < 1)) {
    throw std::invalid_argument("QuantileSketch: relative accuracy must be in (0, 1)");
  }
}

std::int32_t QuantileSketch::index_of(double magnitude) const {
  return static_cast<std::int32_t>(std::ceil(std::log(magnitude) / log_gamma_));
}

double QuantileSketch::value_of(std::int32_t index) const {
  return 2 * std::pow(gamma_, index) / (gamma_ + 1);
}

void QuantileSketch::add(double value, std::uint64_t count) {
  if (count == 0 || std::isnan(value)) return;
  const double magnitude = std::min(std::fabs(value), std::numeric_limits<double>::max());
  if (magnitude < kMinIndexable) {
    zero_ += count;
  } else {
    (value > 0 ? positive_ : negative_)[index_of(magnitude)] += count;
  }
  count_ += count;
}

void QuantileSketch::add_bucket(bool negative, std::int32_t index, std::uint64_t count) {
  (negative ? negative_ : positive_)[index] += count;
  count_ += count;
}

void QuantileSketch::merge(const QuantileSketch& other) {
  if (other.alpha_ != alpha_) {
    throw std::invalid_argument("QuantileSketch: cannot merge sketches of different accuracy");
  }
  for (const auto& [i, n] : other.positive_) positive_[i] += n;
  for (const auto& [i, n] : other.negative_) negative_[i] += n;
  zero_ += other.zero_;
  count_ += other.count_;
}

double QuantileSketch::quantile(double q) const {
  if (count_ == 0 || q < 0 || q > 1) return std::numeric_limits<double>::quiet_NaN();
  // The rank of the q-quantile among the sorted values (lower interpolation).
  const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1));
  std::uint64_t seen = 0;
  // Ascending order of value: most negative first (largest negative index), zero, then positive.
  for (auto it = negative_.rbegin(); it != negative_.rend(); ++it) {
    seen += it->second;
    if (seen > rank) return -value_of(it->first);
  }
  seen += zero_;
  if (seen > rank) return 0;
  for (const auto& [i, n] : positive_) {
    seen += n;
    if (seen > rank) return value_of(i);
  }
  return value_of(positive_.rbegin()->first);  // Unreachable: counts add up to count_.
}

}  // namespace esper::nissa
