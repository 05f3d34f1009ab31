#include "weatherlight/exit_decision.h"

#include <sys/wait.h>

#include <cstring>

namespace esper::weatherlight {

bool exited_cleanly(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("signal ") + ::strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

ExitDecision decide_after_exit(const ExitFacts& facts, RestartTracker& tracker, RestartTracker::Clock::time_point now) {
  using Action = ExitDecision::Action;
  if (facts.stop_requested) {
    return {.action = facts.restart_after_stop && !facts.shutting_down ? Action::kStartAgain : Action::kStopped};
  }
  const bool clean = exited_cleanly(facts.status);
  const bool restart = facts.policy == RestartPolicy::kAlways || (facts.policy == RestartPolicy::kOnFailure && !clean);
  if (!restart || facts.shutting_down) {
    return {.action = Action::kNotRestarted,
            .done = clean,
            .fails_start = !clean && !facts.shutting_down && !facts.all_ready};
  }
  const auto delay = tracker.on_exit(now);
  if (!delay) return {.action = Action::kGiveUp, .fails_start = !facts.all_ready};
  return {.action = Action::kRestartAfterBackoff, .backoff = *delay};
}

}  // namespace esper::weatherlight
