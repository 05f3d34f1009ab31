// The fleet shape: one Esper per host, each Nissa remote-writing into one shared store. Two
// simulated hosts (each its own oona, nissa, a kasmina and a trainer publishing known values)
// write into a real Prometheus started with its remote-write receiver. The test finds both hosts'
// series there with the values, labels and timestamps Nissa sent; then stops Prometheus for 20 s,
// restarts it, and finds no gap in either host's series: the exporters' buffers covered the outage.
#include <signal.h>

#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "oona/bus_publisher.h"
#include "proto/metric_point.h"
#include "tests/support/child_process.h"
#include "tests/support/nissa_process.h"
#include "tests/support/oona_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_until.h"

namespace esper::nissa::testing {
namespace {

using esper::testing::built_binary;
using esper::testing::ChildProcess;
using esper::testing::TempDir;
using esper::testing::wait_until;
using oona::testing::OonaProcess;

constexpr auto kOutage = std::chrono::seconds(20);
constexpr std::int64_t kIntervalMs = 1000;  // Nissa's export interval in this test.

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A real Prometheus with the remote-write receiver on, restartable on the same port and storage.
class Prometheus {
 public:
  explicit Prometheus(const TempDir& dir) : dir_(dir), port_(free_port()) {
    std::ofstream(dir_ / "prometheus.yml") << "global:\n  scrape_interval: 15s\n";
    start();
  }
  void start() {
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"/usr/bin/prometheus", "--config.file=" + (dir_ / "prometheus.yml").string(),
                                 "--storage.tsdb.path=" + (dir_ / "tsdb").string(),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                 "--web.enable-remote-write-receiver", "--log.level=warn"},
        ChildProcess::Options{.env = {}, .cwd = dir_.path(), .capture_stdout = false});
  }
  int stop() { return process_->stop(std::chrono::seconds(20)); }
  bool ready() {
    httplib::Client c("127.0.0.1", port_);
    auto res = c.Get("/-/ready");
    return res && res->status == 200;
  }
  std::string write_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/api/v1/write"; }

  // The result of an instant query (its "data.result"), or null.
  json query(const std::string& promql) {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(10, 0);
    auto res = c.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
    if (!res || res->status != 200) return json();
    const json body = json::parse(res->body, nullptr, false);
    return body.is_object() ? body["data"]["result"] : json();
  }

 private:
  const TempDir& dir_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

// One simulated host: its own bus, observer exporting to `write_url` with host=<name>, a real
// producer, and a trainer whose values the test knows.
struct Host {
  Host(std::string host_name, const std::string& write_url) : name(std::move(host_name)) {
    std::filesystem::create_directories(dir / "state");
    std::filesystem::permissions(dir / "state", std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
    nissa = std::make_unique<NissaProcess>(
        oona.dir().path(), dir / "state",
        "export:\n  interval: 1s\n  remote_write:\n    url: " + write_url + "\n    external_labels: {host: " + name +
            "}\n    max_backoff: 1s\n");
    kasmina = std::make_unique<ChildProcess>(std::vector<std::string>{
        built_binary("producers/kasmina/kasmina").string(), "--runtime-dir", oona.dir().path().string(), "--rate",
        "20", "--flush-interval-ms", "200"});
    trainer = std::make_unique<oona::BusPublisher>(oona::testing::publisher_options(oona.endpoints(), "trainer"));
  }

  // The trainer's known values: its loss and step counter (the same whenever sent again), and once
  // Nissa has those (so the bus is known to be connected), ten step times of 1..10 ms.
  bool publish_known_values() {
    proto::Envelope e;
    e.set_severity(proto::SEVERITY_INFO);
    auto* t = e.mutable_telemetry();
    *t->add_metrics() = proto::make_point("fleet.loss", loss, "", proto::METRIC_KIND_GAUGE, {{"run", "r1"}});
    *t->add_metrics() = proto::make_point("fleet.steps_total", 42, "count", proto::METRIC_KIND_COUNTER, {{"run", "r1"}});
    trainer->publish(std::move(e));
    const json j = nissa->get_json("/api/v1/series?source=trainer&metric=fleet.steps_total");
    if (!j.is_object() || j["series"].empty()) return false;
    proto::Envelope times;
    times.set_severity(proto::SEVERITY_INFO);
    for (int ms = 1; ms <= 10; ++ms) {
      *times.mutable_telemetry()->add_metrics() =
          proto::make_point("fleet.step_time_ms", ms, "ms", proto::METRIC_KIND_HISTOGRAM, {{"run", "r1"}});
    }
    return trainer->publish(std::move(times));
  }

  double nissa_counter(const std::string& metric, const std::string& filter = "") {
    const json j = nissa->get_json("/api/v1/series?source=nissa&metric=" + metric + filter);
    double total = 0;
    if (j.is_object()) {
      for (const auto& s : j["series"]) total += s.value("last", 0.0);
    }
    return total;
  }

  std::string name;
  double loss = 0;
  OonaProcess oona;
  TempDir dir;
  std::unique_ptr<NissaProcess> nissa;
  std::unique_ptr<ChildProcess> kasmina;
  std::unique_ptr<oona::BusPublisher> trainer;
};

TEST(FleetRemoteWrite, TwoHostsWriteIntoOnePrometheusWithNoGapAcrossItsRestart) {
  TempDir prom_dir;
  Prometheus prometheus(prom_dir);
  ASSERT_TRUE(wait_until([&] { return prometheus.ready(); }, 60s, 100ms)) << "prometheus did not become ready";
  const std::int64_t started_ms = unix_ms();

  Host a("host-a", prometheus.write_url());
  Host b("host-b", prometheus.write_url());
  a.loss = 0.75;
  b.loss = 1.25;
  for (Host* h : {&a, &b}) {
    ASSERT_TRUE(h->oona.ready() && h->nissa->ready()) << h->name << ": oona or nissa did not start";
  }

  for (Host* h : {&a, &b}) {
    ASSERT_TRUE(wait_until([&] { return h->publish_known_values(); }, 30s, 100ms))
        << h->name << ": the trainer's values did not reach nissa";
  }
  // Both hosts' trainer series reach Prometheus, through each host's bus, Nissa and exporter.
  auto loss_of = [&](const std::string& host) {
    return prometheus.query("esper_fleet_loss{host=\"" + host + "\",source=\"trainer\",run=\"r1\"}");
  };
  ASSERT_TRUE(wait_until(
      [&] {
        return loss_of("host-a").size() == 1 && loss_of("host-b").size() == 1 &&
               prometheus.query("esper_fleet_step_time_seconds_count{run=\"r1\"} == 10").size() == 2;
      },
      60s, 250ms))
      << "both hosts' trainer series did not reach prometheus";

  for (Host* h : {&a, &b}) {
    const std::string sel = "{host=\"" + h->name + "\",source=\"trainer\",run=\"r1\"}";
    const json loss = loss_of(h->name).at(0);
    EXPECT_EQ(loss["metric"], json({{"__name__", "esper_fleet_loss"}, {"host", h->name}, {"run", "r1"}, {"source", "trainer"}}));
    EXPECT_DOUBLE_EQ(std::stod(loss["value"][1].get<std::string>()), h->loss);
    // The sample's own timestamp is a collection tick: a whole multiple of the interval, since the test began.
    const json stamp = prometheus.query("timestamp(esper_fleet_loss" + sel + ")");
    ASSERT_EQ(stamp.size(), 1u);
    const std::int64_t ts_ms = std::llround(std::stod(stamp[0]["value"][1].get<std::string>()) * 1000);
    EXPECT_EQ(ts_ms % kIntervalMs, 0) << "sample timestamp " << ts_ms;
    EXPECT_GE(ts_ms, started_ms - kIntervalMs);
    EXPECT_LE(ts_ms, unix_ms());
    const json steps = prometheus.query("esper_fleet_steps_total" + sel);
    ASSERT_EQ(steps.size(), 1u) << "no esper_fleet_steps_total for " << h->name;
    EXPECT_EQ(steps[0]["value"][1], "42");
    const json sum = prometheus.query("esper_fleet_step_time_seconds_sum" + sel);
    ASSERT_EQ(sum.size(), 1u);
    EXPECT_NEAR(std::stod(sum[0]["value"][1].get<std::string>()), 0.055, 1e-9);  // 1+2+...+10 ms, in seconds.
    const json p99 = prometheus.query("esper_fleet_step_time_seconds{quantile=\"0.99\"," + sel.substr(1));
    ASSERT_EQ(p99.size(), 1u) << "no p99 of the step time summary for " << h->name;
    // The same figure a scrape of that host's /metrics gives.
    const std::string metrics = h->nissa->get_text("/metrics");
    const std::string line = "esper_fleet_step_time_seconds{source=\"trainer\",run=\"r1\",quantile=\"0.99\"} ";
    const auto at = metrics.find(line);
    ASSERT_NE(at, std::string::npos) << "no p99 line in " << h->name << "'s /metrics";
    EXPECT_DOUBLE_EQ(std::stod(p99[0]["value"][1].get<std::string>()), std::stod(metrics.substr(at + line.size())));
  }
  // The real producer's series are there for both hosts too.
  ASSERT_TRUE(wait_until(
      [&] { return prometheus.query("count by (host) ({source=\"kasmina\"})").size() == 2; }, 30s, 250ms))
      << "kasmina's series did not reach prometheus from both hosts";

  // Outage: Prometheus stops for 20 s. The exporters retry and buffer.
  const std::int64_t outage_start_ms = unix_ms();
  const int status = prometheus.stop();
  ASSERT_TRUE(WIFEXITED(status) || WIFSIGNALED(status));
  const auto stopped_at = std::chrono::steady_clock::now();
  for (Host* h : {&a, &b}) {
    EXPECT_TRUE(wait_until([&] { return h->nissa_counter("nissa.export_retries_total") > 0; }, 15s, 200ms))
        << h->name << ": nissa counted no export retry while prometheus was down";
  }
  std::this_thread::sleep_until(stopped_at + kOutage);  // The outage's length is the point, not a wait.
  const std::int64_t outage_end_ms = unix_ms();
  prometheus.start();
  ASSERT_TRUE(wait_until([&] { return prometheus.ready(); }, 60s, 100ms)) << "prometheus did not restart";

  // Both hosts catch up: samples newer than the restart arrive, and each exporter's buffer empties.
  for (Host* h : {&a, &b}) {
    ASSERT_TRUE(wait_until(
        [&] {
          const json r = prometheus.query("timestamp(esper_fleet_loss{host=\"" + h->name + "\"})");
          return r.size() == 1 && std::stod(r[0]["value"][1].get<std::string>()) * 1000 > outage_end_ms;
        },
        60s, 250ms))
        << h->name << ": no sample newer than the restart";
  }

  // No gap: every collection tick from before the outage to after it is in Prometheus, for both.
  const std::int64_t now_ms = unix_ms();
  const std::int64_t window_s = (now_ms - outage_start_ms) / 1000 + 10;
  for (Host* h : {&a, &b}) {
    const json raw = prometheus.query("esper_fleet_loss{host=\"" + h->name + "\"}[" + std::to_string(window_s) + "s]");
    ASSERT_EQ(raw.size(), 1u) << "no range of esper_fleet_loss for " << h->name;
    std::vector<std::int64_t> ticks;
    for (const auto& v : raw[0]["values"]) {
      ticks.push_back(std::llround(v[0].get<double>() * 1000));
      EXPECT_DOUBLE_EQ(std::stod(v[1].get<std::string>()), h->loss);
    }
    ASSERT_FALSE(ticks.empty());
    EXPECT_LT(ticks.front(), outage_start_ms) << h->name << ": the range does not reach back before the outage";
    EXPECT_GT(ticks.back(), outage_end_ms);
    std::int64_t widest = 0;
    for (std::size_t i = 1; i < ticks.size(); ++i) widest = std::max(widest, ticks[i] - ticks[i - 1]);
    // A tick may be skipped when a collection runs late (a loaded machine); a gap is an outage's worth.
    EXPECT_LE(widest, 2 * kIntervalMs) << h->name << ": a gap of " << widest << " ms in prometheus";
    const auto during = std::count_if(ticks.begin(), ticks.end(),
                                      [&](std::int64_t t) { return t > outage_start_ms && t < outage_end_ms; });
    EXPECT_GE(during, 15) << h->name << ": only " << during << " samples from the 20 s outage reached prometheus";
    EXPECT_EQ(h->nissa_counter("nissa.export_dropped_total"), 0) << h->name << ": the exporter dropped samples";
  }
}

}  // namespace
}  // namespace esper::nissa::testing
