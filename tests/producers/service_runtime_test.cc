// The service runtime through a real oona: without Weatherlight it drains on its own timer; with a
// control socket it says HELLO, answers each FLUSH with FLUSHED carrying the counts since the
// previous FLUSHED, and goes back to its own timer when the control socket falls silent; whenever a
// batch is buffered it drains at once, FLUSH or not.
#include <gtest/gtest.h>

#include <zmq.hpp>

#include "esper/control.pb.h"
#include "producers/service_runtime.h"
#include "proto/metric_point.h"
#include "tests/producers/fake_weatherlight.h"
#include "tests/producers/producer_harness.h"
#include "tests/support/oona_process.h"
#include "tests/support/wait_until.h"

namespace esper::producers {
namespace {

using namespace std::chrono_literals;
using esper::testing::wait_until;
using testing::FakeWeatherlight;

ServiceRuntimeOptions runtime_options(const oona::BusEndpoints& endpoints, std::string control = "") {
  ServiceRuntimeOptions options;
  options.service = "kasmina";
  options.bus = oona::testing::publisher_options(endpoints, "kasmina");
  options.control_endpoint = std::move(control);
  options.flush_interval = 100ms;
  options.control_silence = 1s;
  return options;
}

// Counts the metric points named `name` that arrive, until `expected` or the timeout.
int receive_points(oona::BusSubscriber& subscriber, const std::string& name, int expected,
                   std::chrono::milliseconds timeout) {
  int received = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (received < expected && std::chrono::steady_clock::now() < deadline) {
    auto m = subscriber.receive(100ms);
    if (!m || !m->envelope.has_telemetry()) continue;
    for (const auto& p : m->envelope.telemetry().metrics()) received += p.name() == name ? 1 : 0;
  }
  return received;
}

class ServiceRuntimeTest : public testing::OonaAndSubscriber {};

TEST_F(ServiceRuntimeTest, WithoutWeatherlightDrainsOnItsOwnTimer) {
  ServiceRuntime runtime(runtime_options(oona_.endpoints()));
  for (int i = 0; i < 200; ++i) runtime.buffer().record(proto::make_point("kasmina.seed.alpha", i, "ratio"));
  EXPECT_EQ(receive_points(subscriber_, "kasmina.seed.alpha", 200, 10s), 200)
      << "the own timer did not drain the buffer";
  EXPECT_GE(runtime.stats().timer_flushes, 1u);
  EXPECT_FALSE(runtime.stats().supervised);
}

TEST_F(ServiceRuntimeTest, AnswersFlushWithCountsAndFallsBackWhenWeatherlightGoesQuiet) {
  FakeWeatherlight weatherlight(oona_.dir().path());

  auto options = runtime_options(oona_.endpoints(), weatherlight.endpoint());
  // Long enough that the own timer cannot fire between HELLO and the first FLUSH, even under ASan.
  options.flush_interval = 500ms;
  ServiceRuntime runtime(options);

  auto hello = weatherlight.receive(10s);
  ASSERT_TRUE(hello && hello->has_hello()) << "no HELLO on the control socket";
  EXPECT_EQ(hello->hello().service(), "kasmina");
  EXPECT_EQ(hello->hello().pid(), static_cast<std::uint32_t>(::getpid()));

  // Several flushes; the points recorded before each arrive once, counted in its FLUSHED.
  int expected_total = 0;
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    const int n = static_cast<int>(seq) * 10;
    for (int i = 0; i < n; ++i) runtime.buffer().record(proto::make_point("kasmina.seed.alpha", i, "ratio"));
    auto reply = weatherlight.flush(seq, 10s);
    ASSERT_TRUE(reply && reply->has_flushed()) << "no FLUSHED for seq " << seq;
    EXPECT_EQ(reply->flushed().seq(), seq);
    EXPECT_EQ(reply->flushed().points(), static_cast<std::uint64_t>(n));
    EXPECT_EQ(reply->flushed().depth(), 0u);
    expected_total += n;
  }
  EXPECT_TRUE(runtime.stats().supervised);
  EXPECT_EQ(runtime.stats().flushes_answered, 3u);
  // While supervised the own timer stayed quiet.
  EXPECT_EQ(runtime.stats().timer_flushes, 0u);
  EXPECT_EQ(receive_points(subscriber_, "kasmina.seed.alpha", expected_total, 10s), expected_total);
  EXPECT_EQ(receive_points(subscriber_, "kasmina.seed.alpha", 1, 200ms), 0) << "a point arrived twice";

  // Weatherlight goes quiet: after control_silence the runtime drains on its own and says HELLO again.
  runtime.buffer().record(proto::make_point("kasmina.seed.alpha", 1, "ratio"));
  EXPECT_EQ(receive_points(subscriber_, "kasmina.seed.alpha", 1, 10s), 1);
  EXPECT_TRUE(wait_until([&] { return runtime.stats().timer_flushes >= 1; }, 10s));
  EXPECT_FALSE(runtime.stats().supervised);
  auto again = weatherlight.receive(10s);
  ASSERT_TRUE(again && again->has_hello()) << "no second HELLO after the silence";
}

TEST_F(ServiceRuntimeTest, OverflowIsReportedInFlushedAndInItsTelemetry) {
  FakeWeatherlight weatherlight(oona_.dir().path());
  auto options = runtime_options(oona_.endpoints(), weatherlight.endpoint());
  options.buffer.capacity = 100;
  // No batch drains: the buffer must overflow before the FLUSH for this test.
  options.buffer.drain_batch_points = 0;
  options.buffer.drain_batch_bytes = 0;
  ServiceRuntime runtime(options);
  ASSERT_TRUE(weatherlight.receive(10s)) << "no HELLO";

  for (int i = 0; i < 250; ++i) runtime.buffer().record(proto::make_point("kasmina.seed.alpha", i, "ratio"));
  // Refused at record() (not UTF-8): counted apart, never taking room in the buffer.
  EXPECT_FALSE(runtime.buffer().record(proto::make_point("kasmina.seed.\xff", 1, "ratio")));
  auto reply = weatherlight.flush(1, 10s);
  ASSERT_TRUE(reply && reply->has_flushed());
  EXPECT_EQ(reply->flushed().points(), 100u);
  EXPECT_EQ(reply->flushed().dropped(), 150u);

  double dropped_metric = -1, invalid_metric = -1;
  ASSERT_TRUE(wait_until(
      [&] {
        auto m = subscriber_.receive(100ms);
        if (m && m->envelope.has_telemetry()) {
          for (const auto& p : m->envelope.telemetry().metrics()) {
            if (p.name() == "producer.buffer_dropped_total") dropped_metric = p.value();
            if (p.name() == "producer.buffer_invalid_total") invalid_metric = p.value();
          }
        }
        return dropped_metric >= 0 && invalid_metric >= 0;
      },
      10s))
      << "no producer.buffer_dropped_total or producer.buffer_invalid_total in the producer's telemetry";
  EXPECT_EQ(dropped_metric, 150.0);
  EXPECT_EQ(invalid_metric, 1.0);
}

// Counts the telemetry packets carrying metric points named `name`, and those points, that arrive
// until `expected_points` or the timeout.
struct Received {
  int packets = 0;
  int points = 0;
};
Received receive_packets(oona::BusSubscriber& subscriber, const std::string& name, int expected_points,
                         std::chrono::milliseconds timeout) {
  Received r;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (r.points < expected_points && std::chrono::steady_clock::now() < deadline) {
    auto m = subscriber.receive(100ms);
    if (!m || !m->envelope.has_telemetry()) continue;
    int n = 0;
    for (const auto& p : m->envelope.telemetry().metrics()) n += p.name() == name ? 1 : 0;
    r.packets += n > 0 ? 1 : 0;
    r.points += n;
  }
  return r;
}

TEST_F(ServiceRuntimeTest, ABatchDrainsWithoutFlushOrTick) {
  auto options = runtime_options(oona_.endpoints());
  options.flush_interval = std::chrono::hours(1);  // The own timer never fires in this test.
  options.buffer.drain_batch_points = 100;
  ServiceRuntime runtime(options);
  for (int i = 0; i < 100; ++i) runtime.buffer().record(proto::make_point("kasmina.seed.alpha", i, "ratio"));
  EXPECT_EQ(receive_points(subscriber_, "kasmina.seed.alpha", 100, 10s), 100)
      << "a full batch was not drained without a FLUSH or a tick";
  // The drain thread counts a packet after publish() returns, which may be after it arrived here.
  EXPECT_TRUE(esper::testing::wait_until([&] { return runtime.stats().points_published == 100; }, 10s))
      << "published " << runtime.stats().points_published << " of 100 points";
  EXPECT_GE(runtime.stats().batch_drains, 1u);
  EXPECT_EQ(runtime.stats().timer_flushes, 0u);
}

TEST_F(ServiceRuntimeTest, FlushedCountsEveryDrainSinceThePreviousFlushed) {
  FakeWeatherlight weatherlight(oona_.dir().path());
  auto options = runtime_options(oona_.endpoints(), weatherlight.endpoint());
  options.flush_interval = std::chrono::hours(1);
  options.control_silence = std::chrono::hours(1);
  options.buffer.drain_batch_points = 100;
  options.buffer.max_points_per_packet = 40;
  ServiceRuntime runtime(options);
  ASSERT_TRUE(weatherlight.receive(10s)) << "no HELLO";

  std::uint64_t total_points = 0;
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    // `seq` batches of 100, each drained on its own (awaited), then a remainder of 30 that is no
    // batch and waits for the FLUSH.
    const int n = static_cast<int>(seq) * 100 + 30;
    for (std::uint64_t batch = 0; batch < seq; ++batch) {
      const auto published = runtime.stats().points_published;
      for (int i = 0; i < 100; ++i) runtime.buffer().record(proto::make_point("kasmina.seed.alpha", i, "ratio"));
      ASSERT_TRUE(wait_until([&] { return runtime.stats().points_published == published + 100; }, 10s))
          << "round " << seq << ": batch " << batch << " was not drained without a FLUSH";
    }
    for (int i = 0; i < 30; ++i) runtime.buffer().record(proto::make_point("kasmina.seed.alpha", i, "ratio"));
    auto reply = weatherlight.flush(seq, 10s);
    ASSERT_TRUE(reply && reply->has_flushed()) << "no FLUSHED for seq " << seq;
    EXPECT_EQ(reply->flushed().seq(), seq);
    EXPECT_EQ(reply->flushed().points(), static_cast<std::uint64_t>(n))
        << "FLUSHED must count the batch drains since the previous FLUSHED too";
    EXPECT_EQ(reply->flushed().dropped(), 0u);
    EXPECT_EQ(reply->flushed().depth(), 0u);
    const Received received = receive_packets(subscriber_, "kasmina.seed.alpha", n, 10s);
    EXPECT_EQ(received.points, n);
    // Batches of 100 in packets of 40 (3 each), the remainder of 30 in one.
    EXPECT_EQ(reply->flushed().packets(), seq * 3 + 1);
    EXPECT_EQ(reply->flushed().packets(), static_cast<std::uint64_t>(received.packets))
        << "FLUSHED.packets is not the number of packets that arrived";
    total_points += static_cast<std::uint64_t>(n);
  }
  EXPECT_EQ(runtime.stats().points_published, total_points) << "a point was counted twice or never";
  EXPECT_EQ(runtime.stats().timer_flushes, 0u);
}

}  // namespace
}  // namespace esper::producers
