#include "oona/emergency_scheduling.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/thread_info.h"

namespace esper::oona {
namespace {

using esper::testing::last_allowed_cpu;
using esper::testing::read_thread;
using esper::testing::threads_of;


// Runs `body` on a fresh thread, so that what it does to its own scheduling ends with it.
template <typename Body>
void on_fresh_thread(Body&& body) {
  std::thread thread(std::forward<Body>(body));
  thread.join();
}

TEST(EmergencyScheduling, PinsToTheLastAllowedCpuAndRunsRealtimeOrSaysWhyNot) {
  const int expected_cpu = last_allowed_cpu();
  on_fresh_thread([&] {
    const EmergencyScheduling got = enter_emergency_scheduling({});
    const auto self = read_thread(getpid(), gettid());
    EXPECT_EQ(got.cpu, expected_cpu) << got.describe();
    EXPECT_EQ(self.allowed_cpus, std::to_string(expected_cpu));
    if (got.realtime()) {
      EXPECT_EQ(self.policy, SCHED_FIFO);
      EXPECT_EQ(self.rt_priority, 10);
      EXPECT_EQ(got.describe(), "SCHED_FIFO priority 10 on CPU " + std::to_string(expected_cpu));
    } else {
      EXPECT_NE(self.policy, SCHED_FIFO);
      EXPECT_NE(got.detail.find("SCHED_FIFO 10: "), std::string::npos) << got.describe();
    }
  });
}

TEST(EmergencyScheduling, NoRealtimeAndNoCpuLeavesPolicyAndAffinityAlone) {
  const std::string all_cpus = read_thread(getpid(), gettid()).allowed_cpus;
  on_fresh_thread([&] {
    const EmergencyScheduling got = enter_emergency_scheduling(
        {.realtime_priority = 0, .cpu = EmergencySchedulingConfig::kNoCpu});
    const auto self = read_thread(getpid(), gettid());
    EXPECT_FALSE(got.realtime());
    EXPECT_EQ(got.cpu, -1);
    EXPECT_EQ(self.policy, SCHED_OTHER);
    EXPECT_EQ(self.allowed_cpus, all_cpus);
  });
}

TEST(EmergencyScheduling, ACpuTheProcessMayNotUseIsReportedNotFatal) {
  on_fresh_thread([&] {
    const EmergencyScheduling got = enter_emergency_scheduling({.realtime_priority = 0, .cpu = 4000});
    EXPECT_EQ(got.cpu, -1);
    EXPECT_NE(got.detail.find("CPU 4000 is not one this process may run on"), std::string::npos)
        << got.describe();
  });
}

// Exit codes of as_nobody() itself; `body` uses others.
constexpr int kCannotSetRtprio = 9;  // Raising the hard limit needs CAP_SYS_RESOURCE.
constexpr int kCannotDropPrivileges = 10;

// Runs `body` (returning an exit code) in a child process as user nobody with RLIMIT_RTPRIO set to
// `rtprio`; returns the child's exit code (or -1 if it did not exit).
template <typename Body>
int as_nobody(rlim_t rtprio, Body&& body) {
  const pid_t child = fork();
  if (child == 0) {
    const rlimit limit{rtprio, rtprio};
    if (setrlimit(RLIMIT_RTPRIO, &limit) != 0) _exit(kCannotSetRtprio);
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) {
      _exit(kCannotDropPrivileges);
    }
    _exit(body());
  }
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// Unprivileged (as nobody, RLIMIT_RTPRIO 0) real-time is refused; the thread gets a short slice.
TEST(EmergencyScheduling, WithoutPrivilegeFallsBackToAShortSlice) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to become an unprivileged user";
  const int code = as_nobody(0, [] {
    const EmergencyScheduling got = enter_emergency_scheduling({});
    if (got.realtime()) return 11;
    if (got.obtained != EmergencyScheduling::Class::kShortSlice) return 12;
    if (got.detail.find("SCHED_FIFO 10: Operation not permitted") == std::string::npos) return 13;
    // Linux 6.12+ shows the slice it granted; older kernels accept the request and ignore it.
    utsname u{};
    uname(&u);
    int major = 0, minor = 0;
    if (std::sscanf(u.release, "%d.%d", &major, &minor) == 2 && (major > 6 || (major == 6 && minor >= 12))) {
      std::ifstream sched("/proc/thread-self/sched");
      bool found = false;
      for (std::string line; std::getline(sched, line);) {
        if (line.rfind("se.slice", 0) == 0) {
          found = true;
          if (line.substr(line.rfind(' ') + 1) != "100000") return 14;
        }
      }
      if (!found) return 15;
    }
    return 0;
  });
  EXPECT_EQ(code, 0) << "10: could not drop privileges, 11: got real-time anyway, 12: no short slice, "
                        "13: wrong detail, 14: slice not 0.1 ms, 15: no se.slice in /proc/thread-self/sched";
}

// What LimitRTPRIO=10 in the systemd units grants: real-time for an unprivileged user.
TEST(EmergencyScheduling, AnUnprivilegedUserWithRlimitRtprioGetsRealtime) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to become an unprivileged user";
  const int code = as_nobody(10, [] {
    const EmergencyScheduling got = enter_emergency_scheduling({});
    return got.realtime() && sched_getscheduler(0) == SCHED_FIFO ? 0 : 11;
  });
  if (code == kCannotSetRtprio) GTEST_SKIP() << "cannot raise RLIMIT_RTPRIO here (no CAP_SYS_RESOURCE)";
  EXPECT_EQ(code, 0) << "10: could not drop privileges, 11: no real-time";
}

TEST(EmergencyScheduling, IoThreadsInheritTheClassAndTheCallerIsUntouched) {
  const auto before_self = read_thread(getpid(), gettid());
  std::set<pid_t> before;
  for (const auto& t : threads_of(getpid())) before.insert(t.tid);

  zmq::context_t context(1);
  const EmergencyScheduling got = start_emergency_io_threads(context, {});

  int io_threads = 0;
  for (const auto& t : threads_of(getpid())) {
    if (before.count(t.tid) || t.name.rfind("ZMQbg/IO", 0) != 0) continue;
    ++io_threads;
    EXPECT_EQ(t.allowed_cpus, std::to_string(last_allowed_cpu())) << t.name;
    EXPECT_EQ(t.policy == SCHED_FIFO, got.realtime()) << t.name << ": " << got.describe();
  }
  EXPECT_EQ(io_threads, 1);
  const auto after_self = read_thread(getpid(), gettid());
  EXPECT_EQ(after_self.policy, before_self.policy);
  EXPECT_EQ(after_self.allowed_cpus, before_self.allowed_cpus);
}

}  // namespace
}  // namespace esper::oona
