// The flush protocol under a real weatherlight, with real producers (flush_test_producer) on a real
// Oona: each FLUSH drains both producers and every point arrives once, with Weatherlight's own
// flush latency and drop telemetry; a service that never answers FLUSH is reported unhealthy with a
// WARNING event and, with restart_when_unhealthy, restarted.
#include <signal.h>

#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "oona/bus_subscriber.h"
#include "tests/support/oona_process.h"
#include "tests/support/wait_until.h"
#include "tests/support/weatherlight_process.h"

namespace esper::weatherlight::testing {
namespace {

using esper::testing::TempDir;
using esper::testing::wait_until;

// Collects what two flush-test producers and weatherlight publish.
struct FlushObservations {
  std::map<std::string, std::vector<int>> sequence_seen;  // source -> count per value.
  std::set<std::string> latency_reported;                  // services with weatherlight.flush_latency_ms
  std::map<std::string, double> flush_dropped;             // weatherlight.flush_dropped_total by service
  std::map<std::string, double> producer_dropped;          // producer.buffer_dropped_total by source

  void take(const oona::BusMessage& m) {
    if (!m.envelope.has_telemetry()) return;
    const auto& source = m.envelope.source();
    for (const auto& p : m.envelope.telemetry().metrics()) {
      if (p.name() == "test.sequence") {
        auto& seen = sequence_seen[source];
        const auto v = static_cast<std::size_t>(p.value());
        if (seen.size() <= v) seen.resize(v + 1, 0);
        ++seen[v];
      } else if (p.name() == "weatherlight.flush_latency_ms") {
        latency_reported.insert(p.attributes().at("service"));
      } else if (p.name() == "weatherlight.flush_dropped_total") {
        flush_dropped[p.attributes().at("service")] = p.value();
      } else if (p.name() == "producer.buffer_dropped_total") {
        producer_dropped[source] = p.value();
      }
    }
  }
  // How many distinct points of `source` arrived.
  std::uint64_t points_from(const std::string& source) {
    std::uint64_t n = 0;
    for (int c : sequence_seen[source]) n += c > 0 ? 1 : 0;
    return n;
  }
};

// What a flush_test_producer wrote to its --report-file at exit: "<key> <value>" lines.
std::map<std::string, std::uint64_t> read_report(const std::filesystem::path& file) {
  std::map<std::string, std::uint64_t> report;
  for (const auto& line : read_lines(file)) {
    std::istringstream in(line);
    std::string key;
    std::uint64_t value = 0;
    in >> key >> value;
    report[key] = value;
  }
  return report;
}

std::string flush_test_producer() {
  return esper::testing::built_binary("tests/weatherlight/flush_test_producer").string();
}

TEST(WeatherlightFlushTest, EachFlushDrainsBothProducersAndEveryPointArrivesOnce) {
  oona::testing::OonaWithSubscriber bus(100000);
  ASSERT_TRUE(bus.ready());
  TempDir dir;
  const std::string producer = flush_test_producer();
  WeatherlightProcess wl(
      dir.path(),
      config_on_bus(bus.oona.dir().path(), dir.path(), "flush_interval: 200ms\n") +
          "  alpha:\n    ready: hello\n    argv: [" + producer + ", --rate, '2000', --report-file, " +
          (dir.path() / "alpha.report").string() + "]\n"
          "  beta:\n    ready: hello\n    argv: [" + producer + ", --rate, '5000', --capacity, '50', "
          "--drain-batch-points, '0', --drain-batch-bytes, '0', --report-file, " +
          (dir.path() / "beta.report").string() + "]\n");
  ASSERT_TRUE(wl.wait_ready()) << "the producers did not say HELLO";
  // Beta drains only on FLUSH (no batch trigger), so its 50-point buffer overflows between flushes
  // and its drops must show in FLUSHED and in weatherlight's telemetry.

  FlushObservations seen;
  ASSERT_TRUE(wait_until(
      [&] {
        if (auto m = bus.subscriber.receive(50ms)) seen.take(*m);
        return seen.latency_reported.contains("alpha") && seen.latency_reported.contains("beta") &&
               seen.flush_dropped["beta"] > 0 && seen.producer_dropped["beta"] > 0;
      },
      20s))
      << "weatherlight did not report flush latency for both producers and beta's drops";

  ASSERT_TRUE(wl.stops_cleanly());
  const auto alpha = read_report(dir.path() / "alpha.report");
  const auto beta = read_report(dir.path() / "beta.report");
  ASSERT_GT(alpha.at("recorded"), 0u);
  ASSERT_GT(beta.at("recorded"), 0u);
  // Every drain but the one at exit came from a FLUSH: the producers never fell back to their timer.
  EXPECT_GE(alpha.at("flushes_answered"), 2u);
  EXPECT_GE(beta.at("flushes_answered"), 2u);
  EXPECT_EQ(alpha.at("timer_flushes"), 0u);
  EXPECT_EQ(beta.at("timer_flushes"), 0u);
  EXPECT_EQ(alpha.at("dropped"), 0u);
  EXPECT_GT(beta.at("dropped"), 0u);

  const std::uint64_t alpha_expected = alpha.at("recorded");
  const std::uint64_t beta_expected = beta.at("recorded") - beta.at("dropped");
  ASSERT_TRUE(wait_until(
      [&] {
        if (auto m = bus.subscriber.receive(50ms)) seen.take(*m);
        // A drain's own producer.* telemetry follows its points: wait for that too.
        return seen.points_from("alpha") == alpha_expected && seen.points_from("beta") == beta_expected &&
               seen.producer_dropped["beta"] == static_cast<double>(beta.at("dropped"));
      },
      20s))
      << "alpha: " << seen.points_from("alpha") << " of " << alpha_expected << " points, beta: "
      << seen.points_from("beta") << " of " << beta_expected << "; beta's telemetry says "
      << seen.producer_dropped["beta"] << " dropped of " << beta.at("dropped");
  for (const auto* source : {"alpha", "beta"}) {
    const auto& counts = seen.sequence_seen[source];
    for (std::size_t v = 0; v < counts.size(); ++v) ASSERT_LE(counts[v], 1) << source << " point " << v << " twice";
  }
  // Alpha lost nothing: its points are exactly 0 .. recorded-1.
  EXPECT_EQ(seen.sequence_seen["alpha"].size(), alpha_expected);
}

TEST(WeatherlightFlushTest, MissedFlushesMakeAServiceUnhealthyWithAWarning) {
  oona::testing::OonaWithSubscriber bus;
  ASSERT_TRUE(bus.ready());
  TempDir dir;
  WeatherlightProcess wl(dir.path(), config_on_bus(bus.oona.dir().path(), dir.path(),
                                                   "flush_interval: 100ms\nmissed_flushes_unhealthy: 3\n") +
                                         "  mute:\n    ready: hello\n"
                                         "    restart_when_unhealthy: true\n    argv: [" + flush_test_producer() +
                                         ", --mute]\n");
  ASSERT_TRUE(wl.wait_ready());
  bool warned = false, restarted = false;
  ASSERT_TRUE(wait_until(
      [&] {
        auto m = bus.subscriber.receive(100ms);
        if (!m || m->envelope.source() != "weatherlight" || !m->envelope.has_event()) return warned && restarted;
        const auto& e = m->envelope.event();
        warned = warned || (e.description() == "service_unhealthy" && e.level() == proto::SEVERITY_WARNING &&
                            e.attributes().at("service") == "mute");
        // restart_when_unhealthy: after the warning, the service is started again.
        restarted = restarted || (warned && e.description() == "service_started" && e.attributes().at("service") == "mute");
        return warned && restarted;
      },
      20s))
      << "for a service that never answers FLUSH: WARNING " << warned << ", restarted " << restarted;
}

}  // namespace
}  // namespace esper::weatherlight::testing
