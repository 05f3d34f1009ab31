#include "nissa/core/nissa_config.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/temp_dir.h"

namespace esper::nissa {
namespace {

TEST(NissaConfigTest, ShippedExampleParsesToTheDefaults) {
  const NissaConfig c = load_nissa_config(
      config::load_file(std::string(ESPER_SOURCE_DIR) + "/deploy/config/nissa.yaml"), "/run/x", "/var/x");
  const NissaConfig d = load_nissa_config(config::parse_text("", "empty"), "/run/x", "/var/x");
  EXPECT_EQ(c.http.address, d.http.address);
  EXPECT_EQ(c.http.port, 9464);
  EXPECT_EQ(c.http.max_connections, d.http.max_connections);
  EXPECT_EQ(c.http.request_timeout, d.http.request_timeout);
  EXPECT_EQ(c.aggregation.rollups.bucket_ms, 60'000);
  EXPECT_EQ(c.aggregation.rollups.retention_buckets, d.aggregation.rollups.retention_buckets);
  EXPECT_EQ(c.aggregation.max_series_per_metric, d.aggregation.max_series_per_metric);
  EXPECT_EQ(c.persist_min_severity, proto::SEVERITY_WARNING);
  EXPECT_EQ(c.checkpoint_interval, d.checkpoint_interval);
  EXPECT_EQ(c.retention, d.retention);
  EXPECT_EQ(d.retention, std::chrono::hours(720));
  EXPECT_EQ(load_nissa_config(config::parse_text("persistence: {retention: 0s}\n", "t"), "/run/x", "/var/x").retention,
            std::chrono::milliseconds(0));
  EXPECT_EQ(c.bus.normal_egress, "ipc:///run/x/oona-normal-out.sock");
  EXPECT_EQ(c.state_dir, "/var/x");
  EXPECT_TRUE(c.http.allowed_hosts.empty());
  EXPECT_FALSE(c.http.admin_token);
}

TEST(NissaConfigTest, AllowedHostsAndTheAdminTokenFileAreCheckedAtLoad) {
  esper::testing::TempDir dir;
  const auto token = dir / "admin.token";
  std::ofstream(token) << "0123456789abcdef-token\n";
  ASSERT_EQ(::chmod(token.c_str(), 0600), 0);
  const NissaConfig c = load_nissa_config(
      config::parse_text("http:\n  allowed_hosts: [nissa.example, 'metrics.example:8443']\n  admin_token_file: " +
                             token.string() + "\n",
                         "nissa.yaml"),
      std::nullopt, std::nullopt);
  EXPECT_EQ(c.http.allowed_hosts, (std::vector<std::string>{"nissa.example", "metrics.example:8443"}));
  EXPECT_EQ(c.http.admin_token, "0123456789abcdef-token");

  try {
    load_nissa_config(config::parse_text("http:\n  allowed_hosts: ['evil example']\n", "nissa.yaml"), std::nullopt,
                      std::nullopt);
    FAIL() << "a host with a space accepted";
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(e.key(), "http.allowed_hosts");
    EXPECT_EQ(e.line(), 2);
  }
  ASSERT_EQ(::chmod(token.c_str(), 0644), 0);
  try {
    load_nissa_config(config::parse_text("http:\n  admin_token_file: " + token.string() + "\n", "nissa.yaml"),
                      std::nullopt, std::nullopt);
    FAIL() << "a token file others may read accepted";
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(e.key(), "http.admin_token_file");
    EXPECT_NE(std::string(e.what()).find("mode 0644"), std::string::npos) << e.what();
  }
}

TEST(NissaConfigTest, ErrorsNameFileKeyAndLine) {
  try {
    load_nissa_config(config::parse_text("http:\n  port: 70000\n", "nissa.yaml"), std::nullopt, std::nullopt);
    FAIL() << "port 70000 accepted";
  } catch (const config::ConfigError& e) {
    EXPECT_STREQ(e.what(), "nissa.yaml:2: key 'http.port': must be 0..65535");
  }
  try {
    load_nissa_config(config::parse_text("http:\n  request_timeout: 10ms\n", "nissa.yaml"), std::nullopt, std::nullopt);
    FAIL() << "a 10 ms request timeout accepted";
  } catch (const config::ConfigError& e) {
    EXPECT_STREQ(e.what(), "nissa.yaml:2: key 'http.request_timeout': must be at least 100ms");
  }
  try {
    load_nissa_config(config::parse_text("aggregation:\n  bukket: 1m\n", "nissa.yaml"), std::nullopt, std::nullopt);
    FAIL() << "unknown key accepted";
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(e.key(), "aggregation.bukket");
    EXPECT_EQ(e.line(), 2);
  }
  try {
    load_nissa_config(config::parse_text("endpoints:\n  normal_egress: http://x\n", "nissa.yaml"),
                      std::nullopt, std::nullopt);
    FAIL() << "an http:// endpoint accepted";
  } catch (const config::ConfigError& e) {
    EXPECT_STREQ(e.what(), "nissa.yaml:2: key 'endpoints.normal_egress': must be an ipc:// or tcp:// endpoint");
  }
}

TEST(NissaConfigTest, EndpointsOverrideTheRuntimeDirDefaults) {
  const NissaConfig c = load_nissa_config(
      config::parse_text("runtime_dir: /run/a\nendpoints:\n  normal_egress: tcp://10.0.0.5:5552\n", "n.yaml"),
      std::nullopt, std::nullopt);
  EXPECT_EQ(c.bus.normal_egress, "tcp://10.0.0.5:5552");
  EXPECT_EQ(c.bus.emergency_egress, "ipc:///run/a/oona-emergency-out.sock");
}

}  // namespace
}  // namespace esper::nissa
