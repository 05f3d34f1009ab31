// The rollup merge property: values spread over 90 one-minute buckets give, over a one-hour
// window, the same count, sum, mean and stddev as computed directly from the values, and a p95
// within the sketch's stated relative error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "nissa/store/rollup_series.h"

namespace esper::nissa {
namespace {

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kStart = 1'700'000'000'000 / kMinute * kMinute;

TEST(RollupTest, HourWindowOverNinetyMinuteBucketsEqualsDirectComputation) {
  RollupOptions options;  // One-minute buckets.
  RollupSeries series(options, /*with_sketch=*/true);
  std::mt19937_64 rng(3);
  std::gamma_distribution<double> fps(9.0, 3.0);
  std::vector<double> in_hour;
  for (int minute = 0; minute < 90; ++minute) {
    for (int i = 0; i < 40 + minute % 7; ++i) {
      const double v = fps(rng);
      const std::int64_t t = kStart + minute * kMinute + (i * 997) % kMinute;
      series.add(t, v);
      if (minute >= 15 && minute < 75) in_hour.push_back(v);
    }
  }
  ASSERT_EQ(series.buckets().size(), 90u);

  const RollupCell hour = series.window(kStart + 15 * kMinute, kStart + 75 * kMinute);
  double sum = 0, sum_sq_dev = 0;
  for (double v : in_hour) sum += v;
  const double n = static_cast<double>(in_hour.size());
  const double mean = sum / n;
  for (double v : in_hour) sum_sq_dev += (v - mean) * (v - mean);
  const double stddev = std::sqrt(sum_sq_dev / n);

  EXPECT_EQ(hour.count, in_hour.size());
  EXPECT_NEAR(hour.sum, sum, 1e-9 * sum);
  EXPECT_NEAR(hour.mean(), mean, 1e-9 * mean);
  EXPECT_NEAR(hour.stddev(), stddev, 1e-6 * stddev);
  EXPECT_EQ(hour.min, *std::min_element(in_hour.begin(), in_hour.end()));
  EXPECT_EQ(hour.max, *std::max_element(in_hour.begin(), in_hour.end()));

  std::sort(in_hour.begin(), in_hour.end());
  const double p95 = in_hour[static_cast<std::size_t>(0.95 * (n - 1))];
  ASSERT_TRUE(hour.sketch.has_value());
  EXPECT_NEAR(hour.quantile(0.95), p95, p95 * hour.sketch->relative_accuracy());
}

TEST(RollupTest, RetentionDropsOldestBucketsAndIgnoresOlderPoints) {
  RollupOptions options{.bucket_ms = kMinute, .retention_buckets = 3};
  RollupSeries series(options, false);
  for (int minute = 0; minute < 5; ++minute) series.add(kStart + minute * kMinute, minute);
  ASSERT_EQ(series.buckets().size(), 3u);
  EXPECT_EQ(series.buckets().front().first, kStart + 2 * kMinute);
  series.add(kStart, 100);  // Older than anything retained.
  EXPECT_EQ(series.window(0, kStart + 10 * kMinute).count, 3u);
  series.add(kStart + 3 * kMinute + 5, 7);  // A late point for a retained bucket lands in it.
  EXPECT_EQ(series.window(kStart + 3 * kMinute, kStart + 4 * kMinute).count, 2u);
}

TEST(RollupTest, CounterIncreaseIsAdditive) {
  RollupOptions options;
  RollupSeries series(options, false);
  series.add(kStart, 10, 0);
  series.add(kStart + kMinute, 15, 5);
  series.add(kStart + 2 * kMinute, 20, 5);
  EXPECT_DOUBLE_EQ(series.window(kStart, kStart + 3 * kMinute).increase, 10);
}

}  // namespace
}  // namespace esper::nissa
