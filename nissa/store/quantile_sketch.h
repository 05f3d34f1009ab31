// A mergeable quantile sketch with a relative-error guarantee (DDSketch, Masson, Rim and Lee,
// VLDB 2019). A value v > 0 is counted in bucket i = ceil(log_gamma(v)) with
// gamma = (1 + alpha) / (1 - alpha); every value in bucket i lies in (gamma^(i-1), gamma^i], and the
// bucket's representative 2 gamma^i / (gamma + 1) is within relative error alpha of each of them.
// So any quantile read from the sketch is within alpha (relative) of the true sample quantile.
//
// Buckets are plain counts, so two sketches with the same alpha merge by adding counts: a one-hour
// quantile is the quantile of the merged one-minute sketches, exactly as if computed in one go.
// Negative values mirror positive ones; values with |v| below kMinIndexable count as zero.
#ifndef ESPER_NISSA_STORE_QUANTILE_SKETCH_H_
#define ESPER_NISSA_STORE_QUANTILE_SKETCH_H_

#include <cstdint>
#include <map>

namespace esper::nissa {

class QuantileSketch {
 public:
  static constexpr double kDefaultRelativeAccuracy = 0.01;
  static constexpr double kMinIndexable = 1e-9;

  explicit QuantileSketch(double relative_accuracy = kDefaultRelativeAccuracy);

  void add(double value, std::uint64_t count = 1);
  // Adds `other`'s counts. Both must have the same relative accuracy (std::invalid_argument).
  void merge(const QuantileSketch& other);

  // The q-quantile (0 <= q <= 1) of everything added, within relative_accuracy(); NaN when empty.
  double quantile(double q) const;

  std::uint64_t count() const { return count_; }
  double relative_accuracy() const { return alpha_; }
  bool empty() const { return count_ == 0; }

  // Bucket counts by index, for checkpoints and tests. Negative values use negative_buckets().
  const std::map<std::int32_t, std::uint64_t>& positive_buckets() const { return positive_; }
  const std::map<std::int32_t, std::uint64_t>& negative_buckets() const { return negative_; }
  std::uint64_t zero_count() const { return zero_; }
  // Restores a bucket read from a checkpoint.
  void add_bucket(bool negative, std::int32_t index, std::uint64_t count);
  void add_zero(std::uint64_t count) { zero_ += count; count_ += count; }

 private:
  std::int32_t index_of(double magnitude) const;
  double value_of(std::int32_t index) const;

  double alpha_;
  double gamma_;
  double log_gamma_;
  std::map<std::int32_t, std::uint64_t> positive_;
  std::map<std::int32_t, std::uint64_t> negative_;
  std::uint64_t zero_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_STORE_QUANTILE_SKETCH_H_
