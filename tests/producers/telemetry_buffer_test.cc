#include "producers/telemetry_buffer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "producers/derived_stats.h"
#include "proto/metric_point.h"

namespace esper::producers {
namespace {

class RecordingSink : public EnvelopeSink {
 public:
  bool publish(proto::Envelope envelope) override {
    if (refuse) return false;
    envelopes.push_back(std::move(envelope));
    return true;
  }
  std::vector<proto::Envelope> envelopes;
  bool refuse = false;
};

proto::TelemetryEvent event(const std::string& name, proto::Severity level) {
  proto::TelemetryEvent e;
  e.set_description(name);
  e.set_level(level);
  return e;
}

TEST(TelemetryBufferTest, DrainBatchesEverythingIntoPackets) {
  RecordingSink sink;
  TelemetryBuffer buffer({.source = "tolaria", .max_points_per_packet = 100}, sink);
  for (int i = 0; i < 250; ++i) EXPECT_TRUE(buffer.record(proto::make_point("loss", i, "loss")));
  buffer.record(event("field_report_retry", proto::SEVERITY_WARNING));
  const DrainResult r = buffer.drain();
  EXPECT_EQ(r.packets, 3u);
  EXPECT_EQ(r.points, 250u);
  EXPECT_EQ(r.events, 1u);
  EXPECT_EQ(r.dropped, 0u);
  EXPECT_EQ(r.depth, 0u);
  ASSERT_EQ(sink.envelopes.size(), 3u);
  EXPECT_EQ(sink.envelopes[0].telemetry().source_subsystem(), "tolaria");
  EXPECT_EQ(sink.envelopes[0].telemetry().metrics(0).value(), 0);
  EXPECT_EQ(sink.envelopes[2].telemetry().metrics(49).value(), 249) << "order is kept";
  EXPECT_EQ(sink.envelopes[0].severity(), proto::SEVERITY_WARNING) << "packet carries its worst event";
  EXPECT_GT(sink.envelopes[0].telemetry().metrics(0).timestamp_unix_ns(), 0u) << "record() stamps time";
  EXPECT_EQ(buffer.drain().packets, 0u) << "nothing is sent twice";
}

TEST(TelemetryBufferTest, FullBufferDropsOldestPointsFirstAndCounts) {
  RecordingSink sink;
  TelemetryBuffer buffer({.source = "kasmina", .capacity = 10}, sink);
  buffer.record(event("seed_germinated", proto::SEVERITY_INFO));
  for (int i = 0; i < 20; ++i) buffer.record(proto::make_point("kasmina.seed.alpha", i, "ratio"));
  EXPECT_EQ(buffer.depth(), 10u);
  EXPECT_EQ(buffer.dropped_total(), 11u);
  const DrainResult r = buffer.drain();
  EXPECT_EQ(r.dropped, 11u);
  EXPECT_EQ(r.events, 1u) << "the event outlives older points";
  EXPECT_EQ(r.points, 9u);
  EXPECT_EQ(sink.envelopes[0].telemetry().metrics(0).value(), 11) << "the oldest points went first";
  EXPECT_EQ(buffer.drain().dropped, 0u) << "drops are reported once per drain";
}

TEST(TelemetryBufferTest, HighAndCriticalEventsBypassTheBuffer) {
  RecordingSink sink;
  TelemetryBuffer buffer({.source = "tamiyo", .capacity = 1}, sink);
  buffer.record(proto::make_point("tamiyo.gnn.feature_coverage", 0.4, "ratio"));
  EXPECT_TRUE(buffer.record(event("degraded_inputs", proto::SEVERITY_CRITICAL)));
  ASSERT_EQ(sink.envelopes.size(), 1u) << "sent at once, before any drain";
  EXPECT_EQ(sink.envelopes[0].severity(), proto::SEVERITY_CRITICAL);
  EXPECT_EQ(sink.envelopes[0].event().description(), "degraded_inputs");
  EXPECT_EQ(buffer.depth(), 1u) << "and it took no room in the buffer";
  EXPECT_EQ(buffer.dropped_total(), 0u);
  sink.refuse = true;
  EXPECT_FALSE(buffer.record(event("degraded_inputs", proto::SEVERITY_HIGH)));
  EXPECT_EQ(buffer.unsent_emergency(), 1u);
}

TEST(TelemetryBufferTest, GatedMetricsAreSuppressedWhenTheGateIsOff) {
  RecordingSink sink;
  TelemetryBuffer buffer({.source = "tolaria", .gated_enabled = false}, sink);
  EXPECT_FALSE(buffer.record(proto::make_point("loss_ewma", 1, "loss")));
  EXPECT_FALSE(buffer.record(proto::make_point("gpu_util_percent", 50, "%")));
  EXPECT_TRUE(buffer.record(proto::make_point("loss", 1, "loss")));
  EXPECT_TRUE(buffer.record(proto::make_point("hook_latency_ms", 2, "ms")));
  EXPECT_EQ(buffer.suppressed_total(), 2u);
  EXPECT_EQ(buffer.drain().points, 2u);
  EXPECT_EQ(reference_gated_metrics().size(), 15u) << "the gated set of docs/reference/training-system.md";
}

TEST(TelemetryBufferTest, RefusedPacketsGoBackIntoTheBuffer) {
  RecordingSink sink;
  TelemetryBuffer buffer({.source = "tolaria", .max_points_per_packet = 2}, sink);
  for (int i = 0; i < 5; ++i) buffer.record(proto::make_point("loss", i, "loss"));
  sink.refuse = true;
  const DrainResult refused = buffer.drain();
  EXPECT_EQ(refused.packets, 0u);
  EXPECT_EQ(refused.depth, 5u);
  buffer.record(proto::make_point("loss", 5, "loss"));
  sink.refuse = false;
  EXPECT_EQ(buffer.drain().points, 6u);
  std::vector<double> values;
  for (const auto& e : sink.envelopes) {
    for (const auto& p : e.telemetry().metrics()) values.push_back(p.value());
  }
  EXPECT_EQ(values, (std::vector<double>{0, 1, 2, 3, 4, 5})) << "order kept across the refusal";
}

TEST(TelemetryBufferTest, ConcurrentRecordersLoseNothingBelowCapacity) {
  RecordingSink sink;
  TelemetryBuffer buffer({.source = "uma-serve", .capacity = 1'000'000}, sink);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) buffer.record(proto::make_point("ttft_ms", i, "ms"));
    });
  }
  std::uint64_t drained = 0;
  for (int i = 0; i < 20; ++i) drained += buffer.drain().points;
  for (auto& t : threads) t.join();
  drained += buffer.drain().points;
  EXPECT_EQ(drained, 40'000u);
  EXPECT_EQ(buffer.dropped_total(), 0u);
}

TEST(TelemetryBufferTest, ABatchOfPointsWakesTheDrainerOncePerBatch) {
  RecordingSink sink;
  int wakeups = 0;
  TelemetryBuffer buffer({.source = "uma-serve", .drain_batch_points = 10, .drain_batch_bytes = 0}, sink,
                         [&] { ++wakeups; });
  for (int i = 0; i < 9; ++i) buffer.record(proto::make_point("ttft_ms", i, "ms"));
  EXPECT_EQ(wakeups, 0) << "woken before a batch was buffered";
  EXPECT_FALSE(buffer.batch_ready());
  buffer.record(event("session_started", proto::SEVERITY_INFO));  // Events count towards the batch.
  EXPECT_EQ(wakeups, 1) << "the 10th item did not wake the drainer";
  EXPECT_TRUE(buffer.batch_ready());
  for (int i = 0; i < 25; ++i) buffer.record(proto::make_point("ttft_ms", i, "ms"));
  EXPECT_EQ(wakeups, 1) << "woken again before the drainer started";
  EXPECT_EQ(buffer.drain().points, 34u);
  EXPECT_TRUE(sink.envelopes.size() > 0);
  for (int i = 0; i < 10; ++i) buffer.record(proto::make_point("ttft_ms", i, "ms"));
  EXPECT_EQ(wakeups, 2) << "the next batch after a drain did not wake the drainer";
}

TEST(TelemetryBufferTest, ABatchOfBytesWakesTheDrainerBeforeTheCount) {
  RecordingSink sink;
  int wakeups = 0;
  TelemetryBuffer buffer({.source = "uma-serve", .drain_batch_points = 1000, .drain_batch_bytes = 4096}, sink,
                         [&] { ++wakeups; });
  const std::string long_name(1000, 'x');
  int recorded = 0;
  while (wakeups == 0 && recorded < 1000) {
    buffer.record(proto::make_point(long_name, recorded, "ms"));
    ++recorded;
  }
  EXPECT_EQ(wakeups, 1);
  // About 1,000 bytes each: the fifth point makes 4 KiB, long before 1,000 points.
  EXPECT_GE(recorded, 4);
  EXPECT_LE(recorded, 5);
}

TEST(TelemetryBufferTest, AFullBufferIsABatchAndZeroTurnsTheTriggersOff) {
  RecordingSink sink;
  int wakeups = 0;
  TelemetryBuffer small({.source = "kasmina", .capacity = 5, .drain_batch_points = 1000}, sink, [&] { ++wakeups; });
  for (int i = 0; i < 5; ++i) small.record(proto::make_point("kasmina.seed.alpha", i, "ratio"));
  EXPECT_EQ(wakeups, 1) << "a buffer smaller than the batch filled up without waking the drainer";
  EXPECT_EQ(small.dropped_total(), 0u);

  int off_wakeups = 0;
  TelemetryBuffer off({.source = "kasmina", .capacity = 100, .drain_batch_points = 0, .drain_batch_bytes = 0}, sink,
                      [&] { ++off_wakeups; });
  for (int i = 0; i < 200; ++i) off.record(proto::make_point("kasmina.seed.alpha", i, "ratio"));
  EXPECT_EQ(off_wakeups, 0);
  EXPECT_EQ(off.dropped_total(), 100u) << "with no trigger the buffer waits for drain() and overflows";
}

TEST(TelemetryBufferTest, ViewsAreRecordedWithTheirAttributesAndStep) {
  RecordingSink sink;
  TelemetryBuffer buffer({.source = "tolaria"}, sink);
  const std::vector<proto::AttributeView> attributes = {{"seed_id", "s3"}, {"layer", "7"}};
  std::string name = "kasmina.seed.alpha";
  EXPECT_TRUE(buffer.record(proto::MetricPointView{
      .name = name, .value = 0.5, .unit = "ratio", .step = 42, .attributes = attributes}));
  name.assign("overwritten");  // The buffer keeps no reference to what it was given.
  ASSERT_EQ(buffer.drain().points, 1u);
  const auto& p = sink.envelopes.at(0).telemetry().metrics(0);
  EXPECT_EQ(p.name(), "kasmina.seed.alpha");
  EXPECT_EQ(p.value(), 0.5);
  EXPECT_EQ(p.unit(), "ratio");
  EXPECT_EQ(p.step(), 42u);
  EXPECT_EQ(p.attributes().at("seed_id"), "s3");
  EXPECT_EQ(p.attributes().at("layer"), "7");
  EXPECT_GT(p.timestamp_unix_ns(), 0u);
}

TEST(TelemetryBufferTest, PointsThatWouldSpoilTheirPacketAreRefusedAndCounted) {
  RecordingSink sink;
  TelemetryBuffer buffer({.source = "tolaria"}, sink);
  EXPECT_TRUE(buffer.record(proto::make_point("loss", 1, "loss")));
  EXPECT_FALSE(buffer.record(proto::make_point("loss\xff", 2, "loss"))) << "not UTF-8";
  EXPECT_FALSE(buffer.record(proto::make_point("loss", 3, "loss", proto::METRIC_KIND_GAUGE, {{"k", "\xc3"}})));
  EXPECT_FALSE(buffer.record(proto::make_point(std::string(TelemetryBuffer::kMaxPointBytes, 'x'), 4, "ms")))
      << "larger than a point may be";
  EXPECT_TRUE(buffer.record(proto::make_point("loss", 5, "loss")));
  EXPECT_EQ(buffer.invalid_total(), 3u);
  EXPECT_EQ(buffer.depth(), 2u);
  EXPECT_EQ(buffer.drain().points, 2u);
  ASSERT_EQ(sink.envelopes.size(), 1u) << "the packet of the valid points parsed";
  EXPECT_EQ(sink.envelopes[0].telemetry().metrics(1).value(), 5);
}

TEST(TelemetryBufferTest, DropsCrossPacketBoundariesOldestFirst) {
  RecordingSink sink;
  TelemetryBuffer buffer({.source = "kasmina", .capacity = 7, .max_points_per_packet = 3}, sink);
  for (int i = 0; i < 20; ++i) buffer.record(proto::make_point("kasmina.seed.alpha", i, "ratio"));
  EXPECT_EQ(buffer.dropped_total(), 13u);
  const DrainResult r = buffer.drain();
  EXPECT_EQ(r.points, 7u);
  EXPECT_EQ(r.packets, 3u);
  std::vector<double> values;
  for (const auto& e : sink.envelopes) {
    EXPECT_LE(e.telemetry().metrics_size(), 3);
    for (const auto& p : e.telemetry().metrics()) values.push_back(p.value());
  }
  EXPECT_EQ(values, (std::vector<double>{13, 14, 15, 16, 17, 18, 19}));
}

TEST(TelemetryBufferTest, WhatARefusalPutsBackStaysWithinCapacity) {
  RecordingSink sink;
  TelemetryBuffer buffer({.source = "tolaria", .capacity = 6, .max_points_per_packet = 2}, sink);
  for (int i = 0; i < 6; ++i) buffer.record(proto::make_point("loss", i, "loss"));
  sink.refuse = true;
  EXPECT_EQ(buffer.drain().depth, 6u);
  for (int i = 6; i < 9; ++i) buffer.record(proto::make_point("loss", i, "loss"));
  EXPECT_EQ(buffer.depth(), 6u);
  EXPECT_EQ(buffer.dropped_total(), 3u);
  sink.refuse = false;
  EXPECT_EQ(buffer.drain().points, 6u);
  std::vector<double> values;
  for (const auto& e : sink.envelopes) {
    for (const auto& p : e.telemetry().metrics()) values.push_back(p.value());
  }
  EXPECT_EQ(values, (std::vector<double>{3, 4, 5, 6, 7, 8}));
}

TEST(TelemetryBufferTest, LargePointsSplitPacketsByBytes) {
  RecordingSink sink;
  TelemetryBuffer buffer({.source = "tolaria", .max_points_per_packet = 500, .max_packet_bytes = 10'000}, sink);
  const std::string long_name(3000, 'x');
  for (int i = 0; i < 10; ++i) buffer.record(proto::make_point(long_name, i, "ms"));
  const DrainResult r = buffer.drain();
  EXPECT_EQ(r.points, 10u);
  EXPECT_GE(r.packets, 3u);
  for (const auto& e : sink.envelopes) EXPECT_LT(e.telemetry().ByteSizeLong(), 20'000u);
}

TEST(DerivedStatsTest, EwmaRollingStatsAndDelta) {
  Ewma ewma(0.5);
  EXPECT_DOUBLE_EQ(ewma.add(1), 1);
  EXPECT_DOUBLE_EQ(ewma.add(3), 2);
  EXPECT_DOUBLE_EQ(ewma.add(6), 4);
  RollingStats rolling(3);
  EXPECT_TRUE(std::isnan(rolling.variance()));
  for (double v : {100.0, 1.0, 2.0, 3.0}) rolling.add(v);
  EXPECT_DOUBLE_EQ(rolling.mean(), 2);
  EXPECT_DOUBLE_EQ(rolling.variance(), 1);
  EXPECT_DOUBLE_EQ(rolling.stddev(), 1);
  Delta delta;
  EXPECT_FALSE(delta.add(0.9).has_value());
  EXPECT_NEAR(*delta.add(0.7), -0.2, 1e-12);
}

}  // namespace
}  // namespace esper::producers
