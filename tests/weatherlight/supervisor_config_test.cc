// Weatherlight's config: defaults, substitutions, start order, and every refusal naming file, key
// and line.
#include <gtest/gtest.h>

#include "weatherlight/supervisor_config.h"

namespace esper::weatherlight {
namespace {

SupervisorConfig load(const std::string& yaml) {
  return load_supervisor_config(config::parse_text(yaml, "wl.yaml"), std::filesystem::path("/tmp/wl-run"));
}

// The ConfigError `yaml` raises; fails the test if it loads.
config::ConfigError error_of(const std::string& yaml) {
  try {
    load(yaml);
  } catch (const config::ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "config loaded but should not have:\n" << yaml;
  return config::ConfigError("", "", 0, "");
}

TEST(SupervisorConfigTest, ReadsServicesInDependencyOrderWithDefaults) {
  const auto c = load(
      "flush_interval: 250ms\n"
      "services:\n"
      "  nissa:\n"
      "    argv: [sleep, '10']\n"
      "    depends_on: [oona]\n"
      "    ready: hello\n"
      "  oona:\n"
      "    argv: [/bin/sleep, '${runtime_dir}']\n"
      "    restart: always\n"
      "    ready: line\n"
      "    ready_line: oona ready\n");
  ASSERT_EQ(c.services.size(), 2u);
  EXPECT_EQ(c.services[0].name, "oona");
  EXPECT_EQ(c.services[1].name, "nissa");
  EXPECT_EQ(c.services[0].argv[1], "/tmp/wl-run");
  EXPECT_EQ(c.services[0].restart, RestartPolicy::kAlways);
  EXPECT_EQ(c.services[0].ready, Readiness::kLine);
  EXPECT_EQ(c.services[1].restart, RestartPolicy::kOnFailure);
  EXPECT_EQ(c.services[1].ready, Readiness::kHello);
  EXPECT_TRUE(c.services[1].executable.is_absolute()) << c.services[1].executable;
  EXPECT_EQ(c.services[1].env.at("RUNTIME_DIRECTORY"), "/tmp/wl-run");
  EXPECT_EQ(c.flush_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(c.control_endpoint, "ipc:///tmp/wl-run/weatherlight-control.sock");
  EXPECT_EQ(c.bus.normal_ingress, "ipc:///tmp/wl-run/oona-normal-in.sock");
}

TEST(SupervisorConfigTest, SubstitutesEnvironmentVariablesAndRefusesUnsetOnes) {
  ::setenv("ESPER_TEST_STATE", "/var/lib/esper-test", 1);
  const auto c = load(
      "services:\n"
      "  a:\n"
      "    argv: [sleep, '--state=${env:ESPER_TEST_STATE}/a']\n"
      "    env: {DIR: '${env:ESPER_TEST_STATE}'}\n");
  EXPECT_EQ(c.services[0].argv[1], "--state=/var/lib/esper-test/a");
  EXPECT_EQ(c.services[0].env.at("DIR"), "/var/lib/esper-test");
  ::unsetenv("ESPER_TEST_UNSET");
  const auto e = error_of("services:\n  a:\n    argv: [sleep, '${env:ESPER_TEST_UNSET}']\n");
  EXPECT_EQ(e.key(), "services.a.argv");
  EXPECT_NE(std::string(e.what()).find("ESPER_TEST_UNSET"), std::string::npos);
  EXPECT_EQ(error_of("services:\n  a:\n    argv: [sleep, '${nope}']\n").key(), "services.a.argv");
}

TEST(SupervisorConfigTest, UnknownKeyNamesFileKeyAndLine) {
  const auto e = error_of(
      "services:\n"
      "  a:\n"
      "    argv: [sleep, '1']\n"
      "    restrat: always\n");
  EXPECT_EQ(e.file(), "wl.yaml");
  EXPECT_EQ(e.key(), "services.a.restrat");
  EXPECT_EQ(e.line(), 4);
}

TEST(SupervisorConfigTest, BadTypeNamesTheKey) {
  const auto e = error_of(
      "flush_interval: often\n"
      "services:\n"
      "  a:\n"
      "    argv: [sleep, '1']\n");
  EXPECT_EQ(e.key(), "flush_interval");
  EXPECT_EQ(e.line(), 1);
  const auto e2 = error_of(
      "services:\n"
      "  a:\n"
      "    argv: sleep\n");
  EXPECT_EQ(e2.key(), "services.a.argv");
  EXPECT_EQ(e2.line(), 3);
}

TEST(SupervisorConfigTest, DependencyCycleIsRefusedAndNamed) {
  const auto e = error_of(
      "services:\n"
      "  a:\n"
      "    argv: [sleep, '1']\n"
      "    depends_on: [c]\n"
      "  b:\n"
      "    argv: [sleep, '1']\n"
      "    depends_on: [a]\n"
      "  c:\n"
      "    argv: [sleep, '1']\n"
      "    depends_on: [b]\n");
  EXPECT_NE(std::string(e.what()).find("dependency cycle"), std::string::npos) << e.what();
  EXPECT_NE(e.key().find("depends_on"), std::string::npos) << e.key();
  EXPECT_GT(e.line(), 0);
  const auto unknown = error_of(
      "services:\n"
      "  a:\n"
      "    argv: [sleep, '1']\n"
      "    depends_on: [nope]\n");
  EXPECT_EQ(unknown.key(), "services.a.depends_on");
  EXPECT_EQ(unknown.line(), 4);
}

TEST(SupervisorConfigTest, MissingExecutableIsRefusedAtItsLine) {
  const auto e = error_of(
      "services:\n"
      "  a:\n"
      "    argv: [/nonexistent/bin/oona, --config, x]\n");
  EXPECT_EQ(e.key(), "services.a.argv");
  EXPECT_EQ(e.line(), 3);
  EXPECT_NE(std::string(e.what()).find("/nonexistent/bin/oona"), std::string::npos);
  const auto on_path = error_of(
      "services:\n"
      "  a:\n"
      "    argv: [no-such-program-on-path]\n");
  EXPECT_EQ(on_path.key(), "services.a.argv");
}

TEST(SupervisorConfigTest, BadValuesAreRefused) {
  EXPECT_EQ(error_of("services:\n  a:\n    argv: [sleep]\n    restart: sometimes\n").key(), "services.a.restart");
  EXPECT_EQ(error_of("services:\n  a:\n    argv: [sleep]\n    ready: line\n").key(), "services.a.ready_line");
  EXPECT_EQ(error_of("backoff:\n  multiplier: 0.5\nservices:\n  a:\n    argv: [sleep]\n").key(), "backoff.multiplier");
  EXPECT_EQ(error_of("backoff:\n  jitter: 1.5\nservices:\n  a:\n    argv: [sleep]\n").key(), "backoff.jitter");
  EXPECT_EQ(error_of("services: {}\n").key(), "services");
}

}  // namespace
}  // namespace esper::weatherlight
