// How long to wait before restarting a service, and when to give up on it. Pure bookkeeping over
// time points passed in by the caller, so the policy is tested without processes or clocks.
//
// Each unplanned exit doubles (by `multiplier`) the delay before the next start, up to `max`, with a
// random jitter so that services that died together do not restart in lockstep. A service that then
// runs for `stable_after` is considered recovered: its delay goes back to `initial`. More than
// `crash_loop_limit` restarts inside `crash_loop_window` is a crash loop: the service is given up on
// until an operator intervenes (a reload with a changed config, or a restart of Weatherlight).
#ifndef ESPER_WEATHERLIGHT_RESTART_TRACKER_H_
#define ESPER_WEATHERLIGHT_RESTART_TRACKER_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>

#include "weatherlight/supervisor_config.h"

namespace esper::weatherlight {

class RestartTracker {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RestartTracker(BackoffConfig config, std::uint64_t seed = std::random_device{}());

  // The service started at `now`.
  void on_start(Clock::time_point now);
  // The service is still running at `now`; true when this makes it stable (backoff just reset).
  bool on_running(Clock::time_point now);
  // The service exited unexpectedly at `now`. Returns the delay before restarting it, or nullopt
  // when this exit completes a crash loop.
  std::optional<std::chrono::milliseconds> on_exit(Clock::time_point now);

  // The delay the next exit would get before jitter (for status and tests).
  std::chrono::milliseconds next_delay() const { return next_delay_; }
  std::uint64_t restarts_in_window() const { return restarts_.size(); }

 private:
  BackoffConfig config_;
  std::mt19937_64 random_;
  std::chrono::milliseconds next_delay_;
  std::optional<Clock::time_point> started_;
  bool stable_ = false;
  std::deque<Clock::time_point> restarts_;  // Unplanned exits inside the crash-loop window.
};

}  // namespace esper::weatherlight

#endif  // ESPER_WEATHERLIGHT_RESTART_TRACKER_H_
