// Tamiyo's logic without the bus: coverage is measured per family, degraded_inputs escalates with
// the thresholds and repeats only at its interval, the compile metrics follow the plan (fallback
// counted, warm-up only while compiled), and commands and field reports carry the coverage.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "producers/tamiyo/degraded_inputs.h"
#include "producers/tamiyo/feature_coverage.h"
#include "producers/tamiyo/tamiyo_service.h"

namespace esper::tamiyo {
namespace {

std::map<std::string, proto::MetricPoint> by_name(const Decision& d) {
  std::map<std::string, proto::MetricPoint> m;
  for (const auto& p : d.points) m[p.name()] = p;
  return m;
}

TEST(FeatureCoverageTest, MeasuresEachFamilyAndTheAverage) {
  std::mt19937_64 rng(1);
  auto full = measure_coverage(observe_graph(8, 8, 1.0, rng));
  EXPECT_EQ(full.average, 1.0);
  EXPECT_EQ(full.by_type.size(), 4u);
  for (const char* type : {"node.seed", "node.layer", "edges.layer_connects", "edges.seed_monitors"}) {
    EXPECT_EQ(full.by_type.at(type), 1.0) << type;
  }
  EXPECT_EQ(measure_coverage(observe_graph(8, 8, 0.0, rng)).average, 0.0);
  auto half = measure_coverage(observe_graph(64, 64, 0.5, rng));
  EXPECT_NEAR(half.average, 0.5, 0.1);
  EXPECT_LE(half.worst, half.average);
  EXPECT_LE(half.by_key.size(), 32u);
}

TEST(DegradedInputsTest, SeverityFollowsTheThresholds) {
  const CoverageThresholds t{.warning_below = 0.8, .high_below = 0.5, .critical_below = 0.2};
  EXPECT_EQ(severity_for_coverage(0.9, t), proto::SEVERITY_INFO);
  EXPECT_EQ(severity_for_coverage(0.8, t), proto::SEVERITY_INFO);
  EXPECT_EQ(severity_for_coverage(0.79, t), proto::SEVERITY_WARNING);
  EXPECT_EQ(severity_for_coverage(0.49, t), proto::SEVERITY_HIGH);
  EXPECT_EQ(severity_for_coverage(0.19, t), proto::SEVERITY_CRITICAL);
}

TEST(DegradedInputsTest, RaisedOnEscalationAndRepeatedAtItsInterval) {
  DegradedInputsMonitor monitor({}, 3, "tamiyo");
  CoverageReport r;
  r.worst_type = "node.seed";
  r.average = 1.0;
  EXPECT_FALSE(monitor.observe(r));
  r.average = 0.7;
  auto warning = monitor.observe(r);
  ASSERT_TRUE(warning);
  EXPECT_EQ(warning->description(), "degraded_inputs");
  EXPECT_EQ(warning->level(), proto::SEVERITY_WARNING);
  EXPECT_EQ(warning->attributes().at("reason"), "degraded_inputs");
  EXPECT_EQ(warning->attributes().at("feature_coverage"), "0.7000");
  EXPECT_FALSE(monitor.observe(r));
  EXPECT_FALSE(monitor.observe(r));
  EXPECT_TRUE(monitor.observe(r)) << "repeated after 3 decisions";
  r.average = 0.4;
  auto high = monitor.observe(r);
  ASSERT_TRUE(high);
  EXPECT_EQ(high->level(), proto::SEVERITY_HIGH);
  EXPECT_NE(high->event_id(), warning->event_id());
  r.average = 0.1;
  EXPECT_EQ(monitor.observe(r)->level(), proto::SEVERITY_CRITICAL);
  r.average = 0.95;
  EXPECT_FALSE(monitor.observe(r)) << "recovered: nothing raised";
}

TEST(TamiyoServiceTest, SchedulePhasesDriveCoverageAndEscalation) {
  TamiyoOptions options;
  options.coverage_schedule = {1.0, 0.65, 0.35};
  options.decisions_per_phase = 5;
  TamiyoService service(options);
  std::vector<proto::Severity> raised;
  for (int i = 0; i < 15; ++i) {
    auto d = service.decide();
    if (d.degraded) raised.push_back(d.degraded->level());
    auto points = by_name(d);
    EXPECT_EQ(points.at("tamiyo.gnn.feature_coverage").value(), d.coverage.average);
    EXPECT_EQ(points.at("tamiyo.gnn.feature_coverage").step(), d.index);
    EXPECT_EQ(d.command.feature_coverage(), d.coverage.average);
    for (const auto& [type, ratio] : d.command.coverage_types()) {
      EXPECT_EQ(points.at("tamiyo.gnn.feature_coverage." + type).value(), ratio);
    }
  }
  EXPECT_EQ(raised, (std::vector<proto::Severity>{proto::SEVERITY_WARNING, proto::SEVERITY_HIGH}));
}

TEST(TamiyoServiceTest, CompiledPlanReportsWarmUpAndNoFallback) {
  TamiyoService service({});
  auto points = by_name(service.decide());
  EXPECT_EQ(points.at("tamiyo.gnn.compile_enabled").value(), 1.0);
  EXPECT_EQ(points.at("tamiyo.gnn.compile_enabled").unit(), "bool");
  ASSERT_TRUE(points.contains("tamiyo.gnn.compile_warm_ms"));
  EXPECT_GT(points.at("tamiyo.gnn.compile_warm_ms").value(), 0.0);
  EXPECT_FALSE(points.contains("tamiyo.gnn.compile_fallback_total")) << "absent when zero";
}

TEST(TamiyoServiceTest, PlanTooSmallFallsBackToEagerWithTheSameDecisions) {
  TamiyoOptions small;
  small.compile_capacity = 4;  // 16 nodes do not fit.
  TamiyoService eager(small), compiled({});
  for (int i = 0; i < 5; ++i) {
    auto a = eager.decide(), b = compiled.decide();
    EXPECT_EQ(a.command.seed_id(), b.command.seed_id()) << "eager and compiled paths disagree";
    auto points = by_name(a);
    EXPECT_EQ(points.at("tamiyo.gnn.compile_enabled").value(), 0.0);
    EXPECT_EQ(points.at("tamiyo.gnn.compile_fallback_total").value(), 1.0);
    EXPECT_EQ(points.at("tamiyo.gnn.compile_fallback_total").unit(), "count");
    EXPECT_FALSE(points.contains("tamiyo.gnn.compile_warm_ms"));
  }
  TamiyoOptions off;
  off.compile = false;
  auto points = by_name(TamiyoService(off).decide());
  EXPECT_EQ(points.at("tamiyo.gnn.compile_enabled").value(), 0.0);
  EXPECT_FALSE(points.contains("tamiyo.gnn.compile_fallback_total")) << "eager by choice is no fallback";
}

TEST(TamiyoServiceTest, FieldReportEvaluatesTheCommand) {
  TamiyoService service({});
  const auto d = service.decide();
  const auto r = service.field_report(d, 3);
  EXPECT_EQ(r.command_id(), d.command.command_id());
  EXPECT_EQ(r.seed_id(), d.command.seed_id());
  EXPECT_EQ(r.target_epochs(), 3u);
  EXPECT_EQ(r.outcome(), proto::FIELD_REPORT_OUTCOME_SUCCESS);
  EXPECT_EQ(r.metrics().at("feature_coverage"), d.coverage.average);
  EXPECT_TRUE(r.report_id().empty()) << "the outbox assigns ids";
}

}  // namespace
}  // namespace esper::tamiyo
