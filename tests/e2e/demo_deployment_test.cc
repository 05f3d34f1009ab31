// End to end: the demo deployment (deploy/config/demo/, what deploy/run-local starts) runs under a
// real weatherlight for a bounded time. Every producer's data is in Nissa's API and in a real
// Prometheus scraping Nissa, field reports are stored and acknowledged, weatherlight's telemetry
// reaches Nissa, esper-tail sees emergency events, Oona rejects nothing, and SIGTERM stops it all cleanly.
//
// It runs twice: as the demo ships, and with envelope signing on everywhere (the demo's configs
// copied into the test's directory, each given the same `signing:` key file), so that every
// program on the bus signs what it publishes and verifies what it reads. Where the build has no
// esper Python package (the asan preset), the demo runs without its Python producer, train_demo.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "tests/support/child_process.h"
#include "tests/support/key_file.h"
#include "tests/support/nissa_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_until.h"

namespace esper::e2e {
namespace {

using namespace std::chrono_literals;
using esper::testing::built_binary;
using esper::testing::ChildProcess;
using esper::testing::wait_until;
using nlohmann::json;

// The esper Python package as the build staged it: "" when the build has none.
const std::string kPythonPackageDir = ESPER_PYTHON_PACKAGE_DIR;

// The sources every demo producer publishes as.
std::vector<std::string> demo_producers() {
  std::vector<std::string> producers = {"tolaria", "kasmina", "tamiyo", "uma-serve", "stream-gateway", "rl-trainer"};
  if (!kPythonPackageDir.empty()) producers.push_back("train_demo");
  return producers;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The demo's config directory: the shipped one, or a copy whose every file signs with one key,
// and without the train_demo service (the last one) where there is no Python package.
std::filesystem::path demo_config_dir(const esper::testing::TempDir& dir, bool signing) {
  const std::filesystem::path shipped = std::string(ESPER_SOURCE_DIR) + "/deploy/config/demo";
  if (!signing && !kPythonPackageDir.empty()) return shipped;
  const auto config = dir.path() / "config";
  std::filesystem::create_directories(config);
  const auto key_file = dir.path() / "bus.key";
  if (signing) esper::testing::write_key_file(key_file, esper::testing::kSigningKeyHex);
  for (const char* name : {"weatherlight.yaml", "nissa.yaml", "bus.yaml"}) {
    std::string text = read_file(shipped / name);
    if (kPythonPackageDir.empty() && std::string(name) == "weatherlight.yaml") {
      const auto python = text.find("\n  train_demo:\n");
      if (python == std::string::npos) ADD_FAILURE() << "no train_demo service in the demo's weatherlight.yaml";
      else text.resize(python + 1);
    }
    if (signing) text += "\nsigning:\n  key_file: " + key_file.string() + "\n";
    std::ofstream(config / name) << text;
  }
  return config;
}

class DemoDeploymentTest : public ::testing::TestWithParam<bool> {};

TEST_P(DemoDeploymentTest, EveryProducersDataReachesNissaAndPrometheusAndEmergenciesReachTheTail) {
  const bool signing = GetParam();
  esper::testing::TempDir dir;
  const auto config_dir = demo_config_dir(dir, signing);
  const auto run = dir.path() / "run";
  const auto state = dir.path() / "state";
  std::filesystem::create_directories(state / "nissa");
  std::filesystem::create_directories(state / "tamiyo");
  std::filesystem::create_directories(state / "train_demo");
  const std::vector<std::string> producers = demo_producers();
  const int nissa_port = esper::nissa::testing::free_port();
  const std::string bin = ESPER_BINARY_DIR;
  std::string path = bin + "/oona:" + bin + "/nissa:";
  for (const char* p : {"tolaria", "kasmina", "tamiyo", "uma_serve", "stream_gateway", "rl_trainer"}) {
    path += bin + "/producers/" + p + ":";
  }
  path += std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";

  ChildProcess::Options options;
  options.env = {{"PATH", path},
                 {"ESPER_DEMO_STATE", state.string()},
                 {"ESPER_HTTP_PORT", std::to_string(nissa_port)},
                 {"ESPER_PYTHONPATH", kPythonPackageDir + ":" + ESPER_SOURCE_DIR + "/python/examples"}};
  ChildProcess weatherlight({built_binary("weatherlight/weatherlight").string(), "--config",
                             (config_dir / "weatherlight.yaml").string(), "--runtime-dir", run.string()},
                            options);
  ASSERT_TRUE(weatherlight.wait_for_line("weatherlight ready", 60s)) << "the demo deployment did not start";
  const auto started = std::chrono::steady_clock::now();

  // esper-tail on the emergency lane: tamiyo's degraded_inputs and the Python producer's loss_spike.
  // It reads bus.yaml, so with signing on it verifies every envelope too.
  ChildProcess tail({built_binary("oona/esper-tail").string(), "--config", (config_dir / "bus.yaml").string(),
                     "--runtime-dir", run.string(), "--lane", "emergency", "--json", "--count", "1"});

  // Every producer's series in Nissa's API.
  httplib::Client nissa("127.0.0.1", nissa_port);
  nissa.set_read_timeout(10, 0);
  std::set<std::string> in_nissa;
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& source : producers) {
          if (in_nissa.contains(source)) continue;
          auto res = nissa.Get("/api/v1/series?source=" + source + "&limit=1");
          if (!res || res->status != 200) continue;
          const auto body = json::parse(res->body, nullptr, false);
          if (body.is_object() && !body["series"].empty()) in_nissa.insert(source);
        }
        return in_nissa.size() == producers.size();
      },
      60s, 200ms))
      << "producers with series in nissa: " << in_nissa.size() << " of " << producers.size();

  // Field reports from tamiyo stored in Nissa and acknowledged: tamiyo's outbox settles each on
  // Nissa's ack, so at most the one in flight is pending. Unverified acks would leave them all pending.
  std::size_t reports = 0;
  double pending = -1;
  auto get_json = [&](const std::string& url) {
    auto res = nissa.Get(url);
    return res && res->status == 200 ? json::parse(res->body, nullptr, false) : json();
  };
  EXPECT_TRUE(wait_until(
      [&] {
        const auto stored = get_json("/api/v1/field_reports?limit=1");
        if (stored.is_object()) reports = stored.value("total", std::size_t{0});
        const auto series = get_json("/api/v1/series?source=tamiyo&metric=tamiyo.field_reports.pending_total");
        if (series.is_object() && !series["series"].empty()) pending = series["series"][0].value("last", -1.0);
        return reports >= 3 && pending >= 0 && pending <= 1;
      },
      60s, 250ms))
      << "field reports stored in nissa: " << reports << ", pending in tamiyo's outbox: " << pending;

  // Weatherlight's own publications (its supervision telemetry; its service events went out before
  // nissa subscribed) reach Nissa.
  EXPECT_TRUE(wait_until(
      [&] {
        const auto series = get_json("/api/v1/series?source=weatherlight&limit=1");
        return series.is_object() && !series["series"].empty();
      },
      30s, 250ms))
      << "nothing from weatherlight in nissa";

  // A real Prometheus scrapes Nissa and has every producer's series.
  const int prom_port = esper::nissa::testing::free_port();
  const auto prom_config = dir.path() / "prometheus.yml";
  std::ofstream(prom_config) << "global:\n  scrape_interval: 500ms\n  scrape_timeout: 400ms\n"
                             << "scrape_configs:\n  - job_name: nissa\n    static_configs:\n"
                             << "      - targets: ['127.0.0.1:" << nissa_port << "']\n";
  ChildProcess prometheus({"/usr/bin/prometheus", "--config.file=" + prom_config.string(),
                           "--storage.tsdb.path=" + (dir.path() / "tsdb").string(),
                           "--web.listen-address=127.0.0.1:" + std::to_string(prom_port), "--log.level=warn"},
                          {.env = {}, .cwd = dir.path(), .capture_stdout = false});
  httplib::Client prom("127.0.0.1", prom_port);
  prom.set_read_timeout(5, 0);
  std::set<std::string> in_prometheus;
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& source : producers) {
          if (in_prometheus.contains(source)) continue;
          auto res = prom.Get("/api/v1/query", httplib::Params{{"query", "count({source=\"" + source + "\"})"}},
                              httplib::Headers{});
          if (!res || res->status != 200) continue;
          const auto body = json::parse(res->body, nullptr, false);
          if (body.is_object() && !body["data"]["result"].empty()) in_prometheus.insert(source);
        }
        return in_prometheus.size() == producers.size();
      },
      60s, 250ms))
      << "producers with series in Prometheus: " << in_prometheus.size() << " of " << producers.size();

  // The first emergency envelope, as esper-tail prints it.
  const auto line = tail.read_line(60s);
  ASSERT_TRUE(line.has_value()) << "esper-tail saw no emergency envelope";
  const auto envelope = json::parse(*line, nullptr, false);
  ASSERT_TRUE(envelope.is_object()) << *line;
  const std::string severity = envelope.value("severity", "");
  EXPECT_TRUE(severity == "SEVERITY_HIGH" || severity == "SEVERITY_CRITICAL") << *line;
  EXPECT_TRUE(tail.wait(10s).has_value()) << "esper-tail --count 1 did not exit";
  // Nothing was rejected on the way: every envelope was signed (or, unsigned, none needed to be).
  const auto rejected = get_json("/api/v1/series?source=oona&metric=oona.rejected_total");
  ASSERT_TRUE(rejected.is_object()) << "no oona.rejected_total series in nissa";
  for (const auto& series : rejected["series"]) {
    EXPECT_EQ(series.value("last", -1.0), 0.0) << "oona rejected envelopes: " << series.dump();
  }
  std::cout << (signing ? "signed: " : "unsigned: ") << "data from all " << producers.size() << " producers in nissa and Prometheus, and an emergency at the tail, "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()
            << " ms after the deployment was ready\n";

  weatherlight.signal(SIGTERM);
  const auto status = weatherlight.wait(60s);
  ASSERT_TRUE(status.has_value()) << "weatherlight did not stop";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << esper::testing::describe_status(*status);
}

INSTANTIATE_TEST_SUITE_P(Signing, DemoDeploymentTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param) { return param.param ? "Signed" : "Unsigned"; });

}  // namespace
}  // namespace esper::e2e
