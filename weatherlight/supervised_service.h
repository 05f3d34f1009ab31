// What the supervisor knows about one service: its config, where it is in its life (waiting for its
// dependencies, running, backing off, stopped, given up on), its process and output pipes, its
// readiness and its restart bookkeeping. Private to the supervisor's own files
// (weatherlight/supervisor*.cc).
#ifndef ESPER_WEATHERLIGHT_SUPERVISED_SERVICE_H_
#define ESPER_WEATHERLIGHT_SUPERVISED_SERVICE_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>

#include "weatherlight/output_lines.h"
#include "weatherlight/restart_tracker.h"
#include "weatherlight/supervisor.h"
#include "weatherlight/supervisor_config.h"

namespace esper::weatherlight {

struct Supervisor::Service {
  enum class State {
    kWaiting,   // Not running; starts once its dependencies are ready.
    kRunning,
    kBackoff,   // Exited; restarts at restart_at.
    kStopped,   // Exited and not restarted (policy, or stopped on purpose).
    kFailed,    // Crash loop: given up on.
  };

  Service(ServiceConfig c, const BackoffConfig& backoff) : config(std::move(c)), tracker(backoff) {}

  ServiceConfig config;
  std::optional<ServiceConfig> pending_config;  // Applied at the next start (reload).
  State state = State::kWaiting;
  pid_t pid = -1;
  int out_fd = -1, err_fd = -1;
  OutputLines out_lines, err_lines;
  bool ready = false;
  bool done = false;  // Exited 0 and not to be restarted: a one-shot that did its job.
  RestartTracker tracker;

  // Ready, or finished for good after doing its job: either way nothing waits for it any more.
  bool settled() const { return ready || done; }
  Clock::time_point started_at, restart_at;
  std::optional<Clock::time_point> kill_at;  // Set while a requested stop is in progress.
  bool restart_after_stop = false;
  bool stop_requested = false;
  std::uint64_t restarts = 0;
};

// Whole milliseconds of `d`, for poll timeouts and logs.
inline std::int64_t whole_ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace esper::weatherlight

#endif  // ESPER_WEATHERLIGHT_SUPERVISED_SERVICE_H_
