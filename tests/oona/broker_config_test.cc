#include "oona/broker_config.h"

#include <gtest/gtest.h>

namespace esper::oona {
namespace {

TEST(BrokerConfig, DefaultsPutIpcEndpointsUnderTheRuntimeDir) {
  auto c = load_broker_config(config::parse_text("runtime_dir: /run/x\n", "t.yaml"), std::nullopt);
  EXPECT_EQ(c.endpoints.normal_ingress, "ipc:///run/x/oona-normal-in.sock");
  EXPECT_EQ(c.endpoints.emergency_egress, "ipc:///run/x/oona-emergency-out.sock");
  auto o = load_broker_config(config::parse_text("runtime_dir: /run/x\n", "t.yaml"), "/cli");
  EXPECT_EQ(o.endpoints.normal_egress, "ipc:///cli/oona-normal-out.sock");
}

TEST(BrokerConfig, ReadsEveryKey) {
  auto c = load_broker_config(config::parse_text(R"(
endpoints:
  normal_ingress: tcp://127.0.0.1:5000
subscriber_queue: {max_messages: 7, max_bytes: 1KiB}
named_subscribers:
  nissa: {max_messages: 70}
  archiver: {max_bytes: 3KiB}
subscriber_timeout: 5s
emergency: {rate_per_source: 2.5, burst: 4}
egress_hwm: 50
max_envelope_bytes: 2KiB
flush_interval: 250ms
)", "t.yaml"), "/d");
  EXPECT_EQ(c.endpoints.normal_ingress, "tcp://127.0.0.1:5000");
  EXPECT_EQ(c.endpoints.normal_egress, "ipc:///d/oona-normal-out.sock");
  EXPECT_EQ(c.subscriber_queue.max_messages, 7u);
  EXPECT_EQ(c.subscriber_queue.max_bytes, 1024u);
  EXPECT_EQ(c.queue_limits_for("nissa").max_messages, 70u);
  EXPECT_EQ(c.queue_limits_for("nissa").max_bytes, 1024u) << "what a named entry omits is subscriber_queue's";
  EXPECT_EQ(c.queue_limits_for("archiver").max_messages, 7u);
  EXPECT_EQ(c.queue_limits_for("archiver").max_bytes, 3072u);
  EXPECT_EQ(c.queue_limits_for("esper-tail@h:1").max_messages, 7u);
  EXPECT_EQ(c.subscriber_timeout, std::chrono::milliseconds(5000));
  EXPECT_DOUBLE_EQ(c.emergency_rate_per_source, 2.5);
  EXPECT_DOUBLE_EQ(c.emergency_burst, 4);
  EXPECT_EQ(c.egress_hwm, 50);
  EXPECT_EQ(c.max_envelope_bytes, 2048u);
  EXPECT_EQ(c.flush_interval, std::chrono::milliseconds(250));
}

TEST(BrokerConfig, AcceptsTheSharedQueueKeysOfEarlierVersions) {
  // An oona.yaml written for the single shared queue still starts: its bounds become each
  // subscriber's, and the keys that lost their meaning are accepted (with a warning).
  auto c = load_broker_config(config::parse_text(R"(
normal_queue: {max_messages: 5000, max_bytes: 1MiB, reliable_max_messages: 7}
emergency: {max_messages: 9, rate_per_source: 10}
)", "old.yaml"), "/d");
  EXPECT_EQ(c.subscriber_queue.max_messages, 5000u);
  EXPECT_EQ(c.subscriber_queue.max_bytes, 1u << 20);
  EXPECT_EQ(c.emergency_rate_per_source, 10);
}

TEST(BrokerConfig, RejectsBadValuesAndUnknownKeysNamingTheKey) {
  try {
    load_broker_config(config::parse_text("endpoints:\n  normal_ingress: udp://x\n", "t.yaml"), "/d");
    FAIL() << "accepted udp://";
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(e.key(), "endpoints.normal_ingress");
    EXPECT_EQ(e.line(), 2);
  }
  EXPECT_THROW(load_broker_config(config::parse_text("flush_intervl: 1s\n", "t.yaml"), "/d"),
               config::ConfigError);
  EXPECT_THROW(load_broker_config(config::parse_text("emergency: {rate_per_source: 0}\n", "t.yaml"), "/d"),
               config::ConfigError);
  EXPECT_THROW(load_broker_config(config::parse_text("subscriber_queue: {max_messages: 0}\n", "t.yaml"), "/d"),
               config::ConfigError);
  EXPECT_THROW(load_broker_config(config::parse_text("named_subscribers: {nissa: {max_mesages: 5}}\n", "t.yaml"), "/d"),
               config::ConfigError);
}

TEST(BrokerConfig, ReadsEmergencyScheduling) {
  auto defaults = load_broker_config(config::parse_text("", "t.yaml"), "/d");
  EXPECT_EQ(defaults.emergency_scheduling.realtime_priority, 10);
  EXPECT_EQ(defaults.emergency_scheduling.cpu, EmergencySchedulingConfig::kAutoCpu);
  auto c = load_broker_config(
      config::parse_text("emergency_scheduling: {realtime_priority: 0, cpu: none}\n", "t.yaml"), "/d");
  EXPECT_EQ(c.emergency_scheduling.realtime_priority, 0);
  EXPECT_EQ(c.emergency_scheduling.cpu, EmergencySchedulingConfig::kNoCpu);
  auto pinned = load_broker_config(
      config::parse_text("emergency_scheduling:\n  realtime_priority: 50\n  cpu: 3\n", "t.yaml"), "/d");
  EXPECT_EQ(pinned.emergency_scheduling.realtime_priority, 50);
  EXPECT_EQ(pinned.emergency_scheduling.cpu, 3);
  for (const auto& [yaml, key] : std::vector<std::pair<std::string, std::string>>{
           {"emergency_scheduling:\n  cpu: first\n", "emergency_scheduling.cpu"},
           {"emergency_scheduling:\n  cpu: -3\n", "emergency_scheduling.cpu"},
           {"emergency_scheduling:\n  realtime_priority: 100\n", "emergency_scheduling.realtime_priority"},
           {"emergency_scheduling:\n  realtime: 5\n", "emergency_scheduling.realtime"}}) {
    try {
      load_broker_config(config::parse_text(yaml, "t.yaml"), "/d");
      ADD_FAILURE() << "accepted " << yaml;
    } catch (const config::ConfigError& e) {
      EXPECT_EQ(e.key(), key) << yaml;
      EXPECT_EQ(e.line(), 2) << yaml;
    }
  }
}

TEST(BrokerConfig, TheExampleDeployConfigIsValid) {
  auto c = load_broker_config(config::load_file(ESPER_SOURCE_DIR "/deploy/config/oona.yaml"), "/d");
  EXPECT_EQ(c.subscriber_queue.max_messages, 100000u);
  EXPECT_EQ(c.queue_limits_for("nissa").max_messages, 1000000u);
  EXPECT_EQ(c.flush_interval, std::chrono::milliseconds(1000));
  EXPECT_TRUE(c.signing_key.empty());
}

TEST(BrokerConfig, ReadsSigningAndCurveKeys) {
  auto c = load_broker_config(config::parse_text(
      "signing: {key_hex: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f}\n"
      "curve:\n"
      "  server_secret_key: 'JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6'\n"
      "  allowed_client_keys: ['rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7']\n",
      "t.yaml"), "/d");
  EXPECT_EQ(c.signing_key.size(), 32u);
  EXPECT_EQ(c.signing_key[1], '\x01');
  EXPECT_EQ(c.curve.server_secret_key, "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6");
  EXPECT_EQ(c.curve.allowed_client_keys.size(), 1u);
  EXPECT_THROW(load_broker_config(config::parse_text("signing: {key_hex: abc}\n", "t.yaml"), "/d"),
               config::ConfigError);
  EXPECT_THROW(load_broker_config(config::parse_text("curve: {server_secret_key: short}\n", "t.yaml"), "/d"),
               config::ConfigError);
}

}  // namespace
}  // namespace esper::oona
