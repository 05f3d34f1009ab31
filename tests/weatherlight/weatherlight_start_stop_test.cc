// The real weatherlight at the edges of a deployment's life: services start in dependency order and
// stop in reverse, leaving no process behind; a one-shot service that finishes does not hold
// readiness back, one that fails fails the start; at stop, a tier of services stops at once, and
// processes that escaped their service's process group (setsid) do not outlive it.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "tests/support/notify_socket.h"
#include "tests/support/wait_until.h"
#include "tests/support/weatherlight_process.h"

namespace esper::weatherlight::testing {
namespace {

using esper::testing::TempDir;
using esper::testing::wait_until;

TEST(WeatherlightStartStopTest, SigtermStopsInReverseDependencyOrderAndLeavesNoProcess) {
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
  WeatherlightProcess wl(dir.path(), config_without_bus(dir.path(), "stop_timeout: 5s\n") + service("c", "b") +
                                         service("a", "") + service("b", "a"));
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

  ASSERT_TRUE(wl.stops_cleanly(30s));
  std::vector<std::string> stops;
  for (const auto& line : read_lines(log)) {
    if (line.rfind("stop ", 0) == 0) stops.push_back(line.substr(5));
  }
  EXPECT_EQ(stops, (std::vector<std::string>{"c", "b", "a"}));
  for (pid_t pid : pids) {
    EXPECT_TRUE(wait_until([&] { return !pid_alive(pid); }, 5s)) << "pid " << pid << " outlived weatherlight";
  }
}

TEST(WeatherlightStartStopTest, AFinishedOneShotAndASlowServiceReachReady) {
  TempDir dir;
  esper::testing::NotifySocket notify(dir.path() / "notify.sock");
  ASSERT_TRUE(notify.ok());
  const auto log = dir.path() / "log";
  const std::string yaml =
      config_without_bus(dir.path()) +
      // Exits 0 at once, long before `slow` is ready.
      "  migrate:\n    argv: [/bin/true]\n    restart: never\n" +
      "  slow:\n    argv: " + sh_argv("sleep 1; echo up; exec sleep 1000") + "\n    ready: line\n    ready_line: up\n" +
      // Waits for the one-shot to have done its job, as a unit After= a oneshot would.
      "  after:\n    argv: " + sh_argv("echo \"after $$\" >> " + log.string() + "; exec sleep 1000") +
      "\n    depends_on: [migrate]\n";
  WeatherlightProcess wl(dir.path(), yaml, {{"NOTIFY_SOCKET", (dir.path() / "notify.sock").string()}});
  ASSERT_TRUE(wl.wait_ready()) << "weatherlight never became ready with a finished one-shot";
  std::vector<std::string> seen;
  ASSERT_TRUE(wait_until([&] {
    notify.collect(seen, 100ms);
    return std::find(seen.begin(), seen.end(), "READY=1") != seen.end();
  }, 10s)) << "no READY=1";
  EXPECT_TRUE(wait_until([&] { return pids_in(log).size() == 1; }, 10s))
      << "the service depending on the one-shot did not start";
  EXPECT_TRUE(wl.stops_cleanly());
}

TEST(WeatherlightStartStopTest, AOneShotThatFailsFailsTheStartWithItsName) {
  TempDir dir;
  const auto log = dir.path() / "log";
  PidFileReaper reaper{log};
  const std::string yaml =
      config_without_bus(dir.path()) + "  migrate:\n    argv: [/bin/sh, -c, 'exit 3']\n    restart: never\n" +
      "  slow:\n    argv: " + sh_argv("echo \"slow $$\" >> " + log.string() + "; sleep 2; echo up; exec sleep 1000") +
      "\n    ready: line\n    ready_line: up\n";
  WeatherlightProcess wl(dir.path(), yaml, {}, /*capture_stderr=*/true);
  const auto line = wl.process().wait_for_line("start failed", 10s);
  ASSERT_TRUE(line.has_value()) << "no 'start failed' message";
  EXPECT_NE(line->find("migrate"), std::string::npos) << *line;
  EXPECT_NE(line->find("exit 3"), std::string::npos) << *line;
  const auto status = wl.process().wait(20s);
  ASSERT_TRUE(status.has_value()) << "weatherlight kept running after a failed start";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1) << esper::testing::describe_status(*status);
  for (pid_t pid : pids_in(log)) EXPECT_FALSE(pid_alive(pid)) << "service pid " << pid << " outlived the failed start";
}

TEST(WeatherlightStartStopTest, ProcessesThatEscapedTheirGroupDoNotOutliveWeatherlight) {
  TempDir dir;
  const auto log = dir.path() / "log";
  PidFileReaper reaper{log};
  // Two grandchildren in sessions of their own: one stops on SIGTERM, one ignores it.
  const std::string script =
      "setsid sh -c 'echo \"polite $$\" >> " + log.string() + "; exec sleep 1000' & " +
      "setsid sh -c 'trap \"\" TERM; echo \"stubborn $$\" >> " + log.string() + "; exec sleep 1000' & " +
      "echo up; exec sleep 1000";
  WeatherlightProcess wl(dir.path(),
                         config_without_bus(dir.path(), "stop_timeout: 1s\n") + "  spawner:\n    argv: " + sh_argv(script) +
                             "\n    ready: line\n    ready_line: up\n",
                         {}, /*capture_stderr=*/true);
  ASSERT_TRUE(wl.wait_ready());
  ASSERT_TRUE(wait_until([&] { return pids_in(log).size() == 2; }, 10s)) << "the grandchildren did not start";
  const auto orphans = pids_in(log);
  for (pid_t pid : orphans) ASSERT_TRUE(pid_alive(pid));

  ASSERT_TRUE(wl.stops_cleanly());
  // Weatherlight reaped them before exiting, so they are gone, not zombies waiting for init.
  for (pid_t pid : orphans) EXPECT_FALSE(pid_alive(pid)) << "pid " << pid << " outlived weatherlight";
}

TEST(WeatherlightStartStopTest, ServicesOfOneTierStopTogether) {
  TempDir dir;
  // Three services that ignore SIGTERM, none depending on another: one tier. Stopped one after
  // another they would take 3 x stop_timeout; together, one.
  std::string yaml = config_without_bus(dir.path(), "stop_timeout: 1s\n");
  for (const char* name : {"a", "b", "c"}) {
    yaml += std::string("  ") + name + ":\n    argv: " + sh_argv("trap '' TERM; echo up; while true; do sleep 0.05; done") +
            "\n    ready: line\n    ready_line: up\n";
  }
  WeatherlightProcess wl(dir.path(), yaml);
  ASSERT_TRUE(wl.wait_ready());
  const auto begin = std::chrono::steady_clock::now();
  EXPECT_TRUE(wl.stops_cleanly());
  const auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_GE(took, 1s) << "they were not given their stop_timeout";
  EXPECT_LT(took, 2500ms) << "one tier took "
                          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                          << " ms to stop: its services were stopped one after another";
}

}  // namespace
}  // namespace esper::weatherlight::testing
