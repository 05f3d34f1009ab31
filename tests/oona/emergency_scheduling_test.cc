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

// Unprivileged (as nobody, RLIMIT_RTPRIO 0) real-time is refused; the thread gets a short slice.
TEST(EmergencyScheduling, WithoutPrivilegeFallsBackToAShortSlice) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to become an unprivileged user";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const rlimit none{0, 0};
    if (setrlimit(RLIMIT_RTPRIO, &none) != 0 || setresgid(65534, 65534, 65534) != 0 ||
        setresuid(65534, 65534, 65534) != 0) {
      _exit(10);
    }
    const EmergencyScheduling got = enter_emergency_scheduling({});
    if (got.realtime()) _exit(11);
    if (got.obtained != EmergencyScheduling::Class::kShortSlice) _exit(12);
    if (got.detail.find("SCHED_FIFO 10: Operation not permitted") == std::string::npos) _exit(13);
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
          if (line.substr(line.rfind(' ') + 1) != "100000") _exit(14);
        }
      }
      if (!found) _exit(15);
    }
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "10: could not drop privileges, 11: got real-time anyway, 12: no short slice, 13: wrong "
         "detail, 14: slice not 0.1 ms, 15: no se.slice in /proc/thread-self/sched";
}

// What LimitRTPRIO=10 in the systemd units grants: real-time for an unprivileged user.
TEST(EmergencyScheduling, AnUnprivilegedUserWithRlimitRtprioGetsRealtime) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to become an unprivileged user";
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const rlimit ten{10, 10};
    if (setrlimit(RLIMIT_RTPRIO, &ten) != 0) _exit(9);  // Raising the hard limit: CAP_SYS_RESOURCE.
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(10);
    const EmergencyScheduling got = enter_emergency_scheduling({});
    _exit(got.realtime() && sched_getscheduler(0) == SCHED_FIFO ? 0 : 11);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 9) GTEST_SKIP() << "cannot raise RLIMIT_RTPRIO here (no CAP_SYS_RESOURCE)";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: could not drop privileges, 11: no real-time";
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
