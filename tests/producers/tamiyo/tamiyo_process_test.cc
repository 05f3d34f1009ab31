// A real `tamiyo` through a real `oona`: every policy-service name of docs/reference/training-system.md
// arrives with its unit; lowering coverage below the thresholds raises degraded_inputs at WARNING
// (normal lane) and then HIGH on the emergency lane; without Nissa its field reports are retried
// and dropped after the cap (events and counters in its telemetry); with a real Nissa they are
// acknowledged, stored once, and settled.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "oona/bus_subscriber.h"
#include "tests/producers/producer_harness.h"
#include "tests/support/child_process.h"
#include "tests/support/nissa_process.h"
#include "tests/support/oona_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_until.h"

namespace esper::tamiyo {
namespace {

using namespace std::chrono_literals;
using esper::testing::ChildProcess;

// Tamiyo's metrics in docs/reference/training-system.md (per-type coverage for the families this service's
// graph has), and the units the document gives them.
const std::map<std::string, std::string> kTamiyoMetricUnits = {
    {"tamiyo.gnn.feature_coverage", "ratio"},
    {"tamiyo.gnn.feature_coverage.node.seed", "ratio"},
    {"tamiyo.gnn.feature_coverage.node.layer", "ratio"},
    {"tamiyo.gnn.feature_coverage.edges.layer_connects", "ratio"},
    {"tamiyo.gnn.feature_coverage.edges.seed_monitors", "ratio"},
    {"tamiyo.gnn.compile_enabled", "bool"},
    {"tamiyo.gnn.compile_fallback_total", "count"},  // Absent when zero.
    {"tamiyo.gnn.compile_warm_ms", "ms"},            // Present when compile is active.
    {"tamiyo.field_reports.pending_total", "count"},
    {"tamiyo.field_reports.published_total", "count"},
    {"tamiyo.field_reports.retries_total", "count"},
    {"tamiyo.field_reports.dropped_total", "count"},
    // Not in the document: corrupt ranges the outbox's WAL replay found (field_reports/outbox.h).
    {"tamiyo.field_reports.wal_corrupt_records_total", "count"},
};
// Events and the attributes the document lists for them.
const std::map<std::string, std::set<std::string>> kTamiyoEvents = {
    {"degraded_inputs", {"reason"}},
    {"field_report_synthesised", {"report_id", "command_id", "target_epochs"}},
    {"field_report_retry", {"report_id", "retry_count"}},
    {"field_report_drop", {"report_id", "retry_count"}},
};

struct SeenEvent {
  proto::TelemetryEvent event;
  proto::Lane lane;
};

// Everything tamiyo published, as it arrives.
struct Seen {
  std::map<std::string, std::vector<proto::MetricPoint>> points;
  std::vector<SeenEvent> events;
  std::vector<std::string> problems;

  double last(const std::string& name) const {
    auto it = points.find(name);
    return it == points.end() || it->second.empty() ? -1 : it->second.back().value();
  }
  double max(const std::string& name) const {
    double m = -1;
    if (auto it = points.find(name); it != points.end()) {
      for (const auto& p : it->second) m = std::max(m, p.value());
    }
    return m;
  }
  std::vector<const SeenEvent*> named(const std::string& description) const {
    std::vector<const SeenEvent*> out;
    for (const auto& e : events) {
      if (e.event.description() == description) out.push_back(&e);
    }
    return out;
  }
};

void pump(oona::BusSubscriber& subscriber, Seen& seen) {
  auto m = subscriber.receive(20ms);
  if (!m || m->envelope.source() != "tamiyo") return;
  auto take_event = [&](const proto::TelemetryEvent& e) {
    auto expected = kTamiyoEvents.find(e.description());
    if (expected == kTamiyoEvents.end()) {
      seen.problems.push_back("unexpected event " + e.description());
      return;
    }
    for (const auto& key : expected->second) {
      if (!e.attributes().contains(key)) seen.problems.push_back(e.description() + " without " + key);
    }
    seen.events.push_back({e, m->socket});
  };
  if (m->envelope.has_event()) take_event(m->envelope.event());
  if (!m->envelope.has_telemetry()) return;
  for (const auto& e : m->envelope.telemetry().events()) take_event(e);
  for (const auto& p : m->envelope.telemetry().metrics()) {
    if (p.name().starts_with("producer.")) continue;  // The runtime's own buffer health.
    auto unit = kTamiyoMetricUnits.find(p.name());
    if (unit == kTamiyoMetricUnits.end()) {
      seen.problems.push_back("unexpected metric " + p.name());
    } else if (unit->second != p.unit()) {
      seen.problems.push_back(p.name() + " in " + p.unit());
    }
    seen.points[p.name()].push_back(p);
  }
}

class TamiyoProcessTest : public producers::testing::OonaAndSubscriber {
 protected:
  // Null, with a failure, when it does not get ready.
  std::unique_ptr<ChildProcess> start(std::vector<std::string> extra) {
    extra.insert(extra.begin(), {"--flush-interval-ms", "100"});
    return producers::testing::start_producer("producers/tamiyo/tamiyo", oona_, extra);
  }
  bool pump_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    return esper::testing::wait_until([&] { pump(subscriber_, seen_); return done(); }, timeout, 0ms);
  }

  esper::testing::TempDir state_;
  Seen seen_;
};

TEST_F(TamiyoProcessTest, WithoutNissaEveryNameArrivesAndReportsAreRetriedThenDropped) {
  // Two reports, never acked: each is retried once (200 ms without an ack), then dropped.
  auto tamiyo = start({"--rate", "50", "--coverage-schedule", "1.0,0.7", "--phase-decisions", "10", "--reports",
                       "2", "--report-every", "3", "--state-dir", state_.path().string(), "--retry-cap", "1",
                       "--initial-backoff-ms", "200", "--max-backoff-ms", "400"});
  ASSERT_TRUE(tamiyo);
  auto missing = [&] {
    std::string names;
    for (const auto& [name, unit] : kTamiyoMetricUnits) {
      if (name != "tamiyo.gnn.compile_fallback_total" && !seen_.points.contains(name)) names += " " + name;
    }
    for (const auto& [name, attributes] : kTamiyoEvents) {
      if (seen_.named(name).empty()) names += " event:" + name;
    }
    return names;
  };
  ASSERT_TRUE(pump_until([&] { return missing().empty() && seen_.max("tamiyo.field_reports.dropped_total") >= 2; },
                         30s))
      << "never arrived:" << missing() << "; dropped_total " << seen_.max("tamiyo.field_reports.dropped_total");
  EXPECT_EQ(esper::testing::describe_status(tamiyo->stop()), "exit 0");
  EXPECT_TRUE(seen_.problems.empty()) << seen_.problems.front();

  EXPECT_FALSE(seen_.points.contains("tamiyo.gnn.compile_fallback_total")) << "absent when zero";
  EXPECT_EQ(seen_.last("tamiyo.gnn.compile_enabled"), 1.0);
  EXPECT_EQ(seen_.named("field_report_synthesised").size(), 2u);
  EXPECT_GE(seen_.max("tamiyo.field_reports.retries_total"), 1.0) << "failed attempts counted per cycle";
  EXPECT_GE(seen_.max("tamiyo.field_reports.published_total"), 1.0);
  EXPECT_EQ(seen_.max("tamiyo.field_reports.dropped_total"), 2.0);
  for (const auto* e : seen_.named("field_report_retry")) {
    EXPECT_EQ(e->event.level(), proto::SEVERITY_WARNING);
    EXPECT_EQ(e->event.attributes().at("retry_count"), "1");
  }
  for (const auto* e : seen_.named("field_report_drop")) {
    EXPECT_EQ(e->event.level(), proto::SEVERITY_WARNING);
    EXPECT_EQ(e->event.attributes().at("retry_count"), "2");
  }
  for (const auto& p : seen_.points.at("tamiyo.gnn.feature_coverage")) EXPECT_TRUE(p.has_step());
}

TEST_F(TamiyoProcessTest, LoweredCoverageRaisesWarningThenHighOnTheEmergencyLane) {
  auto tamiyo = start({"--rate", "50", "--coverage-schedule", "1.0,0.65,0.35", "--phase-decisions", "10",
                       "--warn-below", "0.8", "--high-below", "0.5", "--critical-below", "0.2"});
  ASSERT_TRUE(tamiyo);
  auto at = [&](proto::Severity level) -> const SeenEvent* {
    for (const auto* e : seen_.named("degraded_inputs")) {
      if (e->event.level() == level) return e;
    }
    return nullptr;
  };
  auto min_coverage = [&] {
    double m = 2;
    for (const auto& p : seen_.points["tamiyo.gnn.feature_coverage"]) m = std::min(m, p.value());
    return m;
  };
  ASSERT_TRUE(pump_until(
      [&] { return at(proto::SEVERITY_WARNING) && at(proto::SEVERITY_HIGH) && min_coverage() < 0.5; }, 30s))
      << "degraded_inputs seen " << seen_.named("degraded_inputs").size() << " times, not at both WARNING and HIGH";
  EXPECT_EQ(esper::testing::describe_status(tamiyo->stop()), "exit 0");

  const auto* warning = at(proto::SEVERITY_WARNING);
  const auto* high = at(proto::SEVERITY_HIGH);
  EXPECT_EQ(warning->lane, proto::Lane::kNormal) << "WARNING rides the buffered normal lane";
  EXPECT_EQ(high->lane, proto::Lane::kEmergency) << "HIGH must take the emergency lane";
  EXPECT_LT(warning->event.timestamp_unix_ns(), high->event.timestamp_unix_ns()) << "escalation out of order";
  EXPECT_EQ(high->event.attributes().at("reason"), "degraded_inputs");
  EXPECT_LT(std::stod(high->event.attributes().at("feature_coverage")), 0.5);
  EXPECT_GE(std::stod(warning->event.attributes().at("feature_coverage")), 0.5);
  EXPECT_EQ(at(proto::SEVERITY_CRITICAL), nullptr) << "coverage never fell below the critical threshold";
  // The reported coverage followed the schedule: full in the first phase.
  for (const auto& p : seen_.points["tamiyo.gnn.feature_coverage"]) {
    if (p.step() <= 10) {
      EXPECT_EQ(p.value(), 1.0) << "step " << p.step();
    }
  }
}

TEST_F(TamiyoProcessTest, CompileFallbackIsCountedAndTheWarmUpAbsent) {
  auto tamiyo = start({"--rate", "50", "--compile-capacity", "4"});
  ASSERT_TRUE(tamiyo);
  ASSERT_TRUE(pump_until([&] { return seen_.points["tamiyo.gnn.compile_fallback_total"].size() >= 3; }, 30s));
  EXPECT_EQ(esper::testing::describe_status(tamiyo->stop()), "exit 0");
  EXPECT_EQ(seen_.last("tamiyo.gnn.compile_fallback_total"), 1.0);
  EXPECT_EQ(seen_.last("tamiyo.gnn.compile_enabled"), 0.0);
  EXPECT_FALSE(seen_.points.contains("tamiyo.gnn.compile_warm_ms"));
}

TEST_F(TamiyoProcessTest, FieldReportsAreAcknowledgedByNissa) {
  esper::testing::TempDir nissa_dir;
  std::filesystem::create_directories(nissa_dir / "state");
  nissa::testing::NissaProcess nissa(oona_.dir().path(), nissa_dir / "state");
  ASSERT_TRUE(nissa.ready());

  auto tamiyo = start({"--rate", "50", "--reports", "3", "--report-every", "2", "--state-dir",
                       state_.path().string(), "--initial-backoff-ms", "1000"});
  ASSERT_TRUE(tamiyo);
  ASSERT_TRUE(tamiyo->wait_for_line("field reports settled 3", 30s)) << "Nissa's acks never settled all 3 reports";
  ASSERT_TRUE(pump_until([&] { return seen_.named("field_report_synthesised").size() == 3 &&
                                      seen_.last("tamiyo.field_reports.pending_total") == 0.0; },
                         10s))
      << "pending_total " << seen_.last("tamiyo.field_reports.pending_total");
  EXPECT_EQ(esper::testing::describe_status(tamiyo->stop()), "exit 0");

  const auto reports = nissa.get_json("/api/v1/field_reports");
  ASSERT_EQ(reports["total"], 3) << reports.dump();
  std::set<std::string> stored, synthesised;
  for (const auto& r : reports["field_reports"]) {
    EXPECT_EQ(r["source"], "tamiyo");
    stored.insert(r["report"]["report_id"].get<std::string>());
  }
  for (const auto* e : seen_.named("field_report_synthesised")) synthesised.insert(e->event.attributes().at("report_id"));
  EXPECT_EQ(stored, synthesised) << "Nissa stored other reports than tamiyo synthesised";
  EXPECT_TRUE(seen_.named("field_report_drop").empty());
  EXPECT_EQ(seen_.max("tamiyo.field_reports.dropped_total"), 0.0);
}

}  // namespace
}  // namespace esper::tamiyo
