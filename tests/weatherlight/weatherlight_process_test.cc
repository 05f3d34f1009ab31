// The real weatherlight supervising real processes: systemd notification, restart backoff, the crash
// loop's CRITICAL event on the bus, the flush protocol with two producers, unhealthy services,
// reverse-order shutdown with nothing left behind, SIGHUP reload, and config errors at start.
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

namespace esper::weatherlight {
namespace {

using namespace std::chrono_literals;
using esper::testing::TempDir;
using esper::testing::wait_until;
using testing::PidFileReaper;
using testing::read_lines;
using testing::sh_argv;
using testing::WeatherlightProcess;

std::int64_t unix_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(WeatherlightProcessTest, NotifiesSystemdReadyStatusWatchdogAndStopping) {
  TempDir dir;
  esper::testing::NotifySocket notify(dir.path() / "notify.sock");
  ASSERT_TRUE(notify.ok());
  WeatherlightProcess wl(dir.path(),
                         "runtime_dir: " + dir.path().string() +
                             "\npublish_to_bus: false\nservices:\n  sleeper:\n    argv: [/bin/sleep, '1000']\n",
                         {{"NOTIFY_SOCKET", (dir.path() / "notify.sock").string()}, {"WATCHDOG_USEC", "200000"}});
  ASSERT_TRUE(wl.wait_ready());
  std::vector<std::string> seen;
  notify.collect(seen, 700ms);
  wl.process().signal(SIGTERM);
  const auto status = wl.process().wait(10s);
  ASSERT_TRUE(status.has_value()) << "weatherlight did not exit after SIGTERM";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << esper::testing::describe_status(*status);
  notify.collect(seen, 300ms);

  auto index_of = [&](const std::string& prefix, std::size_t from = 0) {
    for (std::size_t i = from; i < seen.size(); ++i) {
      if (seen[i].rfind(prefix, 0) == 0) return static_cast<std::ptrdiff_t>(i);
    }
    return static_cast<std::ptrdiff_t>(-1);
  };
  std::string all;
  for (const auto& s : seen) all += s + " | ";
  const auto ready = index_of("READY=1");
  ASSERT_GE(ready, 0) << all;
  const auto status_line = index_of("STATUS=", static_cast<std::size_t>(ready));
  ASSERT_GT(status_line, ready) << all;
  EXPECT_NE(seen[static_cast<std::size_t>(status_line)].find("1/1 services up"), std::string::npos) << all;
  const auto stopping = index_of("STOPPING=1");
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
                         "runtime_dir: " + dir.path().string() +
                             "\npublish_to_bus: false\n"
                             "services:\n"
                             "  talker:\n    argv: " +
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
                         "runtime_dir: " + dir.path().string() +
                             "\npublish_to_bus: false\n"
                             "backoff: {initial: 300ms, max: 5s, multiplier: 2, jitter: 0, crash_loop_limit: 10}\n"
                             "services:\n  victim:\n    restart: always\n    argv: " +
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
  oona::testing::OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  oona::BusSubscriber subscriber(oona::testing::subscriber_options(oona.endpoints()));
  ASSERT_TRUE(oona::testing::connect(oona.endpoints(), subscriber));
  TempDir dir;
  const auto runs = dir.path() / "runs";
  WeatherlightProcess wl(dir.path(),
                         "runtime_dir: " + oona.dir().path().string() +
                             "\ncontrol_endpoint: ipc://" + (dir.path() / "control.sock").string() +
                             "\nbackoff: {initial: 20ms, max: 50ms, crash_loop_limit: 3, crash_loop_window: 30s}\n"
                             "services:\n"
                             "  steady:\n    argv: [/bin/sleep, '1000']\n"
                             "  crasher:\n    restart: always\n    argv: " +
                             sh_argv("echo run >> " + runs.string() + "; exit 3") + "\n");

  bool critical = false;
  ASSERT_TRUE(wait_until(
      [&] {
        auto m = subscriber.receive(100ms);
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

// Collects what two flush-test producers and weatherlight publish.
struct FlushObservations {
  std::map<std::string, std::vector<int>> sequence_seen;  // source -> count per value.
  std::set<std::string> latency_reported;                  // services with weatherlight.flush_latency_ms
  std::map<std::string, double> flush_dropped;             // weatherlight.flush_dropped_total by service
  std::map<std::string, double> producer_dropped;          // producer.buffer_dropped_total by source

  void take(const oona::BusMessage& m) {
    if (!m.envelope.has_telemetry()) return;
    const auto& source = m.envelope.source();
    for (const auto& p : m.envelope.telemetry().metrics()) {
      if (p.name() == "test.sequence") {
        auto& seen = sequence_seen[source];
        const auto v = static_cast<std::size_t>(p.value());
        if (seen.size() <= v) seen.resize(v + 1, 0);
        ++seen[v];
      } else if (p.name() == "weatherlight.flush_latency_ms") {
        latency_reported.insert(p.attributes().at("service"));
      } else if (p.name() == "weatherlight.flush_dropped_total") {
        flush_dropped[p.attributes().at("service")] = p.value();
      } else if (p.name() == "producer.buffer_dropped_total") {
        producer_dropped[source] = p.value();
      }
    }
  }
};

std::map<std::string, std::uint64_t> read_report(const std::filesystem::path& file) {
  std::map<std::string, std::uint64_t> report;
  for (const auto& line : read_lines(file)) {
    std::istringstream in(line);
    std::string key;
    std::uint64_t value = 0;
    in >> key >> value;
    report[key] = value;
  }
  return report;
}

TEST(WeatherlightProcessTest, EachFlushDrainsBothProducersAndEveryPointArrivesOnce) {
  oona::testing::OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  oona::BusSubscriber subscriber(oona::testing::subscriber_options(oona.endpoints(), 100000));
  ASSERT_TRUE(oona::testing::connect(oona.endpoints(), subscriber));
  TempDir dir;
  const std::string producer = esper::testing::built_binary("tests/weatherlight/flush_test_producer").string();
  WeatherlightProcess wl(
      dir.path(),
      "runtime_dir: " + oona.dir().path().string() + "\ncontrol_endpoint: ipc://" +
          (dir.path() / "control.sock").string() +
          "\nflush_interval: 200ms\n"
          "services:\n"
          "  alpha:\n    ready: hello\n    argv: [" + producer + ", --rate, '2000', --report-file, " +
          (dir.path() / "alpha.report").string() + "]\n"
          "  beta:\n    ready: hello\n    argv: [" + producer + ", --rate, '5000', --capacity, '50', --report-file, " +
          (dir.path() / "beta.report").string() + "]\n");
  ASSERT_TRUE(wl.wait_ready()) << "the producers did not say HELLO";

  FlushObservations seen;
  ASSERT_TRUE(wait_until(
      [&] {
        if (auto m = subscriber.receive(50ms)) seen.take(*m);
        return seen.latency_reported.contains("alpha") && seen.latency_reported.contains("beta") &&
               seen.flush_dropped["beta"] > 0 && seen.producer_dropped["beta"] > 0;
      },
      20s))
      << "weatherlight did not report flush latency for both producers and beta's drops";

  wl.process().signal(SIGTERM);
  const auto status = wl.process().wait(20s);
  ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  const auto alpha = read_report(dir.path() / "alpha.report");
  const auto beta = read_report(dir.path() / "beta.report");
  ASSERT_GT(alpha.at("recorded"), 0u);
  ASSERT_GT(beta.at("recorded"), 0u);
  // Every drain but the one at exit came from a FLUSH: the producers never fell back to their timer.
  EXPECT_GE(alpha.at("flushes_answered"), 2u);
  EXPECT_GE(beta.at("flushes_answered"), 2u);
  EXPECT_EQ(alpha.at("timer_flushes"), 0u);
  EXPECT_EQ(beta.at("timer_flushes"), 0u);
  EXPECT_EQ(alpha.at("dropped"), 0u);
  EXPECT_GT(beta.at("dropped"), 0u);

  auto total = [&](const std::string& source) {
    std::uint64_t n = 0;
    for (int c : seen.sequence_seen[source]) n += c > 0 ? 1 : 0;
    return n;
  };
  const std::uint64_t alpha_expected = alpha.at("recorded");
  const std::uint64_t beta_expected = beta.at("recorded") - beta.at("dropped");
  ASSERT_TRUE(wait_until(
      [&] {
        if (auto m = subscriber.receive(50ms)) seen.take(*m);
        // A drain's own producer.* telemetry follows its points: wait for that too.
        return total("alpha") == alpha_expected && total("beta") == beta_expected &&
               seen.producer_dropped["beta"] == static_cast<double>(beta.at("dropped"));
      },
      20s))
      << "alpha: " << total("alpha") << " of " << alpha_expected << " points, beta: " << total("beta") << " of "
      << beta_expected << "; beta's telemetry says " << seen.producer_dropped["beta"] << " dropped of "
      << beta.at("dropped");
  for (const auto* source : {"alpha", "beta"}) {
    const auto& counts = seen.sequence_seen[source];
    for (std::size_t v = 0; v < counts.size(); ++v) ASSERT_LE(counts[v], 1) << source << " point " << v << " twice";
  }
  // Alpha lost nothing: its points are exactly 0 .. recorded-1.
  EXPECT_EQ(seen.sequence_seen["alpha"].size(), alpha_expected);
}

TEST(WeatherlightProcessTest, MissedFlushesMakeAServiceUnhealthyWithAWarning) {
  oona::testing::OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  oona::BusSubscriber subscriber(oona::testing::subscriber_options(oona.endpoints()));
  ASSERT_TRUE(oona::testing::connect(oona.endpoints(), subscriber));
  TempDir dir;
  const std::string producer = esper::testing::built_binary("tests/weatherlight/flush_test_producer").string();
  WeatherlightProcess wl(dir.path(), "runtime_dir: " + oona.dir().path().string() + "\ncontrol_endpoint: ipc://" +
                                         (dir.path() / "control.sock").string() +
                                         "\nflush_interval: 100ms\nmissed_flushes_unhealthy: 3\n"
                                         "services:\n  mute:\n    ready: hello\n"
                                         "    restart_when_unhealthy: true\n    argv: [" + producer +
                                         ", --mute]\n");
  ASSERT_TRUE(wl.wait_ready());
  bool warned = false, restarted = false;
  ASSERT_TRUE(wait_until(
      [&] {
        auto m = subscriber.receive(100ms);
        if (!m || m->envelope.source() != "weatherlight" || !m->envelope.has_event()) return warned && restarted;
        const auto& e = m->envelope.event();
        warned = warned || (e.description() == "service_unhealthy" && e.level() == proto::SEVERITY_WARNING &&
                            e.attributes().at("service") == "mute");
        // restart_when_unhealthy: after the warning, the service is started again.
        restarted = restarted || (warned && e.description() == "service_started" && e.attributes().at("service") == "mute");
        return warned && restarted;
      },
      20s))
      << "for a service that never answers FLUSH: WARNING " << warned << ", restarted " << restarted;
}

TEST(WeatherlightProcessTest, SigtermStopsInReverseDependencyOrderAndLeavesNoProcess) {
  TempDir dir;
  const auto log = dir.path() / "log";
  PidFileReaper reaper{log};
  auto service = [&](const std::string& name, const std::string& depends) {
    // The service records its pid and a grandchild that ignores SIGTERM; on SIGTERM it logs its stop.
    const std::string script = "trap 'echo \"stop " + name + "\" >> " + log.string() + "; exit 0' TERM; " +
                               "echo \"start $$ " + name + "\" >> " + log.string() + "; " +
                               "(trap '' TERM; exec sleep 1000) & echo \"grandchild $! " + name + "\" >> " +
                               log.string() + "; echo up; while true; do sleep 0.05; done";
    // Ready only once it has logged its start, so that start order in the log is dependency order.
    return "  " + name + ":\n    argv: " + sh_argv(script) + "\n    ready: line\n    ready_line: up\n" +
           (depends.empty() ? "" : "    depends_on: [" + depends + "]\n");
  };
  WeatherlightProcess wl(dir.path(), "runtime_dir: " + dir.path().string() + "\npublish_to_bus: false\nstop_timeout: 5s\n" +
                                         "services:\n" + service("c", "b") + service("a", "") + service("b", "a"));
  ASSERT_TRUE(wl.wait_ready());
  ASSERT_TRUE(wait_until([&] { return read_lines(log).size() == 6; }, 10s)) << "not all services started";
  std::vector<pid_t> pids;
  std::vector<std::string> start_order;
  for (const auto& line : read_lines(log)) {
    std::istringstream in(line);
    std::string word, name;
    pid_t pid = 0;
    in >> word >> pid >> name;
    pids.push_back(pid);
    if (word == "start") start_order.push_back(name);
  }
  EXPECT_EQ(start_order, (std::vector<std::string>{"a", "b", "c"}));

  wl.process().signal(SIGTERM);
  const auto status = wl.process().wait(30s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << esper::testing::describe_status(*status);
  std::vector<std::string> stops;
  for (const auto& line : read_lines(log)) {
    if (line.rfind("stop ", 0) == 0) stops.push_back(line.substr(5));
  }
  EXPECT_EQ(stops, (std::vector<std::string>{"c", "b", "a"}));
  for (pid_t pid : pids) {
    EXPECT_TRUE(wait_until([&] { return !testing::pid_alive(pid); }, 5s)) << "pid " << pid << " outlived weatherlight";
  }
}

TEST(WeatherlightProcessTest, SighupRestartsOnlyChangedServicesAndStartsNewOnes) {
  TempDir dir;
  const auto log = dir.path() / "log";
  PidFileReaper reaper{log};
  auto service = [&](const std::string& name, const std::string& variant) {
    return "  " + name + ":\n    argv: " +
           sh_argv("echo \"start $$ " + name + " " + variant + "\" >> " + log.string() + "; exec sleep 1000") + "\n";
  };
  const std::string head = "runtime_dir: " + dir.path().string() + "\npublish_to_bus: false\nservices:\n";
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
  wl.process().signal(SIGTERM);
  const auto status = wl.process().wait(20s);
  ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
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

}  // namespace
}  // namespace esper::weatherlight

namespace esper::weatherlight {
namespace {

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
}  // namespace esper::weatherlight
