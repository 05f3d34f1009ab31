// The alert engine on its own: each rule kind fires once per excursion and re-arms, drift on a
// recorded feature stream fires only when the stream shifts, reconfiguration resets baselines and
// history, and the `alerts:` config section rejects bad rules naming file, key and line.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config_error.h"
#include "config/config_section.h"
#include "nissa/serve/analytics_queries.h"
#include "nissa/analytics/alert_engine.h"
#include "nissa/core/nissa_config.h"
#include "proto/metric_point.h"

namespace esper::nissa {
namespace {

std::vector<double> recorded_stream() {
  std::ifstream in(std::string(ESPER_SOURCE_DIR) + "/tests/nissa/data/gradient_norm_stream.txt");
  std::vector<double> values;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') values.push_back(std::stod(line));
  }
  return values;
}

AlertRules parse_rules(const std::string& yaml) {
  auto root = config::parse_text(yaml, "alerts.yaml");
  auto section = root.section("alerts");
  AlertRules rules = read_alert_rules(section);
  root.finish();
  return rules;
}

const char* kDriftYaml = R"(alerts:
  drift:
    - name: grad_drift
      metric: gradient_norm
      source: tolaria
      warmup: 100
      window: 20
      z_threshold: 3
)";

std::vector<Alert> replay(AlertEngine& engine, const std::vector<double>& values, double shift, std::size_t shift_from) {
  std::vector<Alert> raised;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = values[i] + (i >= shift_from ? shift : 0.0);
    engine.observe("tolaria", proto::make_point("gradient_norm", v, "grad"), 1'000 * static_cast<std::int64_t>(i), raised);
  }
  return raised;
}

TEST(AlertEngineTest, AnAlertSurvivesItsEventAndRestoredAlertsKeepIdsIncreasing) {
  Alert a;
  a.id = 41;
  a.kind = AlertKind::kRegression;
  a.rule = "loss_regression";
  a.event = "performance_regression";
  a.severity = proto::SEVERITY_CRITICAL;
  a.source = "tolaria";
  a.metric = "loss";
  a.attributes = {{"run", "r7"}, {"seed_id", "s3"}};
  a.series = "tolaria/loss{run=r7,seed_id=s3}";
  a.value = 1.5;
  a.baseline = 1.0;
  a.score = 5;
  a.time_ms = 1'700'000'000'123;
  a.message = "loss 1.5 worse than baseline 1 for 5 samples";
  const Alert back = alert_from_event(alert_event(a));
  EXPECT_EQ(back.id, a.id);
  EXPECT_EQ(back.kind, a.kind);
  EXPECT_EQ(back.rule, a.rule);
  EXPECT_EQ(back.event, a.event);
  EXPECT_EQ(back.severity, a.severity);
  EXPECT_EQ(back.source, a.source);
  EXPECT_EQ(back.metric, a.metric);
  EXPECT_EQ(back.attributes, a.attributes);
  EXPECT_EQ(back.series, a.series);
  EXPECT_DOUBLE_EQ(back.value, a.value);
  EXPECT_DOUBLE_EQ(back.baseline, a.baseline);
  EXPECT_DOUBLE_EQ(back.score, a.score);
  EXPECT_EQ(back.time_ms, a.time_ms);
  EXPECT_EQ(back.message, a.message);

  AlertEngine engine(parse_rules(R"(alerts:
  threshold:
    - {name: hot, metric: temp, comparison: ">", value: 90}
)"));
  engine.restore(back);
  ASSERT_EQ(engine.log().alerts().size(), 1u);
  EXPECT_TRUE(engine.raised_total().empty()) << "restoring is not raising";
  std::vector<Alert> raised;
  engine.observe("gpu", proto::make_point("temp", 95, "C"), 1, raised);
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].id, 42u);
  engine.clear_log();
  EXPECT_TRUE(engine.log().alerts().empty());
}

TEST(AlertEngineTest, RecordedStreamRaisesOneDriftAlertOnlyWhenShifted) {
  const auto values = recorded_stream();
  ASSERT_EQ(values.size(), 400u) << "recorded stream missing";
  {
    AlertEngine engine(parse_rules(kDriftYaml));
    EXPECT_TRUE(replay(engine, values, 0.0, 0).empty()) << "drift raised on a stationary stream";
  }
  AlertEngine engine(parse_rules(kDriftYaml));
  const auto raised = replay(engine, values, 0.5, 200);  // +5 baseline stddevs after warm-up.
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].kind, AlertKind::kDrift);
  EXPECT_EQ(raised[0].rule, "grad_drift");
  EXPECT_EQ(raised[0].event, "feature_drift");
  EXPECT_EQ(raised[0].severity, proto::SEVERITY_WARNING);
  EXPECT_GT(raised[0].score, 3.0);
  EXPECT_GE(raised[0].time_ms, 200'000);
  EXPECT_NEAR(raised[0].baseline, 1.0, 0.05);
  EXPECT_EQ(engine.log().alerts().size(), 1u);
}

TEST(AlertEngineTest, OtherSourcesAndMetricsAreNotSelected) {
  AlertEngine engine(parse_rules(kDriftYaml));
  std::vector<Alert> raised;
  for (int i = 0; i < 300; ++i) {
    engine.observe("kasmina", proto::make_point("gradient_norm", i < 150 ? 1 : 100, "grad"), i, raised);
    engine.observe("tolaria", proto::make_point("loss", i < 150 ? 1 : 100, "loss"), i, raised);
  }
  EXPECT_TRUE(raised.empty());
  EXPECT_EQ(engine.evaluations_total(), 0u);
}

TEST(AlertEngineTest, RegressionNeedsNConsecutiveSamplesOutsideTheBand) {
  AlertEngine engine(parse_rules(R"(alerts:
  regression:
    - name: loss_up
      metric: loss
      direction: higher_is_worse
      warmup: 10
      tolerance: 0.1
      consecutive: 5
)"));
  std::vector<Alert> raised;
  std::int64_t t = 0;
  auto feed = [&](double v, int n) {
    for (int i = 0; i < n; ++i) engine.observe("tolaria", proto::make_point("loss", v, "loss"), ++t, raised);
  };
  feed(1.0, 10);   // Baseline 1.0, band [0.9, 1.1].
  feed(1.2, 4);    // Four bad samples...
  feed(1.05, 1);   // ...broken by one inside the band.
  feed(0.5, 10);   // Better, not worse: never a regression.
  feed(1.2, 4);
  EXPECT_TRUE(raised.empty());
  feed(1.2, 1);    // The fifth in a row.
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].severity, proto::SEVERITY_CRITICAL);
  EXPECT_EQ(raised[0].event, "performance_regression");
  EXPECT_DOUBLE_EQ(raised[0].score, 5);
  feed(1.2, 20);   // Still regressed: no second alert.
  EXPECT_EQ(raised.size(), 1u);
  feed(1.0, 1);    // Recovered: re-armed.
  feed(1.3, 5);
  EXPECT_EQ(raised.size(), 2u);
}

TEST(AlertEngineTest, ThresholdHoldsForTheDurationAndFiltersAttributes) {
  AlertEngine engine(parse_rules(R"(alerts:
  threshold:
    - name: slow_ttft
      metric: ttft_ms
      attributes: {model: m1}
      comparison: ">"
      value: 500
      for: 10s
      severity: high
)"));
  std::vector<Alert> raised;
  auto at = [&](std::int64_t t, double v, const std::string& model) {
    engine.observe("uma-serve", proto::make_point("ttft_ms", v, "ms", proto::METRIC_KIND_HISTOGRAM, {{"model", model}}),
                   t, raised);
  };
  at(0, 600, "m2");       // Other model: ignored.
  at(0, 600, "m1");       // Starts holding.
  at(9'999, 700, "m1");
  EXPECT_TRUE(raised.empty());
  at(10'000, 700, "m1");  // Held 10 s.
  ASSERT_EQ(raised.size(), 1u);
  EXPECT_EQ(raised[0].severity, proto::SEVERITY_HIGH);
  EXPECT_DOUBLE_EQ(raised[0].baseline, 500);
  at(20'000, 800, "m1");
  EXPECT_EQ(raised.size(), 1u);
  at(21'000, 100, "m1");  // Resolved, then holds again from 22 s.
  at(22'000, 900, "m1");
  at(31'000, 900, "m1");
  EXPECT_EQ(raised.size(), 1u);
  at(32'000, 900, "m1");
  EXPECT_EQ(raised.size(), 2u);
}

TEST(AlertEngineTest, CoverageEscalatesLikeDegradedInputs) {
  AlertEngine engine(parse_rules(R"(alerts:
  coverage:
    - name: gnn_coverage
      metric: tamiyo.gnn.feature_coverage
      warning_below: 0.9
      high_below: 0.7
      critical_below: 0.5
)"));
  std::vector<Alert> raised;
  std::int64_t t = 0;
  for (double v : {0.95, 0.85, 0.8, 0.6, 0.65, 0.4, 0.3, 0.95, 0.6}) {
    engine.observe("tamiyo", proto::make_point("tamiyo.gnn.feature_coverage", v, "ratio"), ++t, raised);
  }
  ASSERT_EQ(raised.size(), 4u);
  EXPECT_EQ(raised[0].severity, proto::SEVERITY_WARNING);
  EXPECT_EQ(raised[1].severity, proto::SEVERITY_HIGH);
  EXPECT_EQ(raised[2].severity, proto::SEVERITY_CRITICAL);
  EXPECT_EQ(raised[3].severity, proto::SEVERITY_HIGH);  // After recovery, a new excursion.
  EXPECT_EQ(raised[0].event, "degraded_inputs");
  const auto event = alert_event(raised[2]);
  EXPECT_EQ(event.description(), "degraded_inputs");
  EXPECT_EQ(event.level(), proto::SEVERITY_CRITICAL);
  EXPECT_EQ(event.attributes().at("rule"), "gnn_coverage");
}

TEST(AlertEngineTest, ReconfigureResetsBaselinesAndHistoryButNotCounters) {
  AlertEngine engine(parse_rules(kDriftYaml));
  const auto values = recorded_stream();
  ASSERT_EQ(replay(engine, values, 0.5, 200).size(), 1u);
  engine.reconfigure(parse_rules(kDriftYaml));
  EXPECT_TRUE(engine.log().alerts().empty());
  // The shifted level is the new baseline: the same shifted stream is stationary now.
  std::vector<double> shifted(values.begin(), values.end());
  for (double& v : shifted) v += 0.5;
  EXPECT_TRUE(replay(engine, shifted, 0.0, 0).empty());
  EXPECT_EQ(engine.raised_total().at({"grad_drift", proto::SEVERITY_WARNING}), 1u);
}

TEST(AlertEngineTest, AlertLogIsBoundedAndQueryable) {
  AlertLog log(2);
  for (int i = 1; i <= 3; ++i) {
    Alert a;
    a.id = static_cast<std::uint64_t>(i);
    a.rule = "r" + std::to_string(i);
    a.severity = i == 3 ? proto::SEVERITY_CRITICAL : proto::SEVERITY_WARNING;
    log.add(a);
  }
  EXPECT_EQ(log.alerts().size(), 2u);
  EXPECT_EQ(log.dropped(), 1u);
  auto reply = alerts_reply(log, {{"min_severity", "critical"}});
  EXPECT_EQ(reply.status, 200);
  EXPECT_NE(reply.body.find("\"r3\""), std::string::npos);
  EXPECT_EQ(reply.body.find("\"r2\""), std::string::npos);
  EXPECT_EQ(alerts_reply(log, {{"bogus", "1"}}).status, 400);
}

TEST(AlertEngineTest, AnAlertFiresUntilItsRuleReArmsThenIsResolvedAtThatPointsTime) {
  AlertEngine engine(parse_rules(R"(alerts:
  threshold:
    - {name: hot, metric: temp, comparison: ">", value: 90}
  coverage:
    - {name: cov, metric: coverage, warning_below: 0.9, high_below: 0.7, critical_below: 0.5}
)"));
  std::vector<Alert> raised;
  const auto temp = [&](const std::string& gpu, double v, std::int64_t t) {
    engine.observe("gpu", proto::make_point("temp", v, "C", proto::METRIC_KIND_GAUGE, {{"gpu", gpu}}), t, raised);
  };
  const auto state_of = [&](std::uint64_t id) {
    for (const Alert& a : engine.log().alerts()) {
      if (a.id == id) return std::pair{a.state, a.resolved_ms};
    }
    return std::pair{AlertState::kUnknown, std::int64_t{-1}};
  };
  temp("0", 95, 1'000);
  temp("1", 99, 1'500);
  ASSERT_EQ(raised.size(), 2u);
  temp("0", 96, 2'000);  // Still hot: still firing.
  EXPECT_EQ(state_of(1).first, AlertState::kFiring);
  temp("0", 50, 3'000);  // Back below: resolved at 3 s; gpu 1 is still firing.
  EXPECT_EQ(state_of(1), (std::pair{AlertState::kResolved, std::int64_t{3'000}}));
  EXPECT_EQ(state_of(2).first, AlertState::kFiring);
  temp("0", 97, 4'000);  // A new excursion: a new alert, the old one stays resolved.
  ASSERT_EQ(raised.size(), 3u);
  EXPECT_EQ(state_of(1).second, 3'000);
  EXPECT_EQ(state_of(3).first, AlertState::kFiring);

  // Coverage: a higher level supersedes the lower level's alert; back to none resolves the last.
  for (const auto& [v, t] : std::vector<std::pair<double, std::int64_t>>{{0.8, 5'000}, {0.6, 6'000}, {0.85, 7'000}, {0.95, 8'000}}) {
    engine.observe("tamiyo", proto::make_point("coverage", v, "ratio"), t, raised);
  }
  ASSERT_EQ(raised.size(), 5u);
  EXPECT_EQ(state_of(4), (std::pair{AlertState::kResolved, std::int64_t{6'000}}));
  EXPECT_EQ(state_of(5), (std::pair{AlertState::kResolved, std::int64_t{8'000}})) << "0.85 is still degraded; 0.95 is not";

  // The API: state and since_ms on each alert, and state= filters.
  const auto ids = [&](const QueryParams& params) {
    const QueryReply r = alerts_reply(engine.log(), params);
    EXPECT_EQ(r.status, 200) << r.body;
    const nlohmann::json body = nlohmann::json::parse(r.body);
    std::vector<std::uint64_t> out;
    for (const auto& a : body["alerts"]) out.push_back(a["id"]);
    return out;
  };
  EXPECT_EQ(ids({{"state", "firing"}}), (std::vector<std::uint64_t>{2, 3}));
  EXPECT_EQ(ids({{"state", "resolved"}}), (std::vector<std::uint64_t>{1, 4, 5}));
  const auto first = nlohmann::json::parse(alerts_reply(engine.log(), {{"limit", "1"}, {"state", "resolved"}}).body)["alerts"][0];
  EXPECT_EQ(first["state"], "resolved");
  EXPECT_EQ(first["since_ms"], 8'000);
  const QueryReply bad = alerts_reply(engine.log(), {{"state", "open"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("firing, resolved or unknown"), std::string::npos) << bad.body;

  // Restored from the WAL, an alert's state is unknown: the engine's did not survive the restart.
  AlertEngine restarted(parse_rules(R"(alerts:
  threshold:
    - {name: hot, metric: temp, comparison: ">", value: 90}
)"));
  restarted.restore(engine.log().alerts().back());
  EXPECT_EQ(restarted.log().alerts().back().state, AlertState::kUnknown);
}

void expect_config_error(const std::string& yaml, const std::string& key, int line) {
  try {
    load_nissa_config(config::parse_text(yaml, "nissa.yaml"), std::filesystem::path("/tmp"), std::filesystem::path("/tmp"));
    ADD_FAILURE() << "accepted:\n" << yaml;
  } catch (const config::ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("nissa.yaml"), std::string::npos) << what;
    EXPECT_NE(what.find(key), std::string::npos) << what;
    EXPECT_NE(what.find(":" + std::to_string(line)), std::string::npos) << what;
  }
}

TEST(AlertRulesConfigTest, ErrorsNameFileKeyAndLine) {
  expect_config_error("alerts:\n  threshold:\n    - name: a\n      metric: m\n      comparison: '=~'\n      value: 1\n",
                      "comparison", 5);
  expect_config_error("alerts:\n  drift:\n    - name: d\n      metric: m\n      window: 0\n", "window", 5);
  expect_config_error("alerts:\n  regression:\n    - name: r\n      metric: m\n      direction: sideways\n",
                      "direction", 5);
  expect_config_error("alerts:\n  coverage:\n    - name: c\n      metric: m\n      colour: red\n", "colour", 5);
  expect_config_error("alerts:\n  drift:\n    - name: x\n      metric: m\n  threshold:\n    - name: x\n"
                      "      metric: m\n      comparison: '>'\n      value: 1\n", "drift[0].name", 3);
  expect_config_error("unix_socket:\n  mode: rw\n", "mode", 2);
  expect_config_error("schema_contracts:\n  - name: c\n    source: s\n    required: []\n    require_step: false\n",
                      "required", 4);
}

TEST(AlertRulesConfigTest, FullSectionParses) {
  const auto c = load_nissa_config(config::parse_text(R"(alerts:
  log_capacity: 50
  threshold:
    - {name: t, metric: m, comparison: '<=', value: 2, for: 1s, severity: critical, source: s, attributes: {a: b}}
  drift: [{name: d, metric: m}]
  regression: [{name: r, metric: m, direction: lower_is_worse}]
  coverage: [{name: c, metric: m}]
schema_contracts:
  - {name: k, source: s, category: EVALUATOR, required: [x]}
unix_socket: {path: /tmp/x.sock, mode: '0600', read_timeout: 20ms}
sessions: {fps_metric: fps, excusable_errors: [Boom]}
)", "nissa.yaml"), std::filesystem::path("/tmp"), std::filesystem::path("/tmp"));
  EXPECT_EQ(c.alerts.size(), 4u);
  EXPECT_EQ(c.alerts.log_capacity, 50u);
  EXPECT_EQ(c.alerts.threshold[0].comparison, Comparison::kLessEqual);
  EXPECT_EQ(c.alerts.threshold[0].hold, std::chrono::seconds(1));
  EXPECT_EQ(c.alerts.regression[0].direction, Direction::kLowerIsWorse);
  ASSERT_EQ(c.schema_contracts.size(), 1u);
  EXPECT_EQ(c.schema_contracts[0].category, "EVALUATOR");
  ASSERT_TRUE(c.unix_socket.has_value());
  EXPECT_EQ(c.unix_socket->mode, 0600u);
  EXPECT_EQ(c.unix_socket->read_timeout, std::chrono::milliseconds(20));
  EXPECT_EQ(c.sessions.fps_metric, "fps");
  EXPECT_EQ(c.sessions.excusable_errors[0], "boom");
}

// The commented examples of the new sections in deploy/config/nissa.yaml, uncommented, parse.
TEST(AlertRulesConfigTest, ShippedCommentedExamplesParse) {
  std::ifstream in(std::string(ESPER_SOURCE_DIR) + "/deploy/config/nissa.yaml");
  std::string line, text;
  bool in_example = false;
  while (std::getline(in, line)) {
    for (const char* top : {"# alerts:", "# schema_contracts:", "# sessions:", "# unix_socket:"}) {
      if (line.rfind(top, 0) == 0) in_example = true;
    }
    if (line.empty()) in_example = false;
    if (in_example && line.rfind("# ", 0) == 0) text += line.substr(2) + "\n";
  }
  ASSERT_NE(text.find("alerts:"), std::string::npos);
  const auto c = load_nissa_config(config::parse_text(text, "nissa.yaml (examples)"), std::filesystem::path("/run/x"),
                                   std::filesystem::path("/var/x"));
  EXPECT_EQ(c.alerts.threshold.size(), 1u);
  EXPECT_EQ(c.alerts.drift.size(), 1u);
  EXPECT_EQ(c.alerts.regression.size(), 1u);
  EXPECT_EQ(c.alerts.coverage.size(), 1u);
  EXPECT_EQ(c.schema_contracts.size(), 1u);
  ASSERT_TRUE(c.unix_socket.has_value());
  EXPECT_EQ(c.unix_socket->mode, 0660u);
  EXPECT_EQ(c.sessions.excusable_errors.size(), 6u);
}

}  // namespace
}  // namespace esper::nissa
