// Integration tests against the real `oona` binary: routing, emergency overtaking a normal backlog,
// overload drops, malformed input and emergency demotion.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <zmq.hpp>

#include "proto/envelope_codec.h"
#include "tests/support/oona_process.h"
#include "tests/support/process_memory.h"

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
  auto send = [&](proto::Envelope e) {
    const auto topic = proto::topic_for(e);
    ASSERT_TRUE(publisher.publish(std::move(e)));
    ++sent[std::string(proto::lane_name(topic.lane)) + "." + std::string(proto::severity_name(topic.severity))];
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
          ++received[std::string(proto::lane_name(m->topic.lane)) + "." +
                     std::string(proto::severity_name(m->topic.severity))];
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

// 1000 frames of every codec error class, on both ingress sockets: all rejected and counted by
// reason, and Oona still routes afterwards.
TEST(OonaRouting, MalformedFramesOfEveryClassAreRejectedAndCounted) {
  OonaProcess oona("max_envelope_bytes: 4096\n");
  ASSERT_TRUE(oona.ready());
  StatsWatcher stats(oona.endpoints());

  auto valid = [](proto::Severity severity = proto::SEVERITY_INFO) {
    proto::Envelope e = proto::make_envelope("bad", "i", 1, severity);
    e.mutable_telemetry();
    return e;
  };
  auto serialized = [](const proto::Envelope& e) { return e.SerializeAsString(); };
  using Frames = std::vector<std::string>;
  std::map<std::string, Frames> classes;
  classes["wrong_frame_count"] = {"normal.telemetry.info.bad"};
  classes["oversize"] = {"normal.telemetry.info.bad", std::string(5000, 'x')};
  classes["bad_topic"] = {"no.such.topic", serialized(valid())};
  classes["unparseable"] = {"normal.telemetry.info.bad", "\xff\xff\xff\xff"};
  {
    auto e = valid();
    e.set_schema_version(99);
    classes["unknown_schema_version"] = {"normal.telemetry.info.bad", serialized(e)};
  }
  {
    auto e = valid();
    e.clear_body();
    classes["missing_body"] = {"normal.telemetry.info.bad", serialized(e)};
  }
  {
    auto e = valid();
    e.set_source("not a source!");
    classes["invalid_source"] = {"normal.telemetry.info.bad", serialized(e)};
  }
  {
    auto e = valid();
    e.set_severity(proto::SEVERITY_UNSPECIFIED);
    classes["invalid_severity"] = {"normal.telemetry.info.bad", serialized(e)};
  }
  classes["topic_mismatch"] = {"normal.telemetry.debug.bad", serialized(valid())};
  ASSERT_EQ(classes.size(), proto::kDecodeErrorCount);

  zmq::context_t context;
  zmq::socket_t normal(context, zmq::socket_type::push);
  zmq::socket_t emergency(context, zmq::socket_type::push);
  normal.set(zmq::sockopt::linger, 5000);
  emergency.set(zmq::sockopt::linger, 5000);
  normal.connect(oona.endpoints().normal_ingress);
  emergency.connect(oona.endpoints().emergency_ingress);
  for (const auto& [reason, frames] : classes) {
    for (int i = 0; i < 1000; ++i) {
      zmq::socket_t& socket = i % 2 == 0 ? normal : emergency;
      for (std::size_t f = 0; f < frames.size(); ++f) {
        ASSERT_TRUE(socket.send(zmq::buffer(frames[f]), f + 1 < frames.size() ? zmq::send_flags::sndmore
                                                                             : zmq::send_flags::none));
      }
    }
  }
  auto [ok, last] = stats.wait_for(
      [&](const OonaStats& s) {
        for (const auto& [reason, frames] : classes) {
          if (stat(s, "oona.rejected_total{reason=" + reason + "}") != 1000) return false;
        }
        return true;
      },
      30s);
  EXPECT_TRUE(ok) << describe(last);
  EXPECT_EQ(stat(last, "oona.received_total{lane=normal}"), 0);

  BusSubscriber subscriber(subscriber_options(oona.endpoints()));
  ASSERT_TRUE(connect(oona.endpoints(), subscriber)) << "Oona stopped routing after bad input";
  EXPECT_TRUE(oona.process().running());
}

// A frame far over the transport limit (twice max_envelope_bytes, oona/frame_limit.h) is refused
// by libzmq from its length alone, before any of it is buffered: Oona's memory does not grow by the
// frame, the refusal is counted (the sender's connection is closed: oona.ingress_disconnects_total),
// and other senders go on as before.
TEST(OonaRouting, AFrameFarOverTheLimitNeverReachesMemoryAndIsCounted) {
  constexpr std::size_t kFrameBytes = 128u << 20;
  OonaProcess oona("max_envelope_bytes: 4096\n");
  ASSERT_TRUE(oona.ready());
  StatsWatcher stats(oona.endpoints());
  const long rss_before = esper::testing::rss_kib(oona.process().pid());
  ASSERT_GT(rss_before, 0);
  {
    zmq::context_t context;
    zmq::socket_t push(context, zmq::socket_type::push);
    push.set(zmq::sockopt::linger, 0);
    push.connect(oona.endpoints().normal_ingress);
    ASSERT_TRUE(push.send(zmq::str_buffer("normal.telemetry.info.huge"), zmq::send_flags::sndmore));
    ASSERT_TRUE(push.send(zmq::message_t(kFrameBytes), zmq::send_flags::none));
    auto [ok, last] = stats.wait_for(
        [](const OonaStats& s) { return stat(s, "oona.ingress_disconnects_total{lane=normal}") >= 1; }, 30s);
    EXPECT_TRUE(ok) << "the refused connection was not counted: " << describe(last);
  }
  const long rss_after = esper::testing::rss_kib(oona.process().pid());
  EXPECT_LT(rss_after - rss_before, static_cast<long>(kFrameBytes >> 10) / 4)
      << "Oona grew from " << rss_before << " to " << rss_after << " KiB: the frame reached its memory";

  BusSubscriber subscriber(subscriber_options(oona.endpoints()));
  ASSERT_TRUE(connect(oona.endpoints(), subscriber)) << "Oona stopped routing after the oversized frame";
  EXPECT_TRUE(oona.process().running());
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

namespace esper::oona::testing {
namespace {

TEST(OonaProcessLifecycle, ExitsZeroOnSigtermAndLogsASummary) {
  OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  oona.process().signal(SIGTERM);
  const auto status = oona.process().wait(10s);
  ASSERT_TRUE(status.has_value()) << "oona did not stop on SIGTERM";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << esper::testing::describe_status(*status);
}

// The bus client reconnects on its own: the same publisher and subscriber keep working across an
// Oona restart on the same endpoints.
TEST(OonaProcessLifecycle, ClientsReconnectAfterOonaRestarts) {
  esper::testing::TempDir dir;
  const auto config = dir / "oona.yaml";
  std::ofstream(config) << "runtime_dir: " << dir.path().string() << "\nflush_interval: 100ms\n";
  const std::vector<std::string> argv{esper::testing::built_binary("oona/oona").string(), "--config",
                                      config.string()};
  const BusEndpoints endpoints = endpoints_under(dir.path());
  BusPublisher publisher(publisher_options(endpoints, "restart"));
  BusSubscriber subscriber(subscriber_options(endpoints));
  for (int run = 0; run < 2; ++run) {
    esper::testing::ChildProcess oona(argv);
    ASSERT_TRUE(oona.wait_for_line("oona ready", 20s).has_value());
    bool seen = false;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!seen && std::chrono::steady_clock::now() < deadline) {
      ASSERT_TRUE(publisher.publish(event(proto::SEVERITY_CRITICAL, "run")));
      while (auto m = subscriber.receive(20ms)) seen = seen || m->envelope.source() == "restart";
    }
    EXPECT_TRUE(seen) << "nothing arrived through oona run " << run;
    EXPECT_EQ(oona.stop(), 0);
  }
}

TEST(OonaProcessLifecycle, CountsConnectedSubscribersPerLane) {
  OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  StatsWatcher stats(oona.endpoints());  // Itself a normal-lane subscriber.
  auto subscriber = std::make_unique<BusSubscriber>(subscriber_options(oona.endpoints()));
  auto [connected, with] = stats.wait_for(
      [](const OonaStats& s) {
        return stat(s, "oona.subscribers{lane=normal}") == 2 && stat(s, "oona.subscribers{lane=emergency}") == 1;
      },
      10s);
  EXPECT_TRUE(connected) << describe(with);
  subscriber.reset();
  auto [gone, without] = stats.wait_for(
      [](const OonaStats& s) {
        return stat(s, "oona.subscribers{lane=normal}") == 1 && stat(s, "oona.subscribers{lane=emergency}") == 0;
      },
      10s);
  EXPECT_TRUE(gone) << describe(without);
}

TEST(OonaProcessLifecycle, RefusesABadConfigNamingTheKey) {
  esper::testing::TempDir dir;
  std::ofstream(dir / "bad.yaml") << "subscriber_queue:\n  max_messages: 0\n";
  esper::testing::ChildProcess oona({esper::testing::built_binary("oona/oona").string(), "--config",
                                     (dir / "bad.yaml").string()});
  const auto status = oona.wait(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << esper::testing::describe_status(*status);
}

// A frame far over max_envelope_bytes is refused by the transport while its length is read: Oona
// does not grow by its size, and keeps routing for everyone else.
// Peak resident memory (VmHWM): a frame read and freed again leaves its mark here.
std::size_t peak_resident_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

TEST(OonaRouting, AHugeFrameNeverReachesOonasMemory) {
  OonaProcess oona("max_envelope_bytes: 4096\n");
  ASSERT_TRUE(oona.ready());
  BusSubscriber subscriber(subscriber_options(oona.endpoints()));
  ASSERT_TRUE(connect(oona.endpoints(), subscriber));
  const std::size_t before = peak_resident_kib(oona.process().pid());
  ASSERT_GT(before, 0u);
  {
    zmq::context_t context;
    zmq::socket_t push(context, zmq::socket_type::push);
    push.set(zmq::sockopt::linger, 5000);
    push.connect(oona.endpoints().normal_ingress);
    const std::string topic = "normal.telemetry.info.huge";
    push.send(zmq::buffer(topic), zmq::send_flags::sndmore);
    std::string huge(256u << 20, 'x');
    push.send(zmq::buffer(huge), zmq::send_flags::none);
  }  // Closing waits (linger) until the frame is handed to the kernel or refused.
  BusPublisher publisher(publisher_options(oona.endpoints(), "after"));
  ASSERT_TRUE(publisher.publish(with_body(BodyKind::kTelemetry, proto::SEVERITY_INFO)));
  bool routed = false;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!routed && std::chrono::steady_clock::now() < deadline) {
    auto m = subscriber.receive(100ms);
    routed = m && m->envelope.source() == "after";
  }
  EXPECT_TRUE(routed) << "Oona stopped routing after the huge frame";
  const std::size_t after = peak_resident_kib(oona.process().pid());
  EXPECT_LT(after, before + 64 * 1024) << "Oona's peak memory grew from " << before << " KiB to " << after
                                       << " KiB: the 256 MiB frame reached its memory";
}

}  // namespace
}  // namespace esper::oona::testing
