// The one walk over an envelope and its time rule: a point is filed under its own timestamp, else
// its packet's (or snapshot's), else the envelope's send time; an event under its own, else the
// send time. Emergency signals arrive as the event they describe.
#include "nissa/store/envelope_walk.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace esper::nissa {
namespace {

constexpr std::uint64_t kMs = 1'000'000;

struct Walked {
  std::vector<std::pair<std::string, std::int64_t>> points, events;
};

Walked walk(const proto::Envelope& e) {
  Walked w;
  walk_envelope(
      e, [&](const proto::MetricPoint& p, std::int64_t t) { w.points.emplace_back(p.name(), t); },
      [&](const proto::TelemetryEvent& ev, std::int64_t t) { w.events.emplace_back(ev.event_id(), t); });
  return w;
}

using Filed = std::vector<std::pair<std::string, std::int64_t>>;

TEST(EnvelopeWalkTest, PointsTakeTheirOwnTimeElseThePacketsElseTheSendTime) {
  proto::Envelope e;
  e.set_sent_unix_ns(1000 * kMs);
  auto* packet = e.mutable_telemetry();
  auto* own = packet->add_metrics();
  own->set_name("own");
  own->set_timestamp_unix_ns(7 * kMs);
  packet->add_metrics()->set_name("packet");
  packet->set_timestamp_unix_ns(50 * kMs);
  auto* event = packet->add_events();
  event->set_event_id("no_time");
  EXPECT_EQ(walk(e).points, (Filed{{"own", 7}, {"packet", 50}}));
  EXPECT_EQ(walk(e).events, (Filed{{"no_time", 1000}})) << "an event falls back to the send time, not the packet's";

  packet->clear_timestamp_unix_ns();
  EXPECT_EQ(walk(e).points, (Filed{{"own", 7}, {"packet", 1000}}));
}

TEST(EnvelopeWalkTest, ASystemStateSnapshotGivesItsTrainingAndSeedMetricsTheSnapshotTime) {
  proto::Envelope e;
  e.set_sent_unix_ns(1000 * kMs);
  auto* state = e.mutable_system_state();
  state->set_timestamp_unix_ns(20 * kMs);
  state->add_training_metrics()->set_name("loss");
  state->add_seed_states()->add_metrics()->set_name("alpha");
  EXPECT_EQ(walk(e).points, (Filed{{"loss", 20}, {"alpha", 20}}));
  EXPECT_TRUE(walk(e).events.empty());
}

TEST(EnvelopeWalkTest, AnEmergencySignalIsTheEventItDescribes) {
  proto::Envelope e;
  e.set_sent_unix_ns(1000 * kMs);
  auto* signal = e.mutable_emergency_signal();
  signal->set_signal_id("gradient_explosion");
  signal->set_timestamp_unix_ns(30 * kMs);
  signal->set_origin("tolaria");
  EXPECT_EQ(walk(e).events, (Filed{{"gradient_explosion", 30}}));
  EXPECT_EQ(event_from_signal(*signal).attributes().at("origin"), "tolaria");
}

TEST(EnvelopeWalkTest, FieldReportsAndAcksCarryNeitherPointsNorEvents) {
  proto::Envelope report;
  report.mutable_field_report()->set_report_id("r-1");
  proto::Envelope ack;
  ack.mutable_field_report_ack()->set_report_id("r-1");
  for (const auto& e : {report, ack}) {
    EXPECT_TRUE(walk(e).points.empty());
    EXPECT_TRUE(walk(e).events.empty());
  }
}

}  // namespace
}  // namespace esper::nissa
