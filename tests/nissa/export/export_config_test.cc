#include "nissa/export/export_config.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace esper::nissa
