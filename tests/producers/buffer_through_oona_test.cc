// The telemetry buffer publishing through the real bus client and a real oona: drained points all
// arrive once, and a CRITICAL event arrives on the emergency socket without waiting for a drain.
#include <gtest/gtest.h>

#include "producers/bus_envelope_sink.h"
#include "proto/metric_point.h"
#include "tests/producers/producer_harness.h"
#include "tests/support/oona_process.h"

namespace esper::producers {
namespace {

using namespace std::chrono_literals;

class BufferThroughOonaTest : public testing::OonaAndSubscriber {};

TEST_F(BufferThroughOonaTest, DrainedPointsArriveOnceAndCriticalEventsAtOnce) {
  oona::BusPublisher bus(oona::testing::publisher_options(oona_.endpoints(), "tamiyo"));
  BusEnvelopeSink sink(bus);
  TelemetryBuffer buffer({.source = "tamiyo", .max_points_per_packet = 64}, sink);
  for (int i = 0; i < 1000; ++i) {
    buffer.record(proto::make_point("tamiyo.gnn.feature_coverage", i, "ratio"));
  }
  proto::TelemetryEvent critical;
  critical.set_description("degraded_inputs");
  critical.set_level(proto::SEVERITY_CRITICAL);
  ASSERT_TRUE(buffer.record(critical));

  // Before any drain, the emergency socket already has the event.
  bool saw_critical = false;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!saw_critical && std::chrono::steady_clock::now() < deadline) {
    auto m = subscriber_.receive_from(proto::Lane::kEmergency, 100ms);
    saw_critical = m && m->envelope.source() == "tamiyo" && m->envelope.event().description() == "degraded_inputs";
  }
  ASSERT_TRUE(saw_critical) << "the CRITICAL event did not arrive on the emergency lane";

  const DrainResult r = buffer.drain();
  EXPECT_EQ(r.points, 1000u);
  std::vector<int> seen(1000, 0);
  int received = 0;
  while (received < 1000) {
    auto m = subscriber_.receive(10s);
    ASSERT_TRUE(m.has_value()) << "only " << received << " of 1000 points arrived";
    if (m->envelope.source() != "tamiyo" || !m->envelope.has_telemetry()) continue;
    for (const auto& p : m->envelope.telemetry().metrics()) {
      ++seen[static_cast<std::size_t>(p.value())];
      ++received;
    }
  }
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], 1) << "point " << i;
}

}  // namespace
}  // namespace esper::producers
