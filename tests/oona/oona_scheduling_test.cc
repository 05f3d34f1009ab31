// The real `oona` binary runs its emergency lane on a thread of its own ("oona-emergency") with its
// own I/O thread, both real-time where the process may have it and pinned to the CPU emergency
// threads share; its telemetry says whether it got real-time. Checked from /proc, not from what
// Oona says it asked for.
#include <gtest/gtest.h>

#include <sched.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>

#include "tests/support/oona_process.h"
#include "tests/support/thread_info.h"

namespace esper::oona::testing {
namespace {

using esper::testing::last_allowed_cpu;
using esper::testing::ThreadInfo;
using esper::testing::threads_of;

bool has_cap_sys_nice() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("CapEff:", 0) == 0) return (std::stoull(line.substr(7), nullptr, 16) >> 23) & 1;
  }
  return false;
}


std::optional<ThreadInfo> find_thread(pid_t pid, const std::string& name) {
  for (const auto& t : threads_of(pid)) {
    if (t.name == name) return t;
  }
  return std::nullopt;
}

int realtime_io_threads(pid_t pid) {
  int n = 0;
  for (const auto& t : threads_of(pid)) n += t.name.rfind("ZMQbg/IO", 0) == 0 && t.policy == SCHED_FIFO;
  return n;
}

double realtime_gauge(OonaProcess& oona) {
  StatsWatcher stats(oona.endpoints());
  auto [seen, last] = stats.wait_for(
      [](const OonaStats& s) { return s.count("oona.emergency_lane_realtime") > 0; }, 10s);
  EXPECT_TRUE(seen) << "no oona.emergency_lane_realtime in Oona's telemetry:\n" << describe(last);
  return stat(last, "oona.emergency_lane_realtime");
}

TEST(OonaScheduling, EmergencyLaneThreadIsRealtimeWherePermittedPinnedAndReported) {
  OonaProcess oona;
  ASSERT_TRUE(oona.ready());
  const pid_t pid = oona.process().pid();
  const auto lane = find_thread(pid, "oona-emergency");
  ASSERT_TRUE(lane) << "no thread named oona-emergency in oona";
  EXPECT_EQ(lane->allowed_cpus, std::to_string(last_allowed_cpu()));
  if (has_cap_sys_nice()) {
    EXPECT_EQ(lane->policy, SCHED_FIFO) << "oona may have real-time but did not take it";
  }
  const bool realtime = lane->policy == SCHED_FIFO;
  if (realtime) {
    EXPECT_EQ(lane->rt_priority, 10);
  }
  // Its own I/O thread inherited the class; the normal lane's did not.
  EXPECT_EQ(realtime_io_threads(pid), realtime ? 1 : 0);
  EXPECT_EQ(realtime_gauge(oona), realtime ? 1.0 : 0.0);
}

TEST(OonaScheduling, ConfiguredOffTheEmergencyLaneIsAnOrdinaryThread) {
  OonaProcess oona("emergency_scheduling: {realtime_priority: 0, cpu: none}\n");
  ASSERT_TRUE(oona.ready());
  const pid_t pid = oona.process().pid();
  const auto lane = find_thread(pid, "oona-emergency");
  ASSERT_TRUE(lane) << "no thread named oona-emergency in oona";
  EXPECT_EQ(lane->policy, SCHED_OTHER);
  EXPECT_EQ(lane->allowed_cpus, find_thread(pid, "oona")->allowed_cpus);
  EXPECT_EQ(realtime_io_threads(pid), 0);
  EXPECT_EQ(realtime_gauge(oona), 0.0);
}

}  // namespace
}  // namespace esper::oona::testing
