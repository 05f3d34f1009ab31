#include "nissa/store/aggregates_checkpoint.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "wal/atomic_file.h"
#include "nissa/serve/prometheus_exposition.h"
#include "tests/support/temp_dir.h"

namespace esper::nissa {
namespace {

proto::MetricPoint point(const std::string& name, double v, proto::MetricKind kind,
                           const std::string& seed = "") {
  proto::MetricPoint p;
  p.set_name(name);
  p.set_value(v);
  p.set_unit("ms");
  p.set_kind(kind);
  if (!seed.empty()) (*p.mutable_attributes())["seed_id"] = seed;
  return p;
}

// Nissa captures its checkpoint a chunk of series at a time, ingesting in between: every series
// that existed at the start is in it, with its state as of its own chunk; series created between
// chunks wait for the next checkpoint.
TEST(AggregatesCheckpointTest, ACheckpointCapturedInChunksWithIngestBetweenRestoresEverySeries) {
  MetricAggregator before;
  const std::int64_t t = 1'700'000'000'000;
  for (int s = 0; s < 2500; ++s) {
    before.add("kasmina", point("kasmina.seed.alpha", s, proto::METRIC_KIND_GAUGE, "s" + std::to_string(s)), t);
  }
  AggregatesSnapshot snapshot;
  const std::size_t total = before.series_count();
  std::size_t done = 0;
  int late = 0;
  while (done < total) {
    const std::size_t end = std::min(total, done + 1000);
    snapshot.capture(before, done, end);
    done = end;
    // Ingest between chunks: a point for a captured series (not in this checkpoint) and a new series.
    before.add("kasmina", point("kasmina.seed.alpha", -1, proto::METRIC_KIND_GAUGE, "s0"), t + 1);
    before.add("kasmina", point("kasmina.seed.alpha", 7, proto::METRIC_KIND_GAUGE, "late" + std::to_string(late++)), t);
  }
  auto key = [](const std::string& seed) {
    return SeriesKey{"kasmina", "kasmina.seed.alpha", {{"seed_id", seed}}};
  };
  MetricAggregator after;
  EXPECT_EQ(restore_aggregates(after, snapshot.serialize()), 2500u);
  EXPECT_EQ(before.series_count(), 2500u + static_cast<std::size_t>(late));
  EXPECT_EQ(after.find(key("late0")), nullptr);
  const Series* s0 = after.find(key("s0"));
  ASSERT_NE(s0, nullptr);
  EXPECT_EQ(s0->stats.count(), 1u) << "s0 as of its chunk, before the later point";
  const Series* s2499 = after.find(key("s2499"));
  ASSERT_NE(s2499, nullptr);
  EXPECT_EQ(s2499->stats.last(), 2499);
}

TEST(AggregatesCheckpointTest, RestoreReproducesEveryStatisticAndRollup) {
  AggregatorOptions options;
  options.stats.rolling_window = 4;
  MetricAggregator before(options);
  for (int i = 0; i < 200; ++i) {
    const std::int64_t t = 1'700'000'000'000 + i * 7'000;
    before.add("uma-serve", point("ttft_ms", 10 + i % 37, proto::METRIC_KIND_HISTOGRAM), t);
    before.add("kasmina", point("kasmina.seed.alpha", i * 0.01, proto::METRIC_KIND_GAUGE, "s1"), t);
    before.add("uma-serve", point("tokens_generated_total", i * 3, proto::METRIC_KIND_COUNTER), t);
  }
  testing::TempDir dir;
  const auto path = dir / "aggregates.ckpt";
  ASSERT_TRUE(wal::write_file_atomically(path, serialize_aggregates(before)).ok());
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();

  MetricAggregator after(options);
  EXPECT_EQ(restore_aggregates(after, bytes.str()), 3u);
  EXPECT_EQ(after.series_count(), before.series_count());
  before.for_each([&](const Series& b) {
    const Series* a = after.find(b.key);
    ASSERT_NE(a, nullptr) << b.key.to_string();
    EXPECT_EQ(a->stats.count(), b.stats.count());
    EXPECT_EQ(a->stats.sum(), b.stats.sum());
    EXPECT_EQ(a->stats.ewma(), b.stats.ewma());
    EXPECT_EQ(a->stats.rolling_mean(), b.stats.rolling_mean());
    EXPECT_EQ(a->stats.last_time_ms(), b.stats.last_time_ms());
    ASSERT_EQ(a->rollups.buckets().size(), b.rollups.buckets().size());
    const RollupCell wa = a->rollups.window(0, INT64_MAX), wb = b.rollups.window(0, INT64_MAX);
    EXPECT_EQ(wa.count, wb.count);
    EXPECT_EQ(wa.sum_sq, wb.sum_sq);
    EXPECT_EQ(wa.increase, wb.increase);
    if (wb.sketch) {
      EXPECT_EQ(wa.quantile(0.95), wb.quantile(0.95));
    }
    EXPECT_EQ(wa.sketch.has_value(), wb.sketch.has_value());
  });
  EXPECT_EQ(render_prometheus(after), render_prometheus(before));
  // New points continue the restored statistics.
  after.add("uma-serve", point("tokens_generated_total", 600, proto::METRIC_KIND_COUNTER),
            1'700'000'000'000 + 200 * 7'000);
  const Series* c = after.find(SeriesKey{"uma-serve", "tokens_generated_total", {}});
  EXPECT_EQ(c->rollups.window(0, INT64_MAX).increase, 600);
}

TEST(AggregatesCheckpointTest, GarbageIsRefused) {
  MetricAggregator agg;
  EXPECT_THROW(restore_aggregates(agg, "\xff\xff not a checkpoint"), std::runtime_error);
}

}  // namespace
}  // namespace esper::nissa
