// What Weatherlight decides when a service's process exits, branch by branch: a planned stop (and a
// planned restart, and one during shutdown), each restart policy on a clean exit, a failure and a
// signal, a crash loop, and whether the exit fails the start (only before every service was ready).
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "weatherlight/exit_decision.h"

namespace esper::weatherlight {
namespace {

using namespace std::chrono_literals;
using Action = ExitDecision::Action;
using Clock = RestartTracker::Clock;

// Wait statuses as waitpid() reports them.
int exit_status(int code) { return code << 8; }
int killed_by(int signo) { return signo; }

BackoffConfig backoff(std::uint32_t crash_loop_limit = 5) {
  BackoffConfig b;
  b.initial = 100ms;
  b.max = 1000ms;
  b.multiplier = 2.0;
  b.jitter = 0.0;
  b.crash_loop_limit = crash_loop_limit;
  b.crash_loop_window = 60s;
  b.stable_after = 30s;
  return b;
}

class ExitDecisionTest : public ::testing::Test {
 protected:
  ExitDecision decide(const ExitFacts& facts) { return decide_after_exit(facts, tracker_, now_ += 1s); }
  const RestartTracker& tracker() const { return tracker_; }
  void use_tracker(RestartTracker tracker) { tracker_ = std::move(tracker); }

 private:
  RestartTracker tracker_{backoff()};
  Clock::time_point now_ = Clock::time_point{} + 1h;
};

TEST(ExitStatusTest, TheEncodingTheTestsUseIsWaitpids) {
  EXPECT_TRUE(WIFEXITED(exit_status(3)) && WEXITSTATUS(exit_status(3)) == 3);
  EXPECT_TRUE(WIFSIGNALED(killed_by(SIGKILL)) && WTERMSIG(killed_by(SIGKILL)) == SIGKILL);
}

TEST(ExitStatusTest, CleanMeansExitZeroOnly) {
  EXPECT_TRUE(exited_cleanly(exit_status(0)));
  EXPECT_FALSE(exited_cleanly(exit_status(1)));
  EXPECT_FALSE(exited_cleanly(killed_by(SIGTERM)));
}

TEST(ExitStatusTest, DescribesAnExitCodeOrASignal) {
  EXPECT_EQ(describe_exit(exit_status(3)), "exit 3");
  EXPECT_EQ(describe_exit(killed_by(SIGKILL)), std::string("signal ") + ::strsignal(SIGKILL));
}

TEST_F(ExitDecisionTest, APlannedStopStaysStoppedWhateverThePolicyAndStatus) {
  for (auto policy : {RestartPolicy::kAlways, RestartPolicy::kOnFailure, RestartPolicy::kNever}) {
    const auto d = decide({.status = killed_by(SIGTERM), .policy = policy, .stop_requested = true});
    EXPECT_EQ(d.action, Action::kStopped) << to_string(policy);
    EXPECT_FALSE(d.fails_start) << "a stop Weatherlight asked for is not a failure";
    EXPECT_FALSE(d.done);
  }
  EXPECT_EQ(tracker().restarts_in_window(), 0u) << "a planned stop counted towards a crash loop";
}

TEST_F(ExitDecisionTest, APlannedRestartStartsAgainWithoutBackoff) {
  const auto d = decide({.status = exit_status(0), .policy = RestartPolicy::kNever, .stop_requested = true,
                         .restart_after_stop = true});
  EXPECT_EQ(d.action, Action::kStartAgain);
  EXPECT_EQ(d.backoff, 0ms);
  EXPECT_EQ(tracker().restarts_in_window(), 0u) << "a planned restart counted towards a crash loop";
}

TEST_F(ExitDecisionTest, APlannedRestartDuringShutdownStaysStopped) {
  const auto d = decide({.status = exit_status(0), .stop_requested = true, .restart_after_stop = true,
                         .shutting_down = true});
  EXPECT_EQ(d.action, Action::kStopped);
}

TEST_F(ExitDecisionTest, AOneShotThatExitsZeroIsDone) {
  for (auto policy : {RestartPolicy::kNever, RestartPolicy::kOnFailure}) {
    const auto d = decide({.status = exit_status(0), .policy = policy});
    EXPECT_EQ(d.action, Action::kNotRestarted) << to_string(policy);
    EXPECT_TRUE(d.done) << to_string(policy);
    EXPECT_FALSE(d.fails_start) << to_string(policy);
  }
  EXPECT_EQ(tracker().restarts_in_window(), 0u);
}

TEST_F(ExitDecisionTest, NeverRestartedFailureFailsTheStartOnlyBeforeEverythingWasReady) {
  const auto before = decide({.status = exit_status(2), .policy = RestartPolicy::kNever, .all_ready = false});
  EXPECT_EQ(before.action, Action::kNotRestarted);
  EXPECT_FALSE(before.done) << "a failed one-shot did not do its job";
  EXPECT_TRUE(before.fails_start);
  const auto after = decide({.status = exit_status(2), .policy = RestartPolicy::kNever, .all_ready = true});
  EXPECT_EQ(after.action, Action::kNotRestarted);
  EXPECT_FALSE(after.fails_start) << "once Weatherlight is ready, a failure no longer fails the start";
}

TEST_F(ExitDecisionTest, OnFailureRestartsAFailureOrASignalAfterTheBackoff) {
  const auto failed = decide({.status = exit_status(3), .policy = RestartPolicy::kOnFailure});
  EXPECT_EQ(failed.action, Action::kRestartAfterBackoff);
  EXPECT_EQ(failed.backoff, 100ms);
  EXPECT_FALSE(failed.fails_start);
  const auto killed = decide({.status = killed_by(SIGKILL), .policy = RestartPolicy::kOnFailure});
  EXPECT_EQ(killed.action, Action::kRestartAfterBackoff);
  EXPECT_EQ(killed.backoff, 200ms) << "the second exit waits longer (multiplier 2)";
  EXPECT_EQ(tracker().restarts_in_window(), 2u);
}

TEST_F(ExitDecisionTest, AlwaysRestartsEvenAfterExitZero) {
  const auto d = decide({.status = exit_status(0), .policy = RestartPolicy::kAlways});
  EXPECT_EQ(d.action, Action::kRestartAfterBackoff);
  EXPECT_EQ(d.backoff, 100ms);
  EXPECT_FALSE(d.done);
}

TEST_F(ExitDecisionTest, NothingIsRestartedOrFailedDuringShutdown) {
  const auto d = decide({.status = exit_status(1), .policy = RestartPolicy::kAlways, .shutting_down = true});
  EXPECT_EQ(d.action, Action::kNotRestarted);
  EXPECT_FALSE(d.fails_start) << "an exit while stopping is not a failed start";
  EXPECT_EQ(tracker().restarts_in_window(), 0u) << "an exit while stopping counted towards a crash loop";
}

TEST_F(ExitDecisionTest, ACrashLoopGivesUpAndFailsTheStartOnlyBeforeEverythingWasReady) {
  use_tracker(RestartTracker(backoff(/*crash_loop_limit=*/2)));
  const ExitFacts crash{.status = exit_status(1), .policy = RestartPolicy::kAlways, .all_ready = false};
  EXPECT_EQ(decide(crash).action, Action::kRestartAfterBackoff);
  EXPECT_EQ(decide(crash).action, Action::kRestartAfterBackoff);
  const auto third = decide(crash);
  EXPECT_EQ(third.action, Action::kGiveUp) << "the third exit within the window is past crash_loop_limit 2";
  EXPECT_TRUE(third.fails_start);

  use_tracker(RestartTracker(backoff(/*crash_loop_limit=*/0)));
  const auto after_ready = decide({.status = exit_status(1), .policy = RestartPolicy::kOnFailure, .all_ready = true});
  EXPECT_EQ(after_ready.action, Action::kGiveUp);
  EXPECT_FALSE(after_ready.fails_start) << "a crash loop after readiness is given up on, not a failed start";
}

}  // namespace
}  // namespace esper::weatherlight
