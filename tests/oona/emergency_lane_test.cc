// Oona's emergency lane in-process, over real ZeroMQ sockets (ipc:// in a temp dir): producers'
// emergencies reach a subscriber in the order sent; a source over its emergency rate is demoted to
// the normal lane, never dropped; a normal-topic envelope sent to the emergency ingress goes to the
// normal lane; bad input is counted by reason and the lane goes on; emergencies the normal lane
// hands over are routed; and a subscriber that stops reading has only its own queue shed while
// another receives every emergency.
#include <gtest/gtest.h>

#include <zmq.hpp>

#include "oona/emergency_lane.h"
#include "oona/envelope_reader.h"
#include "tests/support/oona_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_until.h"

namespace esper::oona::testing {
namespace {

using esper::testing::wait_until;

class EmergencyLaneTest : public ::testing::Test {
 protected:
  EmergencyLaneTest() {
    config_.endpoints = endpoints_under(dir_.path());
    // Not pinned, not real-time: the test's threads stay as they are.
    config_.emergency_scheduling = {.realtime_priority = 0, .cpu = EmergencySchedulingConfig::kNoCpu};
  }

  // Starts the lane with the config as the test has set it.
  void start_lane() {
    endpoints_ = config_.endpoints;
    lane_ = std::make_unique<EmergencyLane>(config_, endpoints_, nullptr, reject_log_, to_normal_);
  }
  // A subscriber to the emergency egress only, known connected (probe envelopes from "probe").
  std::unique_ptr<BusSubscriber> subscribe(const std::string& name, std::uint32_t credit_window = 1000) {
    BusSubscriberOptions options = subscriber_options(endpoints_);
    options.name = name;
    options.normal = false;
    options.credit_window = credit_window;
    auto subscriber = std::make_unique<BusSubscriber>(options);
    EXPECT_TRUE(connect(endpoints_, *subscriber, /*normal=*/false, /*emergency=*/true));
    return subscriber;
  }
  // Publishes `count` emergencies from `source`, described "0", "1", ...
  void publish_emergencies(const std::string& source, int count) {
    BusPublisher publisher(publisher_options(endpoints_, source));
    for (int i = 0; i < count; ++i) {
      ASSERT_TRUE(publisher.publish(event(i % 2 ? proto::SEVERITY_HIGH : proto::SEVERITY_CRITICAL, std::to_string(i))));
    }
  }
  // The descriptions of what `subscriber` receives from `source`, until it has `count` (or 10 s).
  static std::vector<std::string> receive_from(BusSubscriber& subscriber, const std::string& source, std::size_t count) {
    std::vector<std::string> seen;
    wait_until(
        [&] {
          auto m = subscriber.receive_from(proto::Lane::kEmergency, std::chrono::milliseconds(20));
          if (m && m->envelope.source() == source) seen.push_back(m->envelope.event().description());
          return seen.size() >= count;
        },
        std::chrono::seconds(10), std::chrono::milliseconds(0));
    return seen;
  }
  // What the lane has handed to the normal lane from `source`, taking it all from the handoff,
  // until there are `count` (or 10 s).
  std::vector<proto::Decoded> handed_to_normal(const std::string& source, std::size_t count) {
    std::vector<proto::Decoded> found;
    wait_until(
        [&] {
          for (QueuedMessage& item : to_normal_.take_all()) {
            if (item.source != source) continue;
            found.push_back(proto::decode(std::string_view(item.topic.data<char>(), item.topic.size()),
                                          std::string_view(item.payload.data<char>(), item.payload.size())));
          }
          return found.size() >= count;
        },
        std::chrono::seconds(10));
    return found;
  }
  static std::vector<std::string> numbered(int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i < to; ++i) out.push_back(std::to_string(i));
    return out;
  }

  esper::testing::TempDir dir_;
  BrokerConfig config_;
  BusEndpoints endpoints_;
  logging::RateLimitedLog reject_log_;
  LaneHandoff to_normal_;
  std::unique_ptr<EmergencyLane> lane_;
};

TEST_F(EmergencyLaneTest, EmergenciesReachTheSubscriberInTheOrderSent) {
  start_lane();
  auto subscriber = subscribe("pager-reader");
  const auto routed_before = lane_->stats().routed[static_cast<std::size_t>(proto::Lane::kEmergency)];
  publish_emergencies("pager", 500);
  EXPECT_EQ(receive_from(*subscriber, "pager", 500), numbered(0, 500));
  const BrokerStats stats = lane_->stats();
  EXPECT_GE(stats.routed[static_cast<std::size_t>(proto::Lane::kEmergency)] - routed_before, 500u);
  EXPECT_EQ(stats.demoted.at_or_zero("pager"), 0u) << "500 emergencies are within the default burst";
}

TEST_F(EmergencyLaneTest, ASourceOverItsRateIsDemotedToTheNormalLaneNotDropped) {
  config_.emergency_rate_per_source = 0.001;  // Only the burst passes.
  config_.emergency_burst = 3;
  start_lane();
  auto subscriber = subscribe("pager-reader");
  publish_emergencies("flood", 10);
  EXPECT_EQ(receive_from(*subscriber, "flood", 3), numbered(0, 3)) << "the burst goes through as emergencies";
  const auto demoted = handed_to_normal("flood", 7);
  ASSERT_EQ(demoted.size(), 7u) << "what is over the rate must reach the normal lane";
  for (std::size_t i = 0; i < demoted.size(); ++i) {
    EXPECT_TRUE(demoted[i].envelope().demoted()) << i;
    EXPECT_EQ(demoted[i].envelope().event().description(), std::to_string(i + 3));
    EXPECT_EQ(demoted[i].topic().lane, proto::Lane::kReliable) << "demoted emergencies travel as reliable";
  }
  EXPECT_EQ(lane_->stats().demoted.at_or_zero("flood"), 7u);
}

TEST_F(EmergencyLaneTest, ANormalEnvelopeSentToTheEmergencyIngressGoesToTheNormalLane) {
  start_lane();
  BusEndpoints misdirected = endpoints_;
  misdirected.normal_ingress = endpoints_.emergency_ingress;  // A producer with its endpoints crossed.
  BusPublisher publisher(publisher_options(misdirected, "crossed"));
  ASSERT_TRUE(publisher.publish(telemetry(proto::SEVERITY_INFO)));
  const auto handed = handed_to_normal("crossed", 1);
  ASSERT_EQ(handed.size(), 1u);
  EXPECT_EQ(handed[0].topic().lane, proto::Lane::kNormal);
  EXPECT_FALSE(handed[0].envelope().demoted()) << "not an emergency: nothing to demote";
  EXPECT_EQ(lane_->stats().received[static_cast<std::size_t>(proto::Lane::kNormal)], 1u);
}

TEST_F(EmergencyLaneTest, BadInputIsCountedByReasonAndTheLaneGoesOn) {
  config_.max_envelope_bytes = 4096;
  start_lane();
  auto subscriber = subscribe("pager-reader");
  zmq::context_t context(1);
  zmq::socket_t raw(context, zmq::socket_type::push);
  raw.set(zmq::sockopt::linger, 2000);
  raw.connect(endpoints_.emergency_ingress);
  raw.send(zmq::str_buffer("one frame only"), zmq::send_flags::none);
  raw.send(zmq::str_buffer("not a topic"), zmq::send_flags::sndmore);
  raw.send(zmq::str_buffer("not an envelope"), zmq::send_flags::none);
  raw.send(zmq::str_buffer("emergency.event.critical.big"), zmq::send_flags::sndmore);
  raw.send(zmq::buffer(std::string(8192, 'x')), zmq::send_flags::none);
  ASSERT_TRUE(wait_until([&] { return lane_->stats().rejected_total() == 3; }, std::chrono::seconds(10)))
      << "rejected " << lane_->stats().rejected_total() << " of 3";
  const auto rejected = lane_->stats().rejected;
  EXPECT_EQ(rejected.at("wrong_frame_count"), 1u);
  EXPECT_EQ(rejected.at("bad_topic"), 1u);
  EXPECT_EQ(rejected.at("oversize"), 1u);
  publish_emergencies("pager", 1);
  EXPECT_EQ(receive_from(*subscriber, "pager", 1), numbered(0, 1)) << "the lane stopped after bad input";
}

TEST_F(EmergencyLaneTest, EmergenciesHandedOverByTheNormalLaneAreRouted) {
  start_lane();
  auto subscriber = subscribe("pager-reader");
  proto::Envelope envelope = event(proto::SEVERITY_CRITICAL, "via normal ingress");
  envelope.set_schema_version(proto::kSchemaVersion);
  envelope.set_source("wrong-socket");
  envelope.set_sequence(1);
  const proto::WireMessage wire = encode_signed(envelope, nullptr);
  lane_->inbox().push(QueuedMessage{zmq::message_t(wire.topic), zmq::message_t(wire.envelope),
                                    proto::SEVERITY_CRITICAL, true, "wrong-socket"});
  EXPECT_EQ(receive_from(*subscriber, "wrong-socket", 1), std::vector<std::string>{"via normal ingress"});
}

TEST_F(EmergencyLaneTest, ASubscriberThatStopsReadingDoesNotHoldBackAnother) {
  config_.subscriber_queue = {.max_messages = 20, .max_bytes = 1u << 20};
  start_lane();
  auto stuck = subscribe("stuck", /*credit_window=*/10);  // Reads nothing after connecting.
  auto live = subscribe("live");
  publish_emergencies("pager", 300);
  EXPECT_EQ(receive_from(*live, "pager", 300), numbered(0, 300)) << "the live subscriber was held back";
  EXPECT_GT(lane_->stats().subscriber_dropped_total(), 0u) << "the stuck subscriber's queue was not shed";
  // When it reads again it learns what it missed, and gets at most its credit and its queue.
  std::vector<std::string> late;
  wait_until(
      [&] {
        auto m = stuck->receive_from(proto::Lane::kEmergency, std::chrono::milliseconds(20));
        if (m && m->envelope.source() == "pager") late.push_back(m->envelope.event().description());
        return stuck->missed(proto::Lane::kEmergency) > 0 && !m;
      },
      std::chrono::seconds(10), std::chrono::milliseconds(0));
  EXPECT_GT(stuck->missed(proto::Lane::kEmergency), 0u) << "no DROPPED notice reached the stuck subscriber";
  EXPECT_LE(late.size(), 10u + 20u) << "more than its credit window and queue were kept for it";
}

TEST_F(EmergencyLaneTest, StopIsIdempotentAndTheCountsStayReadable) {
  start_lane();
  auto subscriber = subscribe("pager-reader");
  publish_emergencies("pager", 2);
  ASSERT_EQ(receive_from(*subscriber, "pager", 2).size(), 2u);
  lane_->stop();
  lane_->stop();
  EXPECT_GE(lane_->stats().received[static_cast<std::size_t>(proto::Lane::kEmergency)], 2u);
}

}  // namespace
}  // namespace esper::oona::testing
