// End to end: the demo deployment (deploy/config/demo/, what deploy/run-local starts) runs under a
// real weatherlight for a bounded time. Every producer's data is in Nissa's API and in a real
// Prometheus scraping Nissa, esper-tail sees emergency events, and SIGTERM stops it all cleanly.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/nissa/nissa_harness.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_until.h"

namespace esper::e2e {
namespace {

using namespace std::chrono_literals;
using esper::testing::built_binary;
using esper::testing::ChildProcess;
using esper::testing::wait_until;
using nlohmann::json;

// The sources every demo producer publishes as.
const std::vector<std::string> kProducers = {"tolaria", "kasmina", "tamiyo", "uma-serve",
                                             "stream-gateway", "rl-trainer", "train_demo"};

TEST(DemoDeploymentTest, EveryProducersDataReachesNissaAndPrometheusAndEmergenciesReachTheTail) {
  esper::testing::TempDir dir;
  const auto run = dir.path() / "run";
  const auto state = dir.path() / "state";
  std::filesystem::create_directories(state / "nissa");
  std::filesystem::create_directories(state / "tamiyo");
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
                 {"ESPER_PYTHONPATH", bin + "/producers/python/gen"}};
  ChildProcess weatherlight({built_binary("weatherlight/weatherlight").string(), "--config",
                             std::string(ESPER_SOURCE_DIR) + "/deploy/config/demo/weatherlight.yaml",
                             "--runtime-dir", run.string()},
                            options);
  ASSERT_TRUE(weatherlight.wait_for_line("weatherlight ready", 60s)) << "the demo deployment did not start";
  const auto started = std::chrono::steady_clock::now();

  // esper-tail on the emergency lane: tamiyo's degraded_inputs and the Python producer's loss_spike.
  ChildProcess tail({built_binary("oona/esper-tail").string(), "--runtime-dir", run.string(), "--lane",
                     "emergency", "--json", "--count", "1"});

  // Every producer's series in Nissa's API.
  httplib::Client nissa("127.0.0.1", nissa_port);
  nissa.set_read_timeout(10, 0);
  std::set<std::string> in_nissa;
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& source : kProducers) {
          if (in_nissa.contains(source)) continue;
          auto res = nissa.Get("/api/v1/series?source=" + source + "&limit=1");
          if (!res || res->status != 200) continue;
          const auto body = json::parse(res->body, nullptr, false);
          if (body.is_object() && !body["series"].empty()) in_nissa.insert(source);
        }
        return in_nissa.size() == kProducers.size();
      },
      60s, 200ms))
      << "producers with series in nissa: " << in_nissa.size() << " of " << kProducers.size();

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
        for (const auto& source : kProducers) {
          if (in_prometheus.contains(source)) continue;
          auto res = prom.Get("/api/v1/query", httplib::Params{{"query", "count({source=\"" + source + "\"})"}},
                              httplib::Headers{});
          if (!res || res->status != 200) continue;
          const auto body = json::parse(res->body, nullptr, false);
          if (body.is_object() && !body["data"]["result"].empty()) in_prometheus.insert(source);
        }
        return in_prometheus.size() == kProducers.size();
      },
      60s, 250ms))
      << "producers with series in Prometheus: " << in_prometheus.size() << " of " << kProducers.size();

  // The first emergency envelope, as esper-tail prints it.
  const auto line = tail.read_line(60s);
  ASSERT_TRUE(line.has_value()) << "esper-tail saw no emergency envelope";
  const auto envelope = json::parse(*line, nullptr, false);
  ASSERT_TRUE(envelope.is_object()) << *line;
  const std::string severity = envelope.value("severity", "");
  EXPECT_TRUE(severity == "SEVERITY_HIGH" || severity == "SEVERITY_CRITICAL") << *line;
  EXPECT_TRUE(tail.wait(10s).has_value()) << "esper-tail --count 1 did not exit";
  std::cout << "data from all " << kProducers.size() << " producers in nissa and Prometheus, and an emergency at the tail, "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()
            << " ms after the deployment was ready\n";

  weatherlight.signal(SIGTERM);
  const auto status = weatherlight.wait(60s);
  ASSERT_TRUE(status.has_value()) << "weatherlight did not stop";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << esper::testing::describe_status(*status);
}

}  // namespace
}  // namespace esper::e2e
