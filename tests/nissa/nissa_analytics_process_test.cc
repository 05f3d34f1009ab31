// Nissa's analytics as real processes: a real oona, a real nissa configured with alert rules,
// schema contracts and the Unix-socket endpoint, a producer publishing through Oona, and a
// BusSubscriber checking which lane Nissa's alerts travel on.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <string>
#include <vector>

#include "proto/metric_point.h"
#include "tests/nissa/unix_socket_client.h"
#include "tests/support/nissa_process.h"
#include "tests/support/wait_until.h"

namespace esper::nissa::testing {
namespace {

using esper::testing::wait_until;
using oona::testing::OonaProcess;

std::vector<double> recorded_stream() {
  std::ifstream in(std::string(ESPER_SOURCE_DIR) + "/tests/nissa/data/gradient_norm_stream.txt");
  std::vector<double> values;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') values.push_back(std::stod(line));
  }
  return values;
}

std::string rules_yaml() {
  return R"(alerts:
  drift:
    - {name: grad_drift, metric: gradient_norm, source: tolaria, warmup: 100, window: 20, z_threshold: 3}
  regression:
    - {name: loss_regression, metric: loss, source: tolaria, direction: higher_is_worse, warmup: 10,
       tolerance: 0.1, consecutive: 5}
schema_contracts:
  - {name: ppo_evaluator, source: rl-trainer, category: EVALUATOR, required: [mean_return, episodes]}
)";
}

class NissaAnalyticsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(oona_.ready()) << "oona did not start";
    socket_ = dir_ / "nissa.sock";
    start_nissa();
    producer_ = std::make_unique<oona::BusPublisher>(oona::testing::publisher_options(oona_.endpoints(), "tolaria"));
    // Until the producer's connection has reached Oona and Oona's Nissa's, early envelopes may be
    // lost: resend a warm-up point until Nissa has it.
    ASSERT_TRUE(wait_until([&] {
      producer_->publish(packet({proto::make_point("warmup", 1, "count")}));
      const json j = nissa_->get_json("/api/v1/series?metric=warmup");
      return j.is_object() && !j["series"].empty();
    }, 20s)) << "nissa never saw the warm-up point";
  }

  // Starts nissa, or starts it again on the same state directory.
  void start_nissa() {
    if (nissa_) {
      ASSERT_EQ(esper::testing::describe_status(nissa_->process().stop()), "exit 0");
    }
    nissa_ = std::make_unique<NissaProcess>(oona_.dir().path(), dir_ / "state",
                                            rules_yaml() + "unix_socket: {path: " + socket_.string() + "}\n");
    ASSERT_TRUE(nissa_->ready()) << "nissa did not print its ready line";
  }

  // Number of points of `metric` Nissa has, for the series matching `query`.
  double count(const std::string& query) {
    const json j = nissa_->get_json("/api/v1/series?" + query);
    if (!j.is_object() || j["series"].empty()) return 0;
    return j["series"][0]["count"].get<double>();
  }

  json alerts(const std::string& query = "") { return nissa_->get_json("/api/v1/alerts" + query)["alerts"]; }

  OonaProcess oona_;
  esper::testing::TempDir dir_;
  std::filesystem::path socket_;
  std::unique_ptr<NissaProcess> nissa_;
  std::unique_ptr<oona::BusPublisher> producer_;
};

TEST_F(NissaAnalyticsTest, RecordedStreamRaisesExactlyOneDriftAlertOnlyForTheShiftedRun) {
  const auto values = recorded_stream();
  ASSERT_EQ(values.size(), 400u);
  for (std::size_t i = 0; i < values.size(); ++i) {
    auto steady = proto::make_point("gradient_norm", values[i], "grad", proto::METRIC_KIND_GAUGE, {{"run", "steady"}});
    auto shifted = proto::make_point("gradient_norm", values[i] + (i >= 200 ? 0.5 : 0.0), "grad",
                                    proto::METRIC_KIND_GAUGE, {{"run", "shifted"}});
    steady.set_step(i);
    shifted.set_step(i);
    ASSERT_TRUE(producer_->publish(packet({steady, shifted})));
  }
  ASSERT_TRUE(wait_until([&] {
    return count("metric=gradient_norm&attr.run=steady") == 400 && count("metric=gradient_norm&attr.run=shifted") == 400;
  }, 20s)) << "nissa has " << count("metric=gradient_norm&attr.run=shifted") << " of 400 shifted points";
  const json list = alerts();
  ASSERT_EQ(list.size(), 1u) << list.dump(2);
  EXPECT_EQ(list[0]["rule"], "grad_drift");
  EXPECT_EQ(list[0]["kind"], "drift");
  EXPECT_EQ(list[0]["attributes"]["run"], "shifted");
  EXPECT_EQ(list[0]["severity"], "warning");
  EXPECT_GT(list[0]["score"].get<double>(), 3);

  // The alert is in the event log too, and in the Prometheus exposition once the next own-telemetry
  // tick has run.
  const json events = nissa_->get_json("/api/v1/events?source=nissa&min_severity=warning");
  ASSERT_TRUE(events.is_object()) << events.dump();
  EXPECT_NE(events.dump().find("feature_drift"), std::string::npos) << events.dump(2);
  ASSERT_TRUE(wait_until([&] {
    return nissa_->get_text("/metrics").find("esper_nissa_alerts_total{source=\"nissa\",rule=\"grad_drift\",severity=\"warning\"} 1") !=
           std::string::npos;
  }, 10s)) << nissa_->get_text("/metrics");

  // Reconfiguring resets baselines and history.
  auto res = nissa_->post_admin("/api/v1/admin/reload");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_TRUE(alerts().empty());
}

TEST_F(NissaAnalyticsTest, RegressionRaisesCriticalOnTheEmergencyLane) {
  oona::BusSubscriber watcher(oona::testing::subscriber_options(oona_.endpoints()));
  ASSERT_TRUE(oona::testing::connect(oona_.endpoints(), watcher));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(producer_->publish(packet({proto::make_point("loss", 1.0, "loss")})));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(producer_->publish(packet({proto::make_point("loss", 1.5, "loss")})));
  ASSERT_TRUE(wait_until([&] { return count("metric=loss") == 14; }, 20s));
  EXPECT_TRUE(alerts().empty()) << "four bad samples are not a regression yet";
  ASSERT_TRUE(producer_->publish(packet({proto::make_point("loss", 1.5, "loss")})));

  std::optional<oona::BusMessage> alert;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!alert && std::chrono::steady_clock::now() < deadline) {
    auto m = watcher.receive_from(proto::Lane::kEmergency, 50ms);
    if (m && m->envelope.source() == "nissa" && m->envelope.has_event()) alert = std::move(m);
  }
  ASSERT_TRUE(alert) << "no alert from nissa on the emergency lane";
  EXPECT_EQ(alert->socket, proto::Lane::kEmergency);
  EXPECT_EQ(alert->envelope.severity(), proto::SEVERITY_CRITICAL);
  const auto& event = alert->envelope.event();
  EXPECT_EQ(event.description(), "performance_regression");
  EXPECT_EQ(event.level(), proto::SEVERITY_CRITICAL);
  EXPECT_EQ(event.attributes().at("rule"), "loss_regression");
  EXPECT_EQ(event.attributes().at("series_source"), "tolaria");
  const json list = alerts("?min_severity=critical");
  ASSERT_EQ(list.size(), 1u) << list.dump(2);
}

TEST_F(NissaAnalyticsTest, AlertsSurviveARestartAndAReloadClearsThemForGood) {
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(producer_->publish(packet({proto::make_point("loss", 1.0, "loss")})));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(producer_->publish(packet({proto::make_point("loss", 1.5, "loss")})));
  ASSERT_TRUE(wait_until([&] { return alerts().size() == 1; }, 20s)) << alerts().dump(2);
  const json before = alerts()[0];

  start_nissa();  // Again: the alert comes back from the WAL.
  const json after = alerts();
  ASSERT_EQ(after.size(), 1u) << after.dump(2);
  for (const char* field : {"id", "kind", "rule", "event", "severity", "source", "metric", "series",
                            "attributes", "value", "baseline", "score", "time_ms", "message"}) {
    EXPECT_EQ(after[0][field], before[field]) << field;
  }
  const json events = nissa_->get_json("/api/v1/events?source=nissa&min_severity=critical");
  EXPECT_NE(events.dump().find("performance_regression"), std::string::npos) << events.dump(2);

  // A reload clears the alert history, and it stays cleared across the next restart.
  auto res = nissa_->post_admin("/api/v1/admin/reload");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_TRUE(alerts().empty());
  start_nissa();
  EXPECT_TRUE(alerts().empty()) << alerts().dump(2);
}

TEST_F(NissaAnalyticsTest, MissingRequiredKeyIsCountedAndReportedAsWarning) {
  oona::BusPublisher trainer(oona::testing::publisher_options(oona_.endpoints(), "rl-trainer"));
  oona::BusSubscriber watcher(oona::testing::subscriber_options(oona_.endpoints()));
  ASSERT_TRUE(oona::testing::connect(oona_.endpoints(), watcher));
  auto mean_return = proto::make_point("mean_return", 12.5, "return", proto::METRIC_KIND_GAUGE, {{"category", "EVALUATOR"}});
  mean_return.set_step(100);
  // Resent until Nissa has it (the new publisher's connection may not be up yet); every copy that
  // arrives is a violation.
  ASSERT_TRUE(wait_until([&] {
    trainer.publish(packet({mean_return}));
    return count("metric=mean_return&source=rl-trainer") > 0;
  }, 20s));
  const double sent = count("metric=mean_return&source=rl-trainer");

  std::optional<oona::BusMessage> warning;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!warning && std::chrono::steady_clock::now() < deadline) {
    auto m = watcher.receive(50ms);
    if (m && m->envelope.source() == "nissa" && m->envelope.has_event() &&
        m->envelope.event().description() == "schema_violation") {
      warning = std::move(m);
    }
  }
  ASSERT_TRUE(warning) << "no schema_violation event from nissa on the bus";
  EXPECT_EQ(warning->envelope.severity(), proto::SEVERITY_WARNING);
  EXPECT_EQ(warning->socket, proto::Lane::kNormal);
  EXPECT_EQ(warning->envelope.event().attributes().at("key"), "episodes");
  EXPECT_EQ(warning->envelope.event().attributes().at("reason"), "missing_key");

  const std::string series =
      "esper_nissa_schema_violations_total{source=\"nissa\",contract=\"ppo_evaluator\",key=\"episodes\","
      "producer=\"rl-trainer\",reason=\"missing_key\"} ";
  std::string metrics;
  ASSERT_TRUE(wait_until([&] {
    metrics = nissa_->get_text("/metrics");
    const auto at = metrics.find(series);
    return at != std::string::npos && std::stod(metrics.substr(at + series.size())) >= sent;
  }, 10s)) << "no counter " << series << " >= " << sent << " in\n" << metrics;
  const json events = nissa_->get_json("/api/v1/events?source=nissa&min_severity=warning");
  EXPECT_NE(events.dump().find("schema_violation"), std::string::npos) << events.dump(2);
}

TEST_F(NissaAnalyticsTest, UnixSocketAnswersBothModesAndErrors) {
  const auto line = unix_request(socket_, "metrics\n");
  ASSERT_TRUE(line.connected) << "cannot connect to " << socket_;
  ASSERT_TRUE(line.closed);
  ASSERT_FALSE(line.body.empty());
  EXPECT_EQ(line.body.back(), '\n');
  EXPECT_EQ(line.body.find('\n'), line.body.size() - 1) << "newline mode answers one line";
  const json flat = json::parse(line.body);
  EXPECT_GE(flat["points_total"].get<double>(), 1);
  EXPECT_EQ(flat["alert_rules"], 2);

  const auto framed = unix_request(socket_, "{\"type\":\"metrics\"}");
  ASSERT_TRUE(framed.closed);
  const json j = json::parse(framed.body);
  EXPECT_EQ(j["event"], "metrics");
  EXPECT_GE(j["metrics"]["points_total"].get<double>(), 1);
  const auto by_event = unix_request(socket_, "{\"event\":\"metrics\"}\n");
  EXPECT_EQ(json::parse(by_event.body)["event"], "metrics");

  for (const std::string bad : {"hello\n", "{\"type\":\"nope\"}", "{not json}\n", "metr"}) {
    const auto r = unix_request(socket_, bad);
    ASSERT_TRUE(r.closed) << bad;
    EXPECT_LT(r.elapsed, 100ms) << bad;
    const json e = json::parse(r.body, nullptr, false);
    EXPECT_TRUE(e.is_object() && e.contains("error")) << bad << " -> " << r.body;
  }
  struct stat st {};
  ASSERT_EQ(::stat(socket_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST_F(NissaAnalyticsTest, BrokenConfigReloadIsRefusedAndSighupReloads) {
  const auto config = (dir_ / "state").parent_path() / "nissa.yaml";
  std::string original;
  {
    std::ifstream in(config);
    original.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::ofstream(config, std::ios::app) << "alerts_typo: 1\n";
  auto res = nissa_->post_admin("/api/v1/admin/reload");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  const json refused = json::parse(res->body);
  EXPECT_EQ(refused["reloaded"], false);
  EXPECT_NE(refused["error"].get<std::string>().find("alerts_typo"), std::string::npos) << res->body;

  std::ofstream(config) << original;
  nissa_->process().signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] {
    const auto line = unix_request(socket_, "metrics\n");
    const json j = json::parse(line.body, nullptr, false);
    return j.is_object() && j["reloads_total"] == 1;
  }, 10s)) << "SIGHUP did not reload";
}

TEST_F(NissaAnalyticsTest, SessionViewsServeWhatTheGatewaySent) {
  oona::BusPublisher gateway(oona::testing::publisher_options(oona_.endpoints(), "stream-gateway"));
  auto send = [&](const std::string& name, const std::string& stream, std::map<std::string, std::string> extra = {}) {
    proto::Envelope e;
    e.set_severity(proto::SEVERITY_INFO);
    auto* event = e.mutable_event();
    event->set_description(name);
    event->set_level(proto::SEVERITY_INFO);
    event->set_timestamp_unix_ns(proto::now_unix_ns());
    auto& a = *event->mutable_attributes();
    a["stream_id"] = stream;
    a["request_id"] = "req-" + stream;
    a["region"] = "eu";
    a["pipeline"] = "live-video";
    a["model_id"] = "sd-turbo";
    a["gpu_id"] = "gpu-7";
    a["gateway"] = "gw1";
    for (auto& [k, v] : extra) a[k] = v;
    return gateway.publish(std::move(e));
  };
  // The gateway's connection may not be up yet: resend its first (idempotent) event until seen.
  ASSERT_TRUE(wait_until([&] {
    send("gateway_receive_stream_request", "a");
    const json j = nissa_->get_json("/api/v1/views/sla/compliance");
    return j.is_object() && !j["groups"].empty();
  }, 20s));
  ASSERT_TRUE(send("gateway_receive_few_processed_segments", "a"));
  ASSERT_TRUE(send("gateway_receive_stream_request", "b"));
  ASSERT_TRUE(send("gateway_no_orchestrators_available", "b"));
  ASSERT_TRUE(send("gateway_receive_stream_request", "c"));
  ASSERT_TRUE(send("error", "c", {{"error", "decoder crashed"}}));
  ASSERT_TRUE(send("orchestrator_swap", "c"));
  json sla;
  ASSERT_TRUE(wait_until([&] {
    sla = nissa_->get_json("/api/v1/views/sla/compliance?window=1h");
    return sla.is_object() && sla["groups"].size() == 1 && sla["groups"][0]["swapped_sessions"] == 1;
  }, 20s)) << sla.dump(2);
  const json g = sla["groups"][0];
  EXPECT_EQ(g["known_sessions"], 3);
  EXPECT_EQ(g["startup_success_sessions"], 1);
  EXPECT_EQ(g["excused_sessions"], 1);
  EXPECT_EQ(g["unexcused_sessions"], 1);
  EXPECT_DOUBLE_EQ(g["success_ratio"].get<double>(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(g["no_swap_ratio"].get<double>(), 2.0 / 3.0);
  const json gpu = nissa_->get_json("/api/v1/views/gpu/metrics");
  EXPECT_EQ(gpu["groups"][0]["gpu_id"], "gpu-7");
  const json demand = nissa_->get_json("/api/v1/views/network/demand");
  EXPECT_EQ(demand["groups"][0]["missing_capacity_count"], 1);
  int status = 0;
  nissa_->get_json("/api/v1/views/network/demand?window=never", &status);
  EXPECT_EQ(status, 400);
}

}  // namespace
}  // namespace esper::nissa::testing
