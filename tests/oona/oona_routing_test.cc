// Integration tests against the real `oona` binary: routing by severity and kind, emergency
// overtaking a normal backlog, overload drops, and emergency demotion. Bad input is
// oona_bad_input_test.cc's; the process's life, oona_lifecycle_test.cc's.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "proto/envelope_codec.h"
#include "tests/support/oona_process.h"

namespace esper::oona::testing {
namespace {

using proto::BodyKind;
using proto::Lane;

constexpr std::array<proto::Severity, 5> kSeverities{
    proto::SEVERITY_DEBUG, proto::SEVERITY_INFO, proto::SEVERITY_WARNING,
    proto::SEVERITY_HIGH, proto::SEVERITY_CRITICAL};

proto::Envelope with_body(BodyKind kind, proto::Severity severity) {
  proto::Envelope e;
  e.set_severity(severity);
  switch (kind) {
    case BodyKind::kTelemetry: e.mutable_telemetry(); break;
    case BodyKind::kEvent: e.mutable_event(); break;
    case BodyKind::kFieldReport: e.mutable_field_report(); break;
    case BodyKind::kAck: e.mutable_field_report_ack(); break;
    case BodyKind::kControl: e.mutable_control(); break;
    case BodyKind::kSystemState: e.mutable_system_state(); break;
    case BodyKind::kEmergencySignal: e.mutable_emergency_signal(); break;
  }
  return e;
}

bool is_test_traffic(const BusMessage& m) {
  return m.envelope.source() != "probe" && m.envelope.source() != "oona";
}

TEST(OonaRouting, EverySeverityAndKindReachesItsLaneAndTopic) {
  OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  BusSubscriber subscriber(subscriber_options(oona.endpoints()));
  ASSERT_TRUE(connect(oona.endpoints(), subscriber));
  BusPublisher publisher(publisher_options(oona.endpoints(), "matrix"));

  std::map<std::string, Lane> expected_socket;  // Topic -> egress it must arrive on.
  for (int k = 0; k <= static_cast<int>(BodyKind::kEmergencySignal); ++k) {
    const auto kind = static_cast<BodyKind>(k);
    for (auto severity : kSeverities) {
      const Lane lane = proto::lane_for(kind, severity);
      const std::string topic = proto::format_topic({lane, kind, severity, "matrix"});
      expected_socket[topic] = lane == Lane::kEmergency ? Lane::kEmergency : Lane::kNormal;
      ASSERT_TRUE(publisher.publish(with_body(kind, severity)));
    }
  }
  ASSERT_EQ(expected_socket.size(), 35u);

  std::map<std::string, Lane> seen;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (seen.size() < expected_socket.size() && std::chrono::steady_clock::now() < deadline) {
    auto m = subscriber.receive(100ms);
    if (!m || !is_test_traffic(*m)) continue;
    const std::string topic = proto::format_topic(m->topic);
    EXPECT_EQ(seen.count(topic), 0u) << "duplicate " << topic;
    seen[topic] = m->socket;
  }
  EXPECT_EQ(seen, expected_socket);
  // Spot checks of the lane rule itself, in topic form.
  EXPECT_EQ(seen.count("emergency.event.critical.matrix"), 1u);
  EXPECT_EQ(seen.count("reliable.field_report.critical.matrix"), 1u);
  EXPECT_EQ(seen.count("reliable.ack.debug.matrix"), 1u);
  EXPECT_EQ(seen.count("normal.telemetry.warning.matrix"), 1u);
  EXPECT_EQ(subscriber.sequences().gaps("matrix"), 0u);
  EXPECT_EQ(subscriber.rejected_total(), 0u);
}

// 100k small normal envelopes are queued behind a subscriber that reads nothing; an emergency sent
// afterwards must arrive on the emergency egress while that whole backlog is still unread (bound:
// within 5 s of being sent, and before the first normal envelope is read), and none is dropped.
TEST(OonaRouting, EmergencyOvertakesAHundredThousandQueuedNormalEnvelopes) {
  constexpr int kNormal = 100000;
  OonaProcess oona("subscriber_queue:\n  max_messages: 200000\negress_hwm: 1000\n");
  ASSERT_TRUE(oona.ready());
  StatsWatcher stats(oona.endpoints());
  BusSubscriber subscriber(subscriber_options(oona.endpoints(), 1000));
  ASSERT_TRUE(connect(oona.endpoints(), subscriber));
  // From here on the normal socket is not read until the emergency has arrived.
  const auto normal_read_before = subscriber.received(Lane::kNormal);

  BusPublisher publisher(publisher_options(oona.endpoints(), "backlog"));
  for (int i = 0; i < kNormal; ++i) ASSERT_TRUE(publisher.publish(telemetry(proto::SEVERITY_INFO)));
  BusPublisher alarm(publisher_options(oona.endpoints(), "alarm"));
  const auto sent_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(alarm.publish(event(proto::SEVERITY_CRITICAL, "overtake")));

  std::optional<BusMessage> urgent;
  while (!urgent && std::chrono::steady_clock::now() - sent_at < 5s) {
    auto m = subscriber.receive_from(Lane::kEmergency, 100ms);
    if (m && m->envelope.source() == "alarm") urgent = std::move(m);
  }
  ASSERT_TRUE(urgent.has_value()) << "emergency did not arrive within 5 s behind the backlog";
  EXPECT_EQ(urgent->topic.lane, Lane::kEmergency);
  EXPECT_EQ(subscriber.received(Lane::kNormal), normal_read_before)
      << "no normal envelope may have been read yet";

  int normal = 0;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (normal < kNormal && std::chrono::steady_clock::now() < deadline) {
    auto m = subscriber.receive(200ms);
    if (m && m->envelope.source() == "backlog") ++normal;
  }
  EXPECT_EQ(normal, kNormal);
  EXPECT_EQ(subscriber.sequences().gaps("backlog"), 0u);
  auto [ok, last] = stats.wait_for(
      [](const OonaStats& s) { return stat(s, "oona.routed_total{lane=normal}") >= kNormal; }, 10s);
  EXPECT_TRUE(ok) << describe(last);
  for (const auto& [key, value] : last) {
    if (key.rfind("oona.dropped_total", 0) == 0) ADD_FAILURE() << "drop counted: " << key << " = " << value;
  }
}


// "<lane>.<severity>" of `topic`, e.g. "normal.debug".
std::string lane_and_severity(const proto::Topic& topic) {
  return std::string(proto::lane_name(topic.lane)) + "." + std::string(proto::severity_name(topic.severity));
}

// 3000 DEBUG, 3000 INFO, 300 WARNING, 100 reliable acks and 50 HIGH events, 1 KiB each and
// interleaved; counts each in `sent` by lane_and_severity().
void publish_overload_mix(BusPublisher& publisher, std::map<std::string, int>& sent) {
  auto send = [&](proto::Envelope e) {
    const auto topic = proto::topic_for(e);
    ASSERT_TRUE(publisher.publish(std::move(e)));
    ++sent[lane_and_severity(topic)];
  };
  for (int i = 0; i < 3000; ++i) {
    send(telemetry(proto::SEVERITY_DEBUG, 1024));
    send(telemetry(proto::SEVERITY_INFO, 1024));
    if (i % 10 == 0) send(telemetry(proto::SEVERITY_WARNING, 1024));
    if (i % 30 == 0) {
      proto::Envelope ack;
      ack.set_severity(proto::SEVERITY_INFO);
      ack.mutable_field_report_ack()->set_report_id(std::string(1024, 'r'));
      send(std::move(ack));
    }
    if (i % 60 == 0) send(event(proto::SEVERITY_HIGH, std::string(1024, 'h')));
  }
}

// Oona's normal queue holds 1000 envelopes and the subscriber reads nothing while a producer sends
// 3000 DEBUG, 3000 INFO, 300 WARNING, 100 reliable acks and 50 HIGH events (1 KiB each). Then:
// sent = received + counted drops exactly, DEBUG goes before INFO, and no WARNING, reliable or
// emergency envelope is lost.
TEST(OonaRouting, OverloadDropsAreCountedExactlyLowestSeverityFirst) {
  OonaProcess oona("subscriber_queue:\n  max_messages: 1000\negress_hwm: 100\n");
  ASSERT_TRUE(oona.ready());
  StatsWatcher stats(oona.endpoints());
  BusSubscriber subscriber(subscriber_options(oona.endpoints(), 100));
  ASSERT_TRUE(connect(oona.endpoints(), subscriber));

  BusPublisher publisher(publisher_options(oona.endpoints(), "loadgen"));
  std::map<std::string, int> sent;  // By "<lane>.<severity>".
  ASSERT_NO_FATAL_FAILURE(publish_overload_mix(publisher, sent));
  ASSERT_EQ(sent["normal.warning"], 300);
  ASSERT_EQ(sent["reliable.info"], 100);
  ASSERT_EQ(sent["emergency.high"], 50);
  const int total_sent = 3000 + 3000 + 300 + 100 + 50;

  std::map<std::string, int> received;
  int total_received = 0;
  auto [ok, last] = stats.wait_for(
      [&](const OonaStats& s) {
        return total_received + stat(s, "oona.dropped_total{lane=normal,reason=queue_full_messages,source=loadgen}") ==
               total_sent;
      },
      60s,
      [&] {
        while (auto m = subscriber.receive(1ms)) {
          if (m->envelope.source() != "loadgen") continue;
          ++received[lane_and_severity(m->topic)];
          ++total_received;
        }
      });
  ASSERT_TRUE(ok) << "received " << total_received << " of " << total_sent << "\n" << describe(last);
  const int dropped_debug = sent["normal.debug"] - received["normal.debug"];
  const int dropped_info = sent["normal.info"] - received["normal.info"];
  EXPECT_GT(dropped_debug, 0) << "the queue never filled: the test proves nothing";
  EXPECT_GE(dropped_debug, dropped_info) << "DEBUG must be dropped before INFO";
  EXPECT_GT(received["normal.info"], received["normal.debug"]);
  EXPECT_EQ(received["normal.warning"], 300);
  EXPECT_EQ(received["reliable.info"], 100);
  EXPECT_EQ(received["emergency.high"], 50);
  EXPECT_EQ(stat(last, "oona.dropped_total{lane=normal,reason=queue_full_messages,source=loadgen}"),
            dropped_debug + dropped_info);
  EXPECT_EQ(publisher.unsent(Lane::kNormal) + publisher.unsent(Lane::kEmergency) +
                publisher.unsent(Lane::kReliable),
            0u);
  // Sequence gaps seen by the subscriber are exactly the drops.
  EXPECT_EQ(subscriber.sequences().gaps("loadgen"), static_cast<std::uint64_t>(dropped_debug + dropped_info));
}


// A subscriber's byte bound holds what is queued for it, not what has passed through it: with a
// 64 KiB bound, ten times that goes through a subscriber that keeps up, and nothing is shed. (Oona
// once counted a sent envelope's bytes as still queued, and shed everything once the bound's worth
// had been sent: 64 MiB by default.)
TEST(OonaRouting, MoreThanTheByteBoundPassesThroughASubscriberThatKeepsUp) {
  OonaProcess oona("subscriber_queue:\n  max_bytes: 64KiB\n");
  ASSERT_TRUE(oona.ready());
  BusSubscriberOptions options = subscriber_options(oona.endpoints());
  options.emergency = false;
  BusSubscriber subscriber(options);
  ASSERT_TRUE(connect(oona.endpoints(), subscriber, true, false));
  BusPublisher publisher(publisher_options(oona.endpoints(), "steady"));
  constexpr int kRounds = 30;
  constexpr int kPerRound = 100;  // ~25 KiB a round: well inside the bound at any moment.
  int received = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < kPerRound; ++i) ASSERT_TRUE(publisher.publish(telemetry(proto::SEVERITY_INFO, 200)));
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    int this_round = 0;
    while (this_round < kPerRound && std::chrono::steady_clock::now() < deadline) {
      auto m = subscriber.receive(100ms);
      if (m && m->envelope.source() == "steady") ++this_round;
    }
    ASSERT_EQ(this_round, kPerRound) << "round " << round << " after " << received << " envelopes ("
                                     << subscriber.missed() << " shed by Oona)";
    received += this_round;
  }
  EXPECT_EQ(subscriber.missed(), 0u);
  EXPECT_EQ(received, kRounds * kPerRound);
}

// One source floods the emergency lane far beyond its rate (burst 20, 10/s): its excess arrives on
// the normal egress marked demoted and counted, none lost; another source's emergency sent after
// the flood still arrives on the emergency lane without waiting for the demoted backlog.
TEST(OonaRouting, EmergencyFloodBeyondRateIsDemotedNotLost) {
  constexpr int kFlood = 500;
  OonaProcess oona("emergency:\n  rate_per_source: 10\n  burst: 20\n");
  ASSERT_TRUE(oona.ready());
  StatsWatcher stats(oona.endpoints());
  BusSubscriber subscriber(subscriber_options(oona.endpoints()));
  ASSERT_TRUE(connect(oona.endpoints(), subscriber));

  BusPublisher flooder(publisher_options(oona.endpoints(), "flooder"));
  for (int i = 0; i < kFlood; ++i) ASSERT_TRUE(flooder.publish(event(proto::SEVERITY_HIGH, "flood")));
  BusPublisher other(publisher_options(oona.endpoints(), "other"));
  ASSERT_TRUE(other.publish(event(proto::SEVERITY_CRITICAL, "real")));

  int on_emergency = 0, demoted = 0;
  bool other_seen = false;
  auto count_flooder = [&](const BusMessage& m) {
    if (m.envelope.demoted()) {
      EXPECT_EQ(m.socket, Lane::kNormal);
      EXPECT_EQ(m.topic.lane, Lane::kReliable);
      EXPECT_EQ(m.topic.severity, proto::SEVERITY_HIGH);
      ++demoted;
    } else {
      EXPECT_EQ(m.socket, Lane::kEmergency);
      ++on_emergency;
    }
  };
  // The other source's emergency must come through without anything of the demoted backlog being
  // read: only the emergency socket is read until it arrives (bound: 5 s).
  const auto sent_at = std::chrono::steady_clock::now();
  while (!other_seen && std::chrono::steady_clock::now() - sent_at < 5s) {
    auto m = subscriber.receive_from(Lane::kEmergency, 100ms);
    if (!m) continue;
    if (m->envelope.source() == "other") {
      other_seen = true;
      EXPECT_FALSE(m->envelope.demoted());
    } else if (m->envelope.source() == "flooder") {
      count_flooder(*m);
    }
  }
  EXPECT_EQ(demoted, 0);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (on_emergency + demoted < kFlood && std::chrono::steady_clock::now() < deadline) {
    auto m = subscriber.receive(100ms);
    if (m && m->envelope.source() == "flooder") count_flooder(*m);
  }
  EXPECT_TRUE(other_seen);
  EXPECT_EQ(on_emergency + demoted, kFlood) << "flood envelopes lost";
  EXPECT_GE(demoted, kFlood / 2) << "rate limit did not demote";
  auto [ok, last] = stats.wait_for(
      [&](const OonaStats& s) { return stat(s, "oona.demoted_total{source=flooder}") == demoted; }, 10s);
  EXPECT_TRUE(ok) << "demoted seen " << demoted << "\n" << describe(last);
  EXPECT_EQ(subscriber.sequences().gaps("flooder"), 0u);
}

}  // namespace
}  // namespace esper::oona::testing
