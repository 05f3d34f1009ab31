// Weatherlight's end of the flush protocol, in-process over real ZeroMQ sockets: services connect
// DEALERs to the coordinator's ROUTER (inproc://), say HELLO, receive FLUSH(seq) on every tick and
// answer FLUSHED(seq). Latency is measured per answer, missed rounds make a service unhealthy at the
// threshold and one answer makes it healthy again, late and forgotten replies are ignored, and what
// a service must not send is counted as rejected.
#include <gtest/gtest.h>

#include <zmq.hpp>

#include "esper/control.pb.h"
#include "weatherlight/flush_coordinator.h"

namespace esper::weatherlight {
namespace {

using namespace std::chrono_literals;
using Clock = FlushCoordinator::Clock;
using Type = FlushEvent::Type;

constexpr const char* kEndpoint = "inproc://flush-coordinator-test";

// A service's end of the control socket, as producers/service_runtime.h connects one.
class ServicePeer {
 public:
  explicit ServicePeer(zmq::context_t& context) : socket_(context, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(kEndpoint);
  }

  void send(const proto::Control& message) { send_bytes(message.SerializeAsString()); }
  void send_bytes(const std::string& bytes) { socket_.send(zmq::buffer(bytes), zmq::send_flags::none); }
  void hello(const std::string& service, std::uint32_t pid) {
    proto::Control m;
    m.mutable_hello()->set_service(service);
    m.mutable_hello()->set_pid(pid);
    send(m);
  }
  void flushed(std::uint64_t seq, std::uint64_t dropped = 0, std::uint64_t depth = 0) {
    proto::Control m;
    m.mutable_flushed()->set_seq(seq);
    m.mutable_flushed()->set_points(10);
    m.mutable_flushed()->set_packets(1);
    m.mutable_flushed()->set_dropped(dropped);
    m.mutable_flushed()->set_depth(depth);
    send(m);
  }
  // The seq of the next FLUSH the coordinator sent this service, or 0 if none came within 5 s.
  std::uint64_t next_flush() {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, 5000ms) == 0) return 0;
    zmq::message_t body;
    if (!socket_.recv(body, zmq::recv_flags::dontwait)) return 0;
    proto::Control m;
    if (!m.ParseFromArray(body.data(), static_cast<int>(body.size())) || !m.has_flush()) return 0;
    return m.flush().seq();
  }

 private:
  zmq::socket_t socket_;
};

class FlushCoordinatorTest : public ::testing::Test {
 protected:
  // Reads the control socket as the supervision loop does (zmq_poll, then on_readable) until
  // `done` holds; false after 5 s.
  template <typename Done>
  bool read_until(Clock::time_point now, Done&& done) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      zmq::pollitem_t item{coordinator.socket().handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 100ms);
      for (auto& e : coordinator.on_readable(now)) events.push_back(std::move(e));
    }
    return true;
  }
  bool read_events(std::size_t count, Clock::time_point now) {
    return read_until(now, [&] { return events.size() >= count; });
  }
  // Says HELLO as `service` and waits until the coordinator has taken it.
  void connect(ServicePeer& peer, const std::string& service) {
    const std::size_t before = events.size();
    peer.hello(service, 4242);
    ASSERT_TRUE(read_events(before + 1, t0)) << service << "'s HELLO was not read";
    ASSERT_EQ(events.back().type, Type::kHello);
    ASSERT_EQ(events.back().service, service);
  }

  zmq::context_t context{1};
  FlushCoordinator coordinator{context, kEndpoint, /*missed_threshold=*/2};
  std::vector<FlushEvent> events;
  const Clock::time_point t0 = Clock::time_point{} + 1h;
};

TEST_F(FlushCoordinatorTest, HelloConnectsAServiceWithItsPid) {
  EXPECT_FALSE(coordinator.stats("alpha").connected);
  ServicePeer alpha(context);
  connect(alpha, "alpha");
  EXPECT_EQ(events.back().pid, 4242);
  EXPECT_TRUE(coordinator.stats("alpha").connected);
  EXPECT_TRUE(coordinator.stats("alpha").healthy);
}

TEST_F(FlushCoordinatorTest, ATickFlushesEveryConnectedServiceAndAnswersMeasureLatency) {
  EXPECT_TRUE(coordinator.tick(t0).empty());
  EXPECT_EQ(coordinator.seq(), 1u);
  EXPECT_TRUE(coordinator.all_answered()) << "no service connected: nothing is owed";
  ServicePeer alpha(context), beta(context);
  connect(alpha, "alpha");
  connect(beta, "beta");

  EXPECT_TRUE(coordinator.tick(t0).empty());
  EXPECT_EQ(alpha.next_flush(), 2u);
  EXPECT_EQ(beta.next_flush(), 2u);
  EXPECT_FALSE(coordinator.all_answered());

  events.clear();
  alpha.flushed(2, /*dropped=*/3, /*depth=*/7);
  ASSERT_TRUE(read_events(1, t0 + 4ms)) << "alpha's FLUSHED was not read";
  const FlushEvent& e = events.front();
  EXPECT_EQ(e.type, Type::kFlushed);
  EXPECT_EQ(e.service, "alpha");
  EXPECT_EQ(e.latency, 4000us);
  EXPECT_EQ(e.points, 10u);
  EXPECT_EQ(e.packets, 1u);
  EXPECT_EQ(e.dropped, 3u);
  EXPECT_EQ(e.depth, 7u);
  const auto stats = coordinator.stats("alpha");
  EXPECT_EQ(stats.answered, 1u);
  EXPECT_EQ(stats.last_latency, 4000us);
  EXPECT_EQ(stats.dropped_total, 3u);
  EXPECT_FALSE(coordinator.all_answered()) << "beta still owes its reply";

  beta.flushed(2);
  ASSERT_TRUE(read_events(2, t0 + 9ms)) << "beta's FLUSHED was not read";
  EXPECT_EQ(events.back().service, "beta");
  EXPECT_EQ(events.back().latency, 9000us);
  EXPECT_TRUE(coordinator.all_answered());
}

TEST_F(FlushCoordinatorTest, MissedRoundsMakeAServiceUnhealthyOnceAndOneAnswerHealsIt) {
  ServicePeer alpha(context);
  connect(alpha, "alpha");
  EXPECT_TRUE(coordinator.tick(t0).empty());            // seq 1 sent.
  EXPECT_TRUE(coordinator.tick(t0 + 1s).empty()) << "one miss is below the threshold of 2";
  const auto unhealthy = coordinator.tick(t0 + 2s);     // Second miss in a row.
  ASSERT_EQ(unhealthy.size(), 1u);
  EXPECT_EQ(unhealthy[0].type, Type::kUnhealthy);
  EXPECT_EQ(unhealthy[0].service, "alpha");
  EXPECT_EQ(unhealthy[0].missed, 2u);
  EXPECT_TRUE(coordinator.tick(t0 + 3s).empty()) << "an unhealthy service is reported once, not every round";
  auto stats = coordinator.stats("alpha");
  EXPECT_FALSE(stats.healthy);
  EXPECT_EQ(stats.missed_consecutive, 3u);
  EXPECT_EQ(stats.missed_total, 3u);

  for (std::uint64_t seq = 1; seq <= 4; ++seq) ASSERT_EQ(alpha.next_flush(), seq);
  events.clear();
  alpha.flushed(4);
  ASSERT_TRUE(read_events(2, t0 + 3s + 1ms)) << "FLUSHED(4) did not bring kFlushed and kHealthy";
  EXPECT_EQ(events[0].type, Type::kFlushed);
  EXPECT_EQ(events[1].type, Type::kHealthy);
  EXPECT_EQ(events[1].service, "alpha");
  stats = coordinator.stats("alpha");
  EXPECT_TRUE(stats.healthy);
  EXPECT_EQ(stats.missed_consecutive, 0u);
  EXPECT_EQ(stats.missed_total, 3u);
}

TEST_F(FlushCoordinatorTest, TheThresholdCanChange) {
  ServicePeer alpha(context);
  connect(alpha, "alpha");
  coordinator.set_missed_threshold(1);
  EXPECT_TRUE(coordinator.tick(t0).empty());
  const auto unhealthy = coordinator.tick(t0 + 1s);
  ASSERT_EQ(unhealthy.size(), 1u) << "one miss at threshold 1";
  EXPECT_EQ(unhealthy[0].missed, 1u);
}

TEST_F(FlushCoordinatorTest, AReplyToARoundAlreadyMissedIsIgnored) {
  ServicePeer alpha(context);
  connect(alpha, "alpha");
  coordinator.tick(t0);       // seq 1.
  coordinator.tick(t0 + 1s);  // seq 1 missed; seq 2 sent.
  events.clear();
  alpha.flushed(1);  // Late.
  alpha.flushed(2);
  ASSERT_TRUE(read_events(1, t0 + 1s + 2ms));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, Type::kFlushed);
  EXPECT_EQ(events[0].latency, 2000us) << "the answer to seq 2, timed from its own FLUSH";
  EXPECT_EQ(coordinator.stats("alpha").answered, 1u);
  EXPECT_EQ(coordinator.stats("alpha").missed_total, 1u);
  EXPECT_EQ(coordinator.rejected_messages(), 0u) << "late is not wrong";
}

TEST_F(FlushCoordinatorTest, AForgottenServiceIsNotFlushedUntilItSaysHelloAgain) {
  ServicePeer alpha(context);
  connect(alpha, "alpha");
  coordinator.tick(t0);
  ASSERT_EQ(alpha.next_flush(), 1u);
  coordinator.forget("alpha");  // Its process exited.
  EXPECT_FALSE(coordinator.stats("alpha").connected);
  EXPECT_TRUE(coordinator.all_answered()) << "a forgotten service owes nothing";
  EXPECT_TRUE(coordinator.tick(t0 + 1s).empty());  // seq 2: not sent to alpha, not a miss.
  EXPECT_EQ(coordinator.stats("alpha").missed_total, 0u);

  events.clear();
  alpha.flushed(1);                // From before it was forgotten: ignored.
  alpha.send_bytes("not a Control message");  // Read after it: once counted, the reply was read too.
  ASSERT_TRUE(read_until(t0 + 1s, [&] { return coordinator.rejected_messages() == 1; }));
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(coordinator.stats("alpha").answered, 0u);

  connect(alpha, "alpha");
  coordinator.tick(t0 + 2s);
  EXPECT_EQ(alpha.next_flush(), 3u) << "seq 2 went to a forgotten service";
}

TEST_F(FlushCoordinatorTest, WhatAServiceMustNotSendIsRejectedAndHeartbeatsAreNot) {
  ServicePeer alpha(context);
  alpha.send_bytes(std::string("\xff\xff\xff", 3));  // Not a Control.
  proto::Control flush;
  flush.mutable_flush()->set_seq(9);  // Only Weatherlight sends FLUSH.
  alpha.send(flush);
  proto::Control heartbeat;
  heartbeat.mutable_heartbeat()->set_timestamp_unix_ns(1);
  alpha.send(heartbeat);
  connect(alpha, "alpha");  // After the others on the same socket: once it is read, they were.
  EXPECT_EQ(coordinator.rejected_messages(), 2u) << "2: the unparseable message and the FLUSH; 3: the heartbeat too";
  EXPECT_EQ(events.size(), 1u) << "only the HELLO makes an event";
}

}  // namespace
}  // namespace esper::weatherlight
