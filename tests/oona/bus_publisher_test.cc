// The publisher never blocks its caller beyond the configured bound, and counts what it could not
// send. No Oona runs here, so the sockets' queues fill and stay full.
#include "oona/bus_publisher.h"

#include <gtest/gtest.h>

#include <chrono>

#include "proto/envelope_codec.h"
#include "tests/support/temp_dir.h"

namespace esper::oona {
namespace {

using namespace std::chrono_literals;

TEST(BusPublisher, BlocksAtMostTheSendTimeoutAndCountsWhatItCouldNotSend) {
  esper::testing::TempDir dir;
  BusPublisherOptions options;
  options.endpoints = endpoints_under(dir.path());  // Nobody listens.
  options.source = "bounded";
  options.send_timeout = 20ms;
  options.send_hwm = 5;
  options.linger = 0ms;
  BusPublisher publisher(options);
  constexpr int kAttempts = 40;
  auto slowest = std::chrono::steady_clock::duration::zero();
  int accepted = 0;
  for (int i = 0; i < kAttempts; ++i) {
    proto::Envelope e;
    e.set_severity(i % 2 ? proto::SEVERITY_CRITICAL : proto::SEVERITY_INFO);
    e.mutable_event()->set_description("x");
    const auto start = std::chrono::steady_clock::now();
    accepted += publisher.publish(e) ? 1 : 0;
    slowest = std::max(slowest, std::chrono::steady_clock::now() - start);
  }
  EXPECT_LT(slowest, 500ms) << "publish() blocked far beyond its 20 ms bound";
  EXPECT_GT(accepted, 0) << "queued up to the high-water mark";
  const std::uint64_t unsent = publisher.unsent(proto::Lane::kNormal) + publisher.unsent(proto::Lane::kEmergency);
  EXPECT_GT(unsent, 0u);
  EXPECT_EQ(publisher.sent(proto::Lane::kNormal) + publisher.sent(proto::Lane::kEmergency) + unsent,
            static_cast<std::uint64_t>(kAttempts));
  EXPECT_EQ(static_cast<std::uint64_t>(accepted),
            publisher.sent(proto::Lane::kNormal) + publisher.sent(proto::Lane::kEmergency));
}

TEST(BusPublisher, RefusesAnEnvelopeNoDecoderWouldAccept) {
  esper::testing::TempDir dir;
  BusPublisherOptions options;
  options.endpoints = endpoints_under(dir.path());
  options.source = "bad source";  // Spaces are not allowed.
  options.linger = 0ms;
  BusPublisher publisher(options);
  proto::Envelope e;
  e.set_severity(proto::SEVERITY_INFO);
  e.mutable_telemetry();
  EXPECT_THROW(publisher.publish(e), proto::EncodeError);
}

}  // namespace
}  // namespace esper::oona
