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

// A config with one service, `a` (argv at line 3), and `extra` lines of its own after that.
std::string one_service(const std::string& extra = "") { return "services:\n  a:\n    argv: [sleep, '1']\n" + extra; }

// Whether `yaml` is refused naming `key` at `line`.
::testing::AssertionResult refused_at(const std::string& yaml, const std::string& key, int line) {
  const auto e = error_of(yaml);
  if (e.key() == key && e.line() == line) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "refused naming " << e.key() << " at line " << e.line() << ", not " << key
                                       << " at line " << line << ": " << e.what();
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
  const auto e = error_of(one_service("    restrat: always\n"));
  EXPECT_EQ(e.file(), "wl.yaml");
  EXPECT_TRUE(refused_at(one_service("    restrat: always\n"), "services.a.restrat", 4));
}

TEST(SupervisorConfigTest, BadTypeNamesTheKey) {
  EXPECT_TRUE(refused_at("flush_interval: often\n" + one_service(), "flush_interval", 1));
  EXPECT_TRUE(refused_at("services:\n  a:\n    argv: sleep\n", "services.a.argv", 3));
}

TEST(SupervisorConfigTest, DependencyCycleIsRefusedAndNamed) {
  auto service = [](const std::string& name, const std::string& depends_on) {
    return "  " + name + ":\n    argv: [sleep, '1']\n    depends_on: [" + depends_on + "]\n";
  };
  const auto e = error_of("services:\n" + service("a", "c") + service("b", "a") + service("c", "b"));
  EXPECT_NE(std::string(e.what()).find("dependency cycle"), std::string::npos) << e.what();
  EXPECT_NE(e.key().find("depends_on"), std::string::npos) << e.key();
  EXPECT_GT(e.line(), 0);
  EXPECT_TRUE(refused_at(one_service("    depends_on: [nope]\n"), "services.a.depends_on", 4));
}

TEST(SupervisorConfigTest, MissingExecutableIsRefusedAtItsLine) {
  const std::string missing = "services:\n  a:\n    argv: [/nonexistent/bin/oona, --config, x]\n";
  EXPECT_TRUE(refused_at(missing, "services.a.argv", 3));
  EXPECT_NE(std::string(error_of(missing).what()).find("/nonexistent/bin/oona"), std::string::npos);
  EXPECT_EQ(error_of("services:\n  a:\n    argv: [no-such-program-on-path]\n").key(), "services.a.argv");
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
