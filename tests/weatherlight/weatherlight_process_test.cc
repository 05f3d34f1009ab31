// The real weatherlight supervising real processes: systemd notification, its children's log lines,
// restart backoff, the crash loop's CRITICAL event on the bus, SIGHUP reload, and config errors at
// start. The flush protocol is weatherlight_flush_test.cc's; start and stop,
// weatherlight_start_stop_test.cc's.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "oona/bus_subscriber.h"
#include "tests/support/notify_socket.h"
#include "tests/support/oona_process.h"
#include "tests/support/wait_until.h"
#include "tests/support/weatherlight_process.h"

namespace esper::weatherlight::testing {
namespace {

using esper::testing::TempDir;
using esper::testing::wait_until;

std::int64_t unix_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(WeatherlightProcessTest, NotifiesSystemdReadyStatusWatchdogAndStopping) {
  TempDir dir;
  esper::testing::NotifySocket notify(dir.path() / "notify.sock");
  ASSERT_TRUE(notify.ok());
  WeatherlightProcess wl(dir.path(), config_without_bus(dir.path()) + "  sleeper:\n    argv: [/bin/sleep, '1000']\n",
                         {{"NOTIFY_SOCKET", (dir.path() / "notify.sock").string()}, {"WATCHDOG_USEC", "200000"}});
  ASSERT_TRUE(wl.wait_ready());
  std::vector<std::string> seen;
  notify.collect(seen, 700ms);
  ASSERT_TRUE(wl.stops_cleanly(10s));
  notify.collect(seen, 300ms);

  using esper::testing::index_of;
  std::string all;
  for (const auto& s : seen) all += s + " | ";
  const auto ready = index_of(seen, "READY=1");
  ASSERT_GE(ready, 0) << all;
  const auto status_line = index_of(seen, "STATUS=", static_cast<std::size_t>(ready));
  ASSERT_GT(status_line, ready) << all;
  EXPECT_NE(seen[static_cast<std::size_t>(status_line)].find("1/1 services up"), std::string::npos) << all;
  const auto stopping = index_of(seen, "STOPPING=1");
  ASSERT_GT(stopping, status_line) << all;
  int watchdogs_between = 0;
  for (auto i = ready; i < stopping; ++i) watchdogs_between += seen[static_cast<std::size_t>(i)] == "WATCHDOG=1";
  // 700 ms at a 100 ms period (half of WATCHDOG_USEC): expect several, allow a slow machine.
  EXPECT_GE(watchdogs_between, 3) << all;
}

// A child's "<N>" prefixed lines are logged at that level, and a supervised Esper process writes
// its log lines that way, so they are stamped once, by Weatherlight.
TEST(WeatherlightProcessTest, ChildLogLinesKeepTheirLevelAndAreStampedOnce) {
  TempDir dir;
  const std::string producer = esper::testing::built_binary("tests/weatherlight/flush_test_producer").string();
  WeatherlightProcess wl(dir.path(),
                         config_without_bus(dir.path()) + "  talker:\n    argv: " +
                             sh_argv("echo \"<4>disk almost full\" >&2; echo \"plain words\"; exec sleep 1000") +
                             "\n  esper:\n    argv: [" + producer + ", --mute, --log-level, debug]\n",
                         {}, /*capture_stderr=*/true);
  ASSERT_TRUE(wl.wait_ready());
  // The three lines come through different pipes, in any order.
  std::map<std::string, std::string> found;
  const std::vector<std::string> needles{"[talker] disk almost full", "[talker] plain words",
                                         "[esper] flush test producer started"};
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (found.size() < needles.size() && std::chrono::steady_clock::now() < deadline) {
    const auto line = wl.process().read_line(500ms);
    if (!line) continue;
    for (const auto& needle : needles) {
      if (line->find(needle) != std::string::npos) found[needle] = *line;
    }
  }
  ASSERT_EQ(found.size(), needles.size()) << "missing lines; found " << found.size();
  const std::string& warning = found[needles[0]];
  EXPECT_NE(warning.find(" warning weatherlight["), std::string::npos) << warning;
  EXPECT_EQ(warning.find("<4>"), std::string::npos) << warning;
  EXPECT_NE(found[needles[1]].find(" info  weatherlight["), std::string::npos) << found[needles[1]];
  // The Esper child's own line: Weatherlight's stamp only, not a second one inside.
  const std::string& esper = found[needles[2]];
  const std::string inside = esper.substr(esper.find("[esper] ") + 8);
  EXPECT_EQ(inside, "flush test producer started (mute)") << "stamped twice: " << esper;
}

TEST(WeatherlightProcessTest, KilledChildIsRestartedAfterTheConfiguredBackoff) {
  TempDir dir;
  const auto starts = dir.path() / "starts";
  PidFileReaper reaper{starts};
  WeatherlightProcess wl(dir.path(),
                         config_without_bus(dir.path(), "backoff: {initial: 300ms, max: 5s, multiplier: 2, jitter: 0, "
                                                        "crash_loop_limit: 10}\n") +
                             "  victim:\n    restart: always\n    argv: " +
                             sh_argv("echo \"start $$ $(date +%s%N)\" >> " + starts.string() + "; exec sleep 1000") +
                             "\n");
  ASSERT_TRUE(wl.wait_ready());
  ASSERT_TRUE(wait_until([&] { return read_lines(starts).size() == 1; }, 10s)) << "the service did not start";

  const std::int64_t expected_ms[] = {300, 600, 1200};
  for (std::size_t round = 0; round < 3; ++round) {
    const auto lines = read_lines(starts);
    std::istringstream last(lines.back());
    std::string word;
    pid_t pid = 0;
    last >> word >> pid;
    const auto killed_at = unix_ns();
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    ASSERT_TRUE(wait_until([&] { return read_lines(starts).size() == round + 2; }, 10s))
        << "not restarted after kill " << round + 1;
    std::istringstream next(read_lines(starts).back());
    std::int64_t started_ns = 0;
    next >> word >> pid >> started_ns;
    const auto delay_ms = (started_ns - killed_at) / 1'000'000;
    // The delay cannot be shorter than configured; process start-up adds a little on top.
    EXPECT_GE(delay_ms, expected_ms[round] - 5) << "restart " << round + 1;
    EXPECT_LE(delay_ms, expected_ms[round] + 250) << "restart " << round + 1;
  }
}

TEST(WeatherlightProcessTest, CrashLoopGivesUpWithACriticalEventOnTheEmergencyLane) {
  oona::testing::OonaWithSubscriber bus;
  ASSERT_TRUE(bus.ready());
  TempDir dir;
  const auto runs = dir.path() / "runs";
  WeatherlightProcess wl(dir.path(),
                         config_on_bus(bus.oona.dir().path(), dir.path(),
                                       "backoff: {initial: 20ms, max: 50ms, crash_loop_limit: 3, crash_loop_window: 30s}\n") +
                             "  steady:\n    argv: [/bin/sleep, '1000']\n"
                             "  crasher:\n    restart: always\n    argv: " +
                             sh_argv("echo run >> " + runs.string() + "; exit 3") + "\n");

  bool critical = false;
  ASSERT_TRUE(wait_until(
      [&] {
        auto m = bus.subscriber.receive(100ms);
        critical = critical || (m && m->socket == proto::Lane::kEmergency && m->envelope.source() == "weatherlight" &&
                                m->envelope.has_event() && m->envelope.event().description() == "service_crash_loop" &&
                                m->envelope.event().level() == proto::SEVERITY_CRITICAL &&
                                m->envelope.event().attributes().at("service") == "crasher");
        return critical;
      },
      20s))
      << "no CRITICAL service_crash_loop event from weatherlight on the emergency lane";
  // Started once, restarted crash_loop_limit times, then given up on: no further runs.
  EXPECT_EQ(read_lines(runs).size(), 4u);
  EXPECT_TRUE(wl.process().running()) << "weatherlight itself must keep running";
}

TEST(WeatherlightProcessTest, SighupRestartsOnlyChangedServicesAndStartsNewOnes) {
  TempDir dir;
  const auto log = dir.path() / "log";
  PidFileReaper reaper{log};
  auto service = [&](const std::string& name, const std::string& variant) {
    return "  " + name + ":\n    argv: " +
           sh_argv("echo \"start $$ " + name + " " + variant + "\" >> " + log.string() + "; exec sleep 1000") + "\n";
  };
  const std::string head = config_without_bus(dir.path());
  WeatherlightProcess wl(dir.path(), head + service("keep", "v1") + service("change", "v1"));
  ASSERT_TRUE(wl.wait_ready());
  ASSERT_TRUE(wait_until([&] { return read_lines(log).size() == 2; }, 10s));

  wl.rewrite_config(head + service("keep", "v1") + service("change", "v2") + service("added", "v1"));
  wl.process().signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return read_lines(log).size() == 4; }, 10s))
      << "after SIGHUP: " << read_lines(log).size() << " start lines, expected 4";
  std::map<std::string, std::vector<std::string>> starts;
  for (const auto& line : read_lines(log)) {
    std::istringstream in(line);
    std::string word, pid, name, variant;
    in >> word >> pid >> name >> variant;
    starts[name].push_back(variant);
  }
  EXPECT_EQ(starts["keep"], std::vector<std::string>{"v1"}) << "an unchanged service was restarted";
  EXPECT_EQ(starts["change"], (std::vector<std::string>{"v1", "v2"}));
  EXPECT_EQ(starts["added"], std::vector<std::string>{"v1"});

  // A broken config on SIGHUP is refused; the running services stay.
  wl.rewrite_config(head + "  broken:\n    argv: [/nonexistent]\n");
  wl.process().signal(SIGHUP);
  ASSERT_TRUE(wl.stops_cleanly());
  EXPECT_EQ(read_lines(log).size(), 4u) << "the refused config started or restarted something";
}

TEST(WeatherlightProcessTest, ConfigErrorsAreRefusedAtStartWithFileKeyAndLine) {
  TempDir dir;
  const auto config = dir.path() / "bad.yaml";
  const std::string binary = esper::testing::built_binary("weatherlight/weatherlight").string();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"services:\n  a:\n    argv: [/bin/sleep, '1']\n    colour: blue\n", "services.a.colour"},
      {"flush_interval: [1]\nservices:\n  a:\n    argv: [/bin/sleep]\n", "flush_interval"},
      {"services:\n  a:\n    argv: [/bin/sleep]\n    depends_on: [b]\n  b:\n    argv: [/bin/sleep]\n    depends_on: [a]\n",
       "depends_on"},
      {"services:\n  a:\n    argv: [/no/such/binary]\n", "services.a.argv"},
  };
  for (const auto& [yaml, key] : cases) {
    std::ofstream(config) << yaml;
    esper::testing::ChildProcess wl({"/bin/sh", "-c", "exec " + binary + " --config " + config.string() + " 2>&1"});
    const auto line = wl.wait_for_line(key, 10s);
    ASSERT_TRUE(line.has_value()) << "no error naming " << key << " for:\n" << yaml;
    // "<file>:<line>: key '<key>': <problem>"
    const auto at = line->find(config.string() + ":");
    ASSERT_NE(at, std::string::npos) << *line;
    EXPECT_TRUE(std::isdigit(static_cast<unsigned char>((*line)[at + config.string().size() + 1]))) << *line;
    const auto status = wl.wait(10s);
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << esper::testing::describe_status(*status);
  }
}


TEST(WeatherlightProcessTest, ReferenceAndDemoConfigsAreValid) {
  // The configs name installed programs; the built ones stand in for them on PATH.
  std::string path;
  for (const char* dir : {"oona", "nissa", "producers/tolaria", "producers/kasmina", "producers/tamiyo",
                          "producers/uma_serve", "producers/stream_gateway", "producers/rl_trainer"}) {
    path += esper::testing::built_binary(dir).string() + ":";
  }
  path += "/usr/bin:/bin";
  esper::testing::ChildProcess::Options options;
  options.env = {{"PATH", path},
                 {"STATE_DIRECTORY", "/var/lib/esper/producers"},
                 {"ESPER_DEMO_STATE", "/tmp"},
                 {"ESPER_HTTP_PORT", "0"},
                 {"ESPER_PYTHONPATH", "/tmp"}};
  const std::vector<std::pair<std::string, std::string>> configs = {
      {"/deploy/config/weatherlight.yaml", "valid, 3 services"},
      {"/deploy/config/demo/weatherlight.yaml", "valid, 9 services"}};
  for (const auto& [config, expected] : configs) {
    esper::testing::ChildProcess check({esper::testing::built_binary("weatherlight/weatherlight").string(), "--config",
                                        std::string(ESPER_SOURCE_DIR) + config, "--check-config"},
                                       options);
    EXPECT_TRUE(check.wait_for_line(expected, 10s).has_value()) << config;
    const auto status = check.wait(10s);
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << config << ": " << esper::testing::describe_status(*status);
  }
}

}  // namespace
}  // namespace esper::weatherlight::testing
