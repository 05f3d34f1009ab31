#include "nissa/store/quantile_sketch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace esper::nissa {
namespace {

double exact_quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(q * static_cast<double>(values.size() - 1))];
}

TEST(QuantileSketchTest, QuantilesWithinRelativeAccuracy) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(3.0, 1.0);  // TTFT-like, in ms.
  QuantileSketch sketch(0.01);
  std::vector<double> values;
  for (int i = 0; i < 50'000; ++i) {
    const double v = latency(rng);
    values.push_back(v);
    sketch.add(v);
  }
  for (double q : {0.0, 0.5, 0.9, 0.95, 0.99, 1.0}) {
    const double exact = exact_quantile(values, q);
    EXPECT_NEAR(sketch.quantile(q), exact, exact * 0.01 + 1e-12) << "q=" << q;
  }
  EXPECT_EQ(sketch.count(), 50'000u);
}

TEST(QuantileSketchTest, HandlesNegativeAndZero) {
  QuantileSketch sketch;
  for (double v : {-10.0, -1.0, 0.0, 0.0, 1.0, 10.0, 100.0}) sketch.add(v);
  EXPECT_NEAR(sketch.quantile(0), -10, 0.1);
  EXPECT_EQ(sketch.quantile(0.5), 0);
  EXPECT_NEAR(sketch.quantile(1), 100, 1);
}

TEST(QuantileSketchTest, MergeEqualsSketchOfUnion) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.1, 500);
  QuantileSketch all, a, b;
  for (int i = 0; i < 10'000; ++i) {
    const double v = u(rng);
    all.add(v);
    (i % 3 == 0 ? a : b).add(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.positive_buckets(), all.positive_buckets());
  for (double q : {0.5, 0.95, 0.99}) EXPECT_EQ(a.quantile(q), all.quantile(q));
}

TEST(QuantileSketchTest, EmptyIsNanAndMismatchedAccuracyRefused) {
  QuantileSketch s;
  EXPECT_TRUE(std::isnan(s.quantile(0.5)));
  QuantileSketch coarse(0.05);
  EXPECT_THROW(s.merge(coarse), std::invalid_argument);
  EXPECT_THROW(QuantileSketch(0), std::invalid_argument);
}

}  // namespace
}  // namespace esper::nissa
