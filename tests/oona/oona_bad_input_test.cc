// The real `oona` binary fed bad input: frames of every codec error class on both ingress sockets,
// and frames far over the transport limit. All are refused and counted, none reaches Oona's memory,
// and Oona goes on routing for everyone else.
#include <gtest/gtest.h>

#include <map>
#include <zmq.hpp>

#include "proto/envelope_codec.h"
#include "tests/support/oona_process.h"
#include "tests/support/process_memory.h"

namespace esper::oona::testing {
namespace {

using Frames = std::vector<std::string>;

// A message of each class the codec rejects (proto::DecodeError), by its reason label.
std::map<std::string, Frames> malformed_by_reason() {
  auto valid = [](proto::Severity severity = proto::SEVERITY_INFO) {
    proto::Envelope e = proto::make_envelope("bad", "i", 1, severity);
    e.mutable_telemetry();
    return e;
  };
  auto serialized = [](const proto::Envelope& e) { return e.SerializeAsString(); };
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
  return classes;
}

void send_frames(zmq::socket_t& socket, const Frames& frames) {
  for (std::size_t f = 0; f < frames.size(); ++f) {
    ASSERT_TRUE(socket.send(zmq::buffer(frames[f]), f + 1 < frames.size() ? zmq::send_flags::sndmore
                                                                         : zmq::send_flags::none));
  }
}

// 1000 frames of every codec error class, on both ingress sockets: all rejected and counted by
// reason, and Oona still routes afterwards.
TEST(OonaRouting, MalformedFramesOfEveryClassAreRejectedAndCounted) {
  OonaProcess oona("max_envelope_bytes: 4096\n");
  ASSERT_TRUE(oona.ready());
  StatsWatcher stats(oona.endpoints());

  const auto classes = malformed_by_reason();
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
      ASSERT_NO_FATAL_FAILURE(send_frames(i % 2 == 0 ? normal : emergency, frames));
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


// A frame far over max_envelope_bytes is refused by the transport while its length is read: Oona
// does not grow by its size (peak resident memory: a frame read and freed again leaves its mark
// there), and keeps routing for everyone else.
TEST(OonaRouting, AHugeFrameNeverReachesOonasMemory) {
  OonaProcess oona("max_envelope_bytes: 4096\n");
  ASSERT_TRUE(oona.ready());
  BusSubscriber subscriber(subscriber_options(oona.endpoints()));
  ASSERT_TRUE(connect(oona.endpoints(), subscriber));
  const long before = esper::testing::peak_rss_kib(oona.process().pid());
  ASSERT_GT(before, 0);
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
  ASSERT_TRUE(publisher.publish(telemetry(proto::SEVERITY_INFO)));
  bool routed = false;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!routed && std::chrono::steady_clock::now() < deadline) {
    auto m = subscriber.receive(100ms);
    routed = m && m->envelope.source() == "after";
  }
  EXPECT_TRUE(routed) << "Oona stopped routing after the huge frame";
  const long after = esper::testing::peak_rss_kib(oona.process().pid());
  EXPECT_LT(after, before + 64 * 1024) << "Oona's peak memory grew from " << before << " KiB to " << after
                                       << " KiB: the 256 MiB frame reached its memory";
}

}  // namespace
}  // namespace esper::oona::testing
