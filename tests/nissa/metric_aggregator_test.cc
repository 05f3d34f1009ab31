#include "nissa/store/metric_aggregator.h"

#include <gtest/gtest.h>

#include <cmath>

#include "proto/envelope_codec.h"

namespace esper::nissa {
namespace {

proto::MetricPoint point(const std::string& name, double value,
                           std::initializer_list<std::pair<std::string, std::string>> attrs = {},
                           proto::MetricKind kind = proto::METRIC_KIND_GAUGE) {
  proto::MetricPoint p;
  p.set_name(name);
  p.set_value(value);
  p.set_unit("ms");
  p.set_kind(kind);
  for (const auto& [k, v] : attrs) (*p.mutable_attributes())[k] = v;
  return p;
}

TEST(MetricAggregatorTest, SeriesIdentityIgnoresAttributeOrder) {
  MetricAggregator agg;
  proto::MetricPoint a = point("kasmina.seed.alpha", 0.1, {{"seed_id", "s1"}, {"layer", "3"}});
  proto::MetricPoint b = point("kasmina.seed.alpha", 0.2, {{"layer", "3"}, {"seed_id", "s1"}});
  agg.add("kasmina", a, 1000);
  agg.add("kasmina", b, 2000);
  agg.add("kasmina", point("kasmina.seed.alpha", 0.3, {{"seed_id", "s2"}}), 3000);
  agg.add("other", b, 3000);
  EXPECT_EQ(agg.series_count(), 3u);
  const Series* s = agg.find(SeriesKey::from("kasmina", "kasmina.seed.alpha", a.attributes()));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->stats.count(), 2u);
  EXPECT_DOUBLE_EQ(s->stats.last(), 0.2);
  EXPECT_EQ(s->stats.last_time_ms(), 2000);
  EXPECT_EQ(s->key.to_string(), "kasmina/kasmina.seed.alpha{layer=3,seed_id=s1}");
}

TEST(MetricAggregatorTest, LiveStatistics) {
  AggregatorOptions options;
  options.stats.ewma_alpha = 0.5;
  options.stats.rolling_window = 3;
  MetricAggregator agg(options);
  for (double v : {1.0, 2.0, 3.0, 4.0, 5.0}) agg.add("tolaria", point("loss", v), 1000);
  const Series* s = agg.find(SeriesKey{"tolaria", "loss", {}});
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->stats.count(), 5u);
  EXPECT_DOUBLE_EQ(s->stats.sum(), 15);
  EXPECT_DOUBLE_EQ(s->stats.min(), 1);
  EXPECT_DOUBLE_EQ(s->stats.max(), 5);
  EXPECT_DOUBLE_EQ(s->stats.ewma(), 4.0625);  // 1, 1.5, 2.25, 3.125, 4.0625
  EXPECT_DOUBLE_EQ(s->stats.rolling_mean(), 4);  // Last three: 3, 4, 5.
  EXPECT_DOUBLE_EQ(s->stats.rolling_stddev(), 1);
  EXPECT_FALSE(s->stats.sketch().has_value()) << "gauges carry no sketch";
}

TEST(MetricAggregatorTest, HistogramSeriesHaveQuantiles) {
  MetricAggregator agg;
  for (int i = 1; i <= 100; ++i) {
    agg.add("uma-serve", point("ttft_ms", i, {}, proto::METRIC_KIND_HISTOGRAM), 1000);
  }
  const Series* s = agg.find(SeriesKey{"uma-serve", "ttft_ms", {}});
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->stats.sketch().has_value());
  EXPECT_NEAR(s->stats.sketch()->quantile(0.95), 95, 95 * 0.01);
}

TEST(MetricAggregatorTest, CardinalityCapRefusesAndCountsNeverMerges) {
  AggregatorOptions options;
  options.max_series_per_metric = 10;
  MetricAggregator agg(options);
  for (int i = 0; i < 25; ++i) {
    agg.add("kasmina", point("kasmina.seed.alpha", i, {{"seed_id", std::to_string(i)}}), 1000);
  }
  agg.add("kasmina", point("kasmina.seed.stage", 1, {{"seed_id", "x"}}), 1000);
  EXPECT_EQ(agg.series_count(), 11u) << "10 alpha series + 1 stage series";
  EXPECT_EQ(agg.refused_total(), 15u);
  EXPECT_EQ(agg.refused_by_metric().at("kasmina.seed.alpha"), 15u);
  // An existing series still takes points at the cap.
  EXPECT_EQ(agg.add("kasmina", point("kasmina.seed.alpha", 9, {{"seed_id", "3"}}), 2000),
            MetricAggregator::AddResult::kAdded);
  // Refused points were not merged anywhere.
  std::uint64_t points = 0;
  agg.for_each([&](const Series& s) { points += s.stats.count(); });
  EXPECT_EQ(points, 12u);
}

TEST(MetricAggregatorTest, CounterIncreaseHandlesResets) {
  MetricAggregator agg;
  for (double v : {100.0, 150.0, 20.0, 50.0}) {
    agg.add("uma-serve", point("tokens_generated_total", v, {}, proto::METRIC_KIND_COUNTER), 60'000);
  }
  const Series* s = agg.find(SeriesKey{"uma-serve", "tokens_generated_total", {}});
  ASSERT_NE(s, nullptr);
  EXPECT_DOUBLE_EQ(s->rollups.window(0, 120'000).increase, 50 + 20 + 30);
}

TEST(MetricAggregatorTest, IngestsTelemetryAndSystemStateEnvelopes) {
  MetricAggregator agg;
  auto telemetry = proto::make_envelope("tamiyo", "h:1", 1, proto::SEVERITY_INFO);
  *telemetry.mutable_telemetry()->add_metrics() = point("tamiyo.gnn.feature_coverage", 0.9);
  *telemetry.mutable_telemetry()->add_metrics() = point("tamiyo.gnn.compile_enabled", 1);
  EXPECT_EQ(agg.ingest(telemetry), 2u);
  auto state = proto::make_envelope("tolaria", "h:1", 2, proto::SEVERITY_INFO);
  *state.mutable_system_state()->add_training_metrics() = point("loss", 0.7);
  *state.mutable_system_state()->add_seed_states()->add_metrics() =
      point("kasmina.seed.alpha", 0.5, {{"seed_id", "s1"}});
  EXPECT_EQ(agg.ingest(state), 2u);
  EXPECT_EQ(agg.series_count(), 4u);
  EXPECT_EQ(agg.points_total(), 4u);
}

}  // namespace
}  // namespace esper::nissa
