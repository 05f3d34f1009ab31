// No subscriber can hold back another: real oona, nissa and esper-tail processes. A subscriber that
// says HELLO and never reads, an esper-tail under SIGSTOP, a stuck reader of the emergency egress,
// and Nissa itself stopped: in each case the others keep their pace, the stuck one's losses are
// counted under its name in Oona's telemetry, and it learns what it missed.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <thread>

#include <zmq.hpp>

#include "oona/egress_protocol.h"
#include "proto/metric_point.h"
#include "tests/support/nissa_process.h"
#include "tests/support/oona_process.h"
#include "tests/support/wait_until.h"

namespace esper::oona::testing {
namespace {

using esper::testing::wait_until;
using nissa::testing::NissaProcess;

// A subscriber that says HELLO and then neither reads nor returns credit: a hung process.
class StuckSubscriber {
 public:
  StuckSubscriber(const std::string& endpoint, const std::string& name) : socket_(context_, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::rcvhwm, 10);
    socket_.connect(endpoint);
    const auto frames = egress::hello_frames(egress::Hello{name, 100, 0, {""}});
    for (std::size_t i = 0; i < frames.size(); ++i) {
      socket_.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
};

std::string dropped_key(const std::string& subscriber, const std::string& lane) {
  return "oona.subscriber_dropped_total{lane=" + lane + ",reason=queue_full_messages,subscriber=" + subscriber + "}";
}

std::string tail_name(const esper::testing::ChildProcess& tail) {
  const std::string instance = default_instance();
  return "esper-tail@" + instance.substr(0, instance.rfind(':')) + ":" + std::to_string(tail.pid());
}

// Telemetry at `rate` envelopes/s (one point each, metric iso_load) and, with `reports`, a field
// report every 20 ms (50/s), from one thread, until stopped; counts the acks Nissa sends back.
class Traffic {
 public:
  Traffic(const BusEndpoints& endpoints, int rate, bool reports = true) {
    thread_ = std::thread([this, endpoints, rate, reports] { run(endpoints, rate, reports); });
  }
  ~Traffic() {
    stop_ = true;
    thread_.join();
  }
  std::uint64_t acks() const { return acks_.load(); }
  std::uint64_t unsent() const { return unsent_.load(); }
  std::chrono::microseconds longest_publish() const { return std::chrono::microseconds(longest_publish_us_.load()); }

 private:
  void run(const BusEndpoints& endpoints, int rate, bool with_reports) {
    BusPublisher publisher(publisher_options(endpoints, "isoload"));
    BusSubscriberOptions ack_options = subscriber_options(endpoints);
    ack_options.name = "tamiyo";
    ack_options.emergency = false;
    ack_options.prefixes = {"reliable.ack."};
    BusSubscriber acks(ack_options);
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t sent = 0, reports = 0;
    const auto publish = [&](proto::Envelope e) {
      const auto before = std::chrono::steady_clock::now();
      if (!publisher.publish(std::move(e))) ++unsent_;
      const auto took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - before);
      longest_publish_us_ = std::max<std::int64_t>(longest_publish_us_.load(), took.count());
    };
    while (!stop_.load()) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      for (; sent < static_cast<std::uint64_t>(elapsed * rate); ++sent) {
        proto::Envelope e;
        e.set_severity(proto::SEVERITY_INFO);
        *e.mutable_telemetry()->add_metrics() = proto::make_point("iso_load", 1, "count");
        publish(std::move(e));
      }
      for (; with_reports && reports < static_cast<std::uint64_t>(elapsed * 50); ++reports) {
        proto::Envelope e;
        e.set_severity(proto::SEVERITY_INFO);
        auto* report = e.mutable_field_report();
        report->set_report_id("iso-" + std::to_string(reports));
        report->set_command_id("cmd-" + std::to_string(reports));
        report->set_training_run_id("run-1");
        report->set_outcome(proto::FIELD_REPORT_OUTCOME_SUCCESS);
        report->set_target_epochs(3);
        publish(std::move(e));
      }
      while (auto m = acks.receive(std::chrono::milliseconds(1))) {
        if (m->envelope.field_report_ack().report_id().rfind("iso-", 0) == 0) ++acks_;
      }
    }
  }

  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> acks_{0};
  std::atomic<std::uint64_t> unsent_{0};
  std::atomic<std::int64_t> longest_publish_us_{0};
  std::thread thread_;
};

double ingested(NissaProcess& nissa) {
  const auto j = nissa.get_json("/api/v1/series?metric=iso_load");
  if (!j.is_object() || j["series"].empty()) return 0;
  return j["series"][0]["count"].get<double>();
}

struct Rates {
  double ingest = 0, acks = 0;  // Per second.
};

// Nissa's ingest of iso_load points and the acks Traffic received, per second, over `window`.
Rates measure(NissaProcess& nissa, const Traffic& traffic, std::chrono::milliseconds window) {
  const double points0 = ingested(nissa);
  const auto acks0 = traffic.acks();
  const auto start = std::chrono::steady_clock::now();
  // A measurement window, not synchronisation: rates are what is measured.
  std::this_thread::sleep_for(window);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Rates{(ingested(nissa) - points0) / seconds, static_cast<double>(traffic.acks() - acks0) / seconds};
}

constexpr int kTelemetryRate = 1500;  // Envelopes/s: a 2,000-envelope queue fills in under 2 s.

TEST(SubscriberIsolation, AStuckSubscriberAndAStoppedEsperTailDoNotSlowNissaOrAcks) {
  OonaProcess oona("subscriber_queue: {max_messages: 2000}\negress_hwm: 400\n");
  ASSERT_TRUE(oona.ready());
  esper::testing::TempDir state;
  NissaProcess nissa(oona.dir().path(), state / "nissa");
  ASSERT_TRUE(nissa.ready()) << "nissa did not start";
  Traffic traffic(oona.endpoints(), kTelemetryRate);
  ASSERT_TRUE(wait_until([&] { return ingested(nissa) > 0 && traffic.acks() > 0; }, 30s))
      << "nissa ingested " << ingested(nissa) << " points, " << traffic.acks() << " acks";
  const Rates before = measure(nissa, traffic, 4s);
  ASSERT_GT(before.ingest, kTelemetryRate * 0.5) << "nissa does not keep up even alone: the test proves nothing";
  ASSERT_GT(before.acks, 25);

  // A subscriber to everything that never reads, and an esper-tail stopped as with Ctrl-Z.
  StuckSubscriber stuck(oona.endpoints().normal_egress, "stuck");
  esper::testing::ChildProcess::Options options;
  options.capture_stderr = true;
  esper::testing::ChildProcess tail({esper::testing::built_binary("oona/esper-tail").string(), "--runtime-dir",
                                     oona.dir().path().string(), "--source", "isoload"},
                                    options);
  ASSERT_TRUE(tail.wait_for_line("isoload", 20s)) << "esper-tail printed nothing";
  tail.signal(SIGSTOP);
  StatsWatcher stats(oona.endpoints());
  auto [overflowed, last] = stats.wait_for(
      [&](const OonaStats& s) {
        return stat(s, dropped_key("stuck", "normal")) > 0 && stat(s, dropped_key(tail_name(tail), "normal")) > 0;
      },
      30s);
  ASSERT_TRUE(overflowed) << "the stuck subscribers' queues never overflowed\n" << describe(last);

  const Rates during = measure(nissa, traffic, 4s);
  EXPECT_GE(during.ingest, before.ingest * 0.9) << "nissa's ingest fell behind the stuck subscribers";
  EXPECT_GE(during.acks, before.acks * 0.9) << "acks fell behind the stuck subscribers";
  auto [counted, after] = stats.wait_for([](const OonaStats&) { return true; }, 5s);
  ASSERT_TRUE(counted);
  EXPECT_EQ(stat(after, "oona.subscriber_dropped_total{lane=normal,reason=queue_full_messages,subscriber=nissa}"), 0)
      << describe(after);
  EXPECT_EQ(stat(after, "oona.subscriber_dropped_total{lane=normal,reason=queue_full_messages,subscriber=tamiyo}"), 0)
      << describe(after);
  EXPECT_GT(stat(after, "oona.subscriber_queue_depth{lane=normal,subscriber=stuck}"), 0) << describe(after);

  // Resumed, esper-tail says how many it missed.
  tail.signal(SIGCONT);
  EXPECT_TRUE(tail.wait_for_line("esper-tail: missed ", 20s)) << "esper-tail did not report what it missed";
}

// A stuck reader of the emergency egress: another subscriber still gets every emergency, promptly.
TEST(SubscriberIsolation, AStuckEmergencySubscriberDoesNotDelayAnother) {
  constexpr int kEmergencies = 2000;
  OonaProcess oona("subscriber_queue: {max_messages: 500}\negress_hwm: 400\n");
  ASSERT_TRUE(oona.ready());
  BusSubscriberOptions options = subscriber_options(oona.endpoints());
  options.normal = false;
  BusSubscriber healthy(options);
  ASSERT_TRUE(connect(oona.endpoints(), healthy, false, true));
  StuckSubscriber stuck(oona.endpoints().emergency_egress, "stuck-emergency");
  StatsWatcher stats(oona.endpoints());
  ASSERT_TRUE(stats.wait_for([](const OonaStats& s) { return stat(s, "oona.subscribers{lane=emergency}") == 2; }, 10s)
                  .first)
      << "the stuck subscriber's HELLO never reached Oona";

  std::vector<double> latency_ms;
  std::thread alarm([&] {
    BusPublisher publisher(publisher_options(oona.endpoints(), "alarm"));
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kEmergencies; ++i) {
      std::this_thread::sleep_until(start + std::chrono::microseconds(2000 * i));  // Pacing: 500/s.
      publisher.publish(event(proto::SEVERITY_CRITICAL, "alarm"));
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (static_cast<int>(latency_ms.size()) < kEmergencies && std::chrono::steady_clock::now() < deadline) {
    auto m = healthy.receive_from(proto::Lane::kEmergency, 100ms);
    if (!m || m->envelope.source() != "alarm") continue;
    latency_ms.push_back(static_cast<double>(proto::now_unix_ns() - m->envelope.sent_unix_ns()) / 1e6);
  }
  alarm.join();
  ASSERT_EQ(latency_ms.size(), static_cast<std::size_t>(kEmergencies)) << "emergencies lost for the healthy one";
  EXPECT_EQ(healthy.missed(), 0u);
  std::sort(latency_ms.begin(), latency_ms.end());
  const double p99 = latency_ms[latency_ms.size() * 99 / 100];
  EXPECT_LT(p99, 50.0) << "emergency p99 " << p99 << " ms beside a stuck emergency subscriber";
  auto [counted, last] = stats.wait_for(
      [](const OonaStats& s) { return stat(s, dropped_key("stuck-emergency", "emergency")) > 0; }, 10s);
  EXPECT_TRUE(counted) << describe(last);
}

// Nissa stopped (SIGSTOP) under field-report traffic: producers never block, and once Nissa runs
// again every report is stored exactly once.
TEST(SubscriberIsolation, AStoppedNissaBlocksNoProducerAndStoresEveryReportOnce) {
  constexpr int kReports = 3000;
  OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  esper::testing::TempDir dir;
  NissaProcess nissa(oona.dir().path(), dir / "nissa");
  ASSERT_TRUE(nissa.ready()) << "nissa did not start";
  Traffic traffic(oona.endpoints(), 500, false);
  esper::testing::ChildProcess sender({esper::testing::built_binary("tests/nissa/report_sender").string(),
                                       "--runtime-dir", oona.dir().path().string(), "--wal-dir",
                                       (dir / "outbox").string(), "--count", std::to_string(kReports),
                                       "--rate", "300"});
  ASSERT_TRUE(sender.wait_for_line("appended 1000", 60s)) << "the sender did not get going";
  nissa.process().signal(SIGSTOP);
  // Stopped until field reports and telemetry have piled up for it in Oona.
  StatsWatcher stats(oona.endpoints());
  auto [piled, last] = stats.wait_for(
      [](const OonaStats& s) { return stat(s, "oona.subscriber_queue_depth{lane=normal,subscriber=nissa}") > 2000; },
      30s);
  nissa.process().signal(SIGCONT);
  ASSERT_TRUE(piled) << "nothing piled up for the stopped nissa\n" << describe(last);
  ASSERT_TRUE(sender.wait_for_line("all settled", 120s)) << "not every report was acknowledged after SIGCONT";
  EXPECT_EQ(esper::testing::describe_status(sender.wait(10s).value_or(-1)), "exit 0");
  EXPECT_EQ(nissa.get_json("/api/v1/field_reports?limit=1")["total"], kReports);
  EXPECT_EQ(traffic.unsent(), 0u) << "a producer's publish() gave up while nissa was stopped";
  EXPECT_LT(traffic.longest_publish(), std::chrono::microseconds(500'000))
      << "a producer's publish() blocked while nissa was stopped";
}

}  // namespace
}  // namespace esper::oona::testing
