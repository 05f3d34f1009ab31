// The restart policy as pure arithmetic over time points: exponential backoff capped at max, jitter
// within bounds, reset after a stable run, and the crash-loop limit.
#include <gtest/gtest.h>

#include "weatherlight/restart_tracker.h"

namespace esper::weatherlight {
namespace {

using namespace std::chrono_literals;
using Clock = RestartTracker::Clock;

BackoffConfig config() {
  BackoffConfig b;
  b.initial = 100ms;
  b.max = 1000ms;
  b.multiplier = 2.0;
  b.jitter = 0.0;
  b.crash_loop_limit = 100;
  b.crash_loop_window = 60s;
  b.stable_after = 10s;
  return b;
}

TEST(RestartTrackerTest, DelaysGrowByTheMultiplierUpToMax) {
  RestartTracker t(config());
  auto now = Clock::time_point{} + 1h;
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 6; ++i) {
    t.on_start(now);
    now += 1s;
    delays.push_back(t.on_exit(now)->count());
  }
  EXPECT_EQ(delays, (std::vector<std::int64_t>{100, 200, 400, 800, 1000, 1000}));
}

TEST(RestartTrackerTest, JitterStaysWithinItsBand) {
  auto c = config();
  c.jitter = 0.2;
  c.multiplier = 1.0;
  RestartTracker t(c, 42);
  auto now = Clock::time_point{} + 1h;
  std::set<std::int64_t> distinct;
  for (int i = 0; i < 50; ++i) {
    t.on_start(now);
    now += 1s;
    const auto d = t.on_exit(now)->count();
    EXPECT_GE(d, 80);
    EXPECT_LE(d, 120);
    distinct.insert(d);
  }
  EXPECT_GT(distinct.size(), 5u) << "jitter does not vary the delay";
}

TEST(RestartTrackerTest, StableRunResetsTheBackoff) {
  RestartTracker t(config());
  auto now = Clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) {
    t.on_start(now);
    now += 1s;
    t.on_exit(now);
  }
  EXPECT_EQ(t.next_delay(), 800ms);
  t.on_start(now);
  EXPECT_FALSE(t.on_running(now + 9s));
  EXPECT_TRUE(t.on_running(now + 10s));
  EXPECT_FALSE(t.on_running(now + 11s)) << "the reset is reported once";
  EXPECT_EQ(t.next_delay(), 100ms);
  EXPECT_EQ(t.on_exit(now + 20s)->count(), 100);
}

TEST(RestartTrackerTest, CrashLoopLimitGivesUp) {
  auto c = config();
  c.crash_loop_limit = 3;
  c.crash_loop_window = 10s;
  RestartTracker t(c);
  auto now = Clock::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) {
    t.on_start(now);
    now += 100ms;
    EXPECT_TRUE(t.on_exit(now).has_value()) << "restart " << i;
  }
  t.on_start(now);
  EXPECT_FALSE(t.on_exit(now + 100ms).has_value()) << "the 4th exit within 10 s is a crash loop";
}

TEST(RestartTrackerTest, ExitsOutsideTheWindowDoNotCount) {
  auto c = config();
  c.crash_loop_limit = 2;
  c.crash_loop_window = 1s;
  c.stable_after = 1h;
  RestartTracker t(c);
  auto now = Clock::time_point{} + 1h;
  for (int i = 0; i < 10; ++i) {
    t.on_start(now);
    now += 2s;  // Each exit is alone in its window.
    EXPECT_TRUE(t.on_exit(now).has_value()) << "exit " << i;
  }
}

}  // namespace
}  // namespace esper::weatherlight
