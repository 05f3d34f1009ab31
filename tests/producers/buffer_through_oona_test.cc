// The telemetry buffer publishing through the real bus client and a real oona: drained points all
// arrive once, and a CRITICAL event arrives on the emergency socket without waiting for a drain.
#include <gtest/gtest.h>

#include "oona/envelope_signer.h"
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

// Packets the buffer encodes itself must carry signatures Oona and a subscriber recompute from
// the parsed envelope: attributes (a map) given in any order, events beside the points.
TEST(SignedBufferThroughOona, EncodedPacketsPassOonaAndTheSubscribersCheck) {
  const std::string key_hex = "8f3c1a2b4d5e6f708192a3b4c5d6e7f80112233445566778899aabbccddeeff0";
  const std::string key = oona::parse_hex_key(key_hex);
  oona::testing::OonaProcess oona("signing:\n  key_hex: " + key_hex + "\n");
  ASSERT_TRUE(oona.ready());
  oona::BusSubscriber subscriber(oona::testing::signed_subscriber_options(oona.endpoints(), key));
  ASSERT_TRUE(oona::testing::connect(oona.endpoints(), subscriber, true, true, {}, key));

  auto options = oona::testing::publisher_options(oona.endpoints(), "kasmina");
  options.signing_key = key;
  oona::BusPublisher bus(options);
  BusEnvelopeSink sink(bus);
  TelemetryBuffer buffer({.source = "kasmina", .max_points_per_packet = 50}, sink);
  for (int i = 0; i < 300; ++i) {
    const std::string seed = "s" + std::to_string(i % 7);
    const std::vector<proto::AttributeView> attributes = {{"seed_id", seed}, {"blueprint", "conv"}, {"layer", "3"}};
    buffer.record(proto::MetricPointView{.name = "kasmina.seed.alpha",
                                         .value = static_cast<double>(i),
                                         .unit = "ratio",
                                         .step = static_cast<std::uint64_t>(i),
                                         .attributes = attributes});
  }
  proto::TelemetryEvent warning;
  warning.set_description("seed_culled");
  warning.set_level(proto::SEVERITY_WARNING);
  (*warning.mutable_attributes())["seed_id"] = "s3";
  (*warning.mutable_attributes())["reason"] = "stalled";
  buffer.record(warning);
  ASSERT_EQ(buffer.drain().points, 300u);

  int points = 0, events = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((points < 300 || events < 1) && std::chrono::steady_clock::now() < deadline) {
    auto m = subscriber.receive(100ms);
    if (!m || m->envelope.source() != "kasmina") continue;
    points += m->envelope.telemetry().metrics_size();
    events += m->envelope.telemetry().events_size();
  }
  EXPECT_EQ(points, 300) << "signed packets went missing (Oona rejects a bad signature)";
  EXPECT_EQ(events, 1);
  EXPECT_EQ(subscriber.rejected(oona::EnvelopeSigner::Verdict::kBadSignature), 0u);
}

}  // namespace
}  // namespace esper::producers
