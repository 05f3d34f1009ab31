#include "nissa/export/export_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>

namespace esper::nissa {
namespace {

ExportConfig read(const std::string& yaml) { return read_export_config(config::parse_text(yaml, "t.yaml")); }

std::string error_of(const std::string& yaml) {
  try {
    read(yaml);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ExportConfigTest, EveryExporterIsOffUnlessItsSectionIsPresent) {
  EXPECT_FALSE(read("interval: 5s\n").any());
}

TEST(ExportConfigTest, RemoteWriteReadsEveryKey) {
  const ExportConfig c = read(
      "interval: 2s\n"
      "remote_write:\n"
      "  url: https://mimir.example/api/v1/push\n"
      "  external_labels: {host: gpu-01, cluster: west}\n"
      "  timeout: 3s\n"
      "  buffer: 8MiB\n"
      "  max_batch_age: 10m\n"
      "  max_samples_per_request: 500\n"
      "  min_backoff: 50ms\n"
      "  max_backoff: 2s\n");
  ASSERT_TRUE(c.remote_write);
  EXPECT_EQ(c.interval, std::chrono::seconds(2));
  EXPECT_EQ(c.remote_write->exporter.url, "https://mimir.example/api/v1/push");
  EXPECT_EQ(c.remote_write->exporter.name, "remote_write");
  EXPECT_EQ(c.remote_write->exporter.timeout, std::chrono::seconds(3));
  EXPECT_EQ(c.remote_write->exporter.buffer_bytes, 8u << 20);
  EXPECT_EQ(c.remote_write->exporter.max_batch_age, std::chrono::minutes(10));
  EXPECT_EQ(c.remote_write->exporter.min_backoff, std::chrono::milliseconds(50));
  EXPECT_EQ(c.remote_write->exporter.max_backoff, std::chrono::seconds(2));
  EXPECT_EQ(c.remote_write->encoding.max_samples_per_request, 500u);
  EXPECT_EQ(c.remote_write->encoding.external_labels.at("host"), "gpu-01");
}

TEST(ExportConfigTest, BadValuesAreRefusedWithTheKeyThatHoldsThem) {
  EXPECT_NE(error_of("remote_write: {}\n").find("url"), std::string::npos);
  EXPECT_NE(error_of("remote_write: {url: ftp://x/}\n").find("http://"), std::string::npos);
  EXPECT_NE(error_of("remote_write: {url: 'http://x/', external_labels: {'__bad': 1}}\n").find("external_labels"),
            std::string::npos);
  EXPECT_NE(error_of("remote_write: {url: 'http://x/', external_labels: {'a-b': 1}}\n").find("a-b"), std::string::npos);
  EXPECT_NE(error_of("remote_write: {url: 'http://x/', buffer: 10KiB}\n").find("buffer"), std::string::npos);
  EXPECT_NE(error_of("remote_write: {url: 'http://x/', max_samples_per_request: 0}\n").find("max_samples_per_request"),
            std::string::npos);
  EXPECT_NE(error_of("remote_write: {url: 'http://x/', min_backoff: 1s, max_backoff: 100ms}\n").find("max_backoff"),
            std::string::npos);
  EXPECT_NE(error_of("remote_write: {url: 'http://x/', uri: typo}\n").find("uri"), std::string::npos);
  EXPECT_NE(error_of("interval: 1ms\n").find("interval"), std::string::npos);
}

TEST(ExportConfigTest, OtlpReadsEveryKey) {
  const ExportConfig c = read(
      "otlp:\n"
      "  url: https://collector.example:4318/custom/metrics\n"
      "  encoding: json\n"
      "  resource_attributes: {host.name: gpu-01, deployment.environment: lab}\n"
      "  headers: {Authorization: Bearer abc, X-Scope-OrgID: t1}\n"
      "  max_points_per_request: 500\n"
      "  timeout: 3s\n"
      "  buffer: 8MiB\n"
      "  max_batch_age: 10m\n"
      "  min_backoff: 50ms\n"
      "  max_backoff: 2s\n");
  ASSERT_TRUE(c.otlp);
  EXPECT_TRUE(c.any());
  EXPECT_EQ(c.otlp->exporter.name, "otlp");
  EXPECT_EQ(c.otlp->exporter.url, "https://collector.example:4318/custom/metrics") << "a path is kept as given";
  EXPECT_EQ(c.otlp->exporter.timeout, std::chrono::seconds(3));
  EXPECT_EQ(c.otlp->exporter.buffer_bytes, 8u << 20);
  EXPECT_EQ(c.otlp->exporter.max_batch_age, std::chrono::minutes(10));
  EXPECT_EQ(c.otlp->exporter.min_backoff, std::chrono::milliseconds(50));
  EXPECT_EQ(c.otlp->exporter.max_backoff, std::chrono::seconds(2));
  EXPECT_EQ(c.otlp->encoding.encoding, OtlpEncoding::kJson);
  EXPECT_EQ(c.otlp->encoding.max_points_per_request, 500u);
  EXPECT_EQ(c.otlp->encoding.resource_attributes.at("deployment.environment"), "lab");
  EXPECT_EQ(c.otlp->encoding.headers.at("Authorization"), "Bearer abc");
  EXPECT_FALSE(c.remote_write);
}

TEST(ExportConfigTest, OtlpDefaultsToProtobufAndTheSpecificationsPath) {
  const ExportConfig c = read("otlp: {url: 'http://collector:4318'}\n");
  ASSERT_TRUE(c.otlp);
  EXPECT_EQ(c.otlp->exporter.url, "http://collector:4318/v1/metrics");
  EXPECT_EQ(c.otlp->encoding.encoding, OtlpEncoding::kProtobuf);
  EXPECT_EQ(c.otlp->encoding.max_points_per_request, 2000u);
  EXPECT_EQ(read("otlp: {url: 'http://collector:4318/'}\n").otlp->exporter.url, "http://collector:4318/v1/metrics");
}

TEST(ExportConfigTest, BadOtlpValuesAreRefusedWithTheKeyThatHoldsThem) {
  EXPECT_NE(error_of("otlp: {}\n").find("url"), std::string::npos);
  EXPECT_NE(error_of("otlp: {url: 'grpc://x:4317'}\n").find("http://"), std::string::npos);
  EXPECT_NE(error_of("otlp: {url: 'http://x/', encoding: grpc}\n").find("encoding"), std::string::npos);
  EXPECT_NE(error_of("otlp: {url: 'http://x/', max_points_per_request: 0}\n").find("max_points_per_request"),
            std::string::npos);
  EXPECT_NE(error_of("otlp: {url: 'http://x/', resource_attributes: {service.name: x}}\n").find("service.name"),
            std::string::npos);
  EXPECT_NE(error_of("otlp: {url: 'http://x/', headers: {'Bad Name': x}}\n").find("Bad Name"), std::string::npos);
  EXPECT_NE(error_of("otlp: {url: 'http://x/', headers: {Content-Type: text/plain}}\n").find("Content-Type"),
            std::string::npos);
  EXPECT_NE(error_of("otlp: {url: 'http://x/', headers: {X-A: \"a\\r\\nX-B: b\"}}\n").find("line break"),
            std::string::npos);
  EXPECT_NE(error_of("otlp: {url: 'http://x/', buffer: 10KiB}\n").find("buffer"), std::string::npos);
  EXPECT_NE(error_of("otlp: {url: 'http://x/', endpoint: typo}\n").find("endpoint"), std::string::npos);
}

// Sets an environment variable for one test, restoring what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(ExportConfigTest, MlflowReadsEveryKey) {
  const ExportConfig c = read(
      "mlflow:\n"
      "  url: http://mlflow.example:5000\n"
      "  experiment_id: '12'\n"
      "  runs: {tolaria: abc, rl-trainer/r7: def}\n"
      "  sources: [tolaria, rl-trainer]\n"
      "  headers: {Authorization: Bearer t}\n"
      "  flush_interval: 2s\n"
      "  flush_points: 20\n"
      "  max_points_per_request: 500\n"
      "  timeout: 1s\n"
      "  attempts: 5\n"
      "  min_backoff: 20ms\n"
      "  max_backoff: 400ms\n"
      "  buffer_points: 5000\n"
      "  max_runs: 10\n");
  ASSERT_TRUE(c.mlflow);
  EXPECT_TRUE(c.any());
  EXPECT_FALSE(c.interval_exporters());
  const MlflowOptions& m = *c.mlflow;
  EXPECT_EQ(m.url, "http://mlflow.example:5000");
  EXPECT_EQ(m.experiment_id, "12");
  EXPECT_EQ(m.runs.at("rl-trainer/r7"), "def");
  EXPECT_EQ(m.sources, (std::set<std::string>{"tolaria", "rl-trainer"}));
  EXPECT_EQ(m.headers.at("Authorization"), "Bearer t");
  EXPECT_EQ(m.flush_interval, std::chrono::seconds(2));
  EXPECT_EQ(m.flush_points, 20u);
  EXPECT_EQ(m.max_points_per_request, 500u);
  EXPECT_EQ(m.timeout, std::chrono::seconds(1));
  EXPECT_EQ(m.attempts, 5);
  EXPECT_EQ(m.min_backoff, std::chrono::milliseconds(20));
  EXPECT_EQ(m.max_backoff, std::chrono::milliseconds(400));
  EXPECT_EQ(m.buffer_points, 5000u);
  EXPECT_EQ(m.max_runs, 10u);
}

TEST(ExportConfigTest, MlflowTakesTheExperimentAndRunFromTheEnvironmentAsMlflowsClientsDo) {
  {
    ScopedEnv experiment("MLFLOW_EXPERIMENT_ID", nullptr);
    ScopedEnv run("MLFLOW_RUN_ID", nullptr);
    const ExportConfig c = read("mlflow: {url: 'http://m:5000'}\n");
    EXPECT_EQ(c.mlflow->experiment_id, "0");
    EXPECT_EQ(c.mlflow->run_id, "");
    EXPECT_EQ(c.mlflow->flush_interval, std::chrono::seconds(1));  // Seed defaults: ~1 s or 50 points,
    EXPECT_EQ(c.mlflow->flush_points, 50u);                        // 3 attempts, 3 s timeout.
    EXPECT_EQ(c.mlflow->attempts, 3);
    EXPECT_EQ(c.mlflow->timeout, std::chrono::seconds(3));
  }
  ScopedEnv experiment("MLFLOW_EXPERIMENT_ID", "42");
  ScopedEnv run("MLFLOW_RUN_ID", "feedbeef");
  EXPECT_EQ(read("mlflow: {url: 'http://m:5000'}\n").mlflow->experiment_id, "42");
  EXPECT_EQ(read("mlflow: {url: 'http://m:5000'}\n").mlflow->run_id, "feedbeef");
  EXPECT_EQ(read("mlflow: {url: 'http://m:5000', experiment_id: '3'}\n").mlflow->experiment_id, "3");  // Config wins.
}

TEST(ExportConfigTest, BadMlflowValuesAreRefusedWithTheKeyThatHoldsThem) {
  EXPECT_NE(error_of("mlflow: {}\n").find("url"), std::string::npos);
  EXPECT_NE(error_of("mlflow: {url: 'mlflow:5000'}\n").find("http://"), std::string::npos);
  EXPECT_NE(error_of("mlflow: {url: 'http://m/', max_points_per_request: 1001}\n").find("1000"), std::string::npos);
  EXPECT_NE(error_of("mlflow: {url: 'http://m/', attempts: 0}\n").find("attempts"), std::string::npos);
  EXPECT_NE(error_of("mlflow: {url: 'http://m/', flush_points: 0}\n").find("flush_points"), std::string::npos);
  EXPECT_NE(error_of("mlflow: {url: 'http://m/', experiment_id: ''}\n").find("experiment_id"), std::string::npos);
  EXPECT_NE(error_of("mlflow: {url: 'http://m/', runs: {tolaria: ''}}\n").find("runs"), std::string::npos);
  EXPECT_NE(error_of("mlflow: {url: 'http://m/', buffer_points: 10}\n").find("buffer_points"), std::string::npos);
  EXPECT_NE(error_of("mlflow: {url: 'http://m/', headers: {'User-Agent': x}}\n").find("User-Agent"), std::string::npos);
  EXPECT_NE(error_of("mlflow: {url: 'http://m/', run: typo}\n").find("run"), std::string::npos);
}


}  // namespace
}  // namespace esper::nissa
