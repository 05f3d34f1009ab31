// What Weatherlight does when one of its services' processes exits. The decision depends only on
// facts the supervision loop already holds (was the stop asked for, the restart policy, the wait
// status, is Weatherlight shutting down, had every service become ready) and on the service's
// RestartTracker, so every branch is tested without processes or clocks
// (tests/weatherlight/exit_decision_test.cc). The supervisor (weatherlight/supervisor_exits.cc)
// carries the decision out: state, logs and events.
#ifndef ESPER_WEATHERLIGHT_EXIT_DECISION_H_
#define ESPER_WEATHERLIGHT_EXIT_DECISION_H_

#include <chrono>
#include <string>

#include "weatherlight/restart_tracker.h"
#include "weatherlight/supervisor_config.h"

namespace esper::weatherlight {

// The situation in which a service's process exited.
struct ExitFacts {
  int status = 0;                   // The wait status.
  RestartPolicy policy = RestartPolicy::kOnFailure;
  bool stop_requested = false;      // Weatherlight stopped it (SIGTERM): a planned stop.
  bool restart_after_stop = false;  // That stop was a restart (reload, restart_when_unhealthy).
  bool shutting_down = false;       // Weatherlight is stopping everything (or the start failed).
  bool all_ready = false;           // Every service had been ready ("weatherlight ready" was said).
};

struct ExitDecision {
  enum class Action {
    kStopped,              // Stopped on purpose: stays stopped.
    kStartAgain,           // Stopped on purpose to restart: starts once its dependencies are ready.
    kNotRestarted,         // Exited by itself; its policy, or the shutdown, says no restart.
    kRestartAfterBackoff,  // Exited by itself; starts again after `backoff`.
    kGiveUp,               // Exited by itself once too often: a crash loop.
  };
  Action action = Action::kStopped;
  std::chrono::milliseconds backoff{0};  // kRestartAfterBackoff.
  // kNotRestarted after exit 0: a one-shot that did its job, which counts as settled (nothing
  // waits for it any more, readiness included).
  bool done = false;
  // The service failed for good before every service was ready: the start has failed.
  bool fails_start = false;
};

// Decides, and for an unplanned exit that its policy restarts records the exit in `tracker` (which
// is what detects a crash loop).
ExitDecision decide_after_exit(const ExitFacts& facts, RestartTracker& tracker, RestartTracker::Clock::time_point now);

// True for exit status 0.
bool exited_cleanly(int status);
// A wait status for logs and events: "exit 3", "signal Killed".
std::string describe_exit(int status);

}  // namespace esper::weatherlight

#endif  // ESPER_WEATHERLIGHT_EXIT_DECISION_H_
