// The supervision loop. One thread polls, with zmq_poll, the shutdown signalfd, the SIGCHLD
// signalfd, the control socket and every child's stdout/stderr pipe, and acts on timers: the flush
// tick, restarts whose backoff has elapsed, SIGKILL deadlines, the systemd watchdog.
//
// Services start in dependency order, each once everything it depends_on is ready. An unplanned
// exit is restarted per its policy with backoff (weatherlight/restart_tracker.h) until a crash loop
// makes Weatherlight give up on it (CRITICAL event). SIGHUP re-reads the config and restarts only
// the services whose config changed. SIGTERM/SIGINT: a final flush, then services stopped in
// reverse dependency order, a tier at a time (SIGTERM to the process group, stop_timeout, SIGKILL),
// then whatever they left behind outside their groups (same treatment), all reaped.
//
// Readiness (READY=1, "weatherlight ready") waits for every service to be ready, except a one-shot
// (`restart: never`, or `on-failure` exiting 0) that already finished cleanly, which counts as done.
// A service that fails for good before that point fails the start: the others are stopped and
// run() returns 1.
#ifndef ESPER_WEATHERLIGHT_SUPERVISOR_H_
#define ESPER_WEATHERLIGHT_SUPERVISOR_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "signals/shutdown_signals.h"
#include "weatherlight/child_exits.h"
#include "weatherlight/flush_coordinator.h"
#include "weatherlight/supervisor_config.h"
#include "weatherlight/supervisor_reporter.h"
#include "daemon/systemd_notifier.h"

namespace esper::weatherlight {

class Supervisor {
 public:
  // `runtime_dir_override` is re-applied when SIGHUP re-reads the config file.
  Supervisor(SupervisorConfig config, std::optional<std::filesystem::path> runtime_dir_override,
             signals::ShutdownSignals& signals, ChildExits& child_exits, SupervisorReporter& reporter);
  ~Supervisor();

  // Runs until SIGTERM/SIGINT, then stops every service. Returns the process exit code: 0, or 1 when
  // a service failed for good before every service was ready.
  int run();

 private:
  struct Service;
  using Clock = std::chrono::steady_clock;

  // The loop (supervisor.cc).
  void poll_once(std::chrono::milliseconds timeout);
  Clock::time_point next_wake(Clock::time_point now) const;  // The earliest timer due.
  void on_signals(Clock::time_point now);
  void on_timers(Clock::time_point now);  // The systemd watchdog, SIGKILL deadlines.
  Service* find(const std::string& name);
  Service* find_by_pid(pid_t pid);
  // Starting, readiness (supervisor_start.cc).
  void start_services(Clock::time_point now);
  void start(Service& s, Clock::time_point now);
  bool all_ready() const;
  void announce_ready_once_all_are();
  void fail_start(const Service& s, const std::string& how);
  // Exits and planned stops (supervisor_exits.cc); output pipes (supervisor_output.cc).
  void on_child_exit(pid_t pid, int status, Clock::time_point now);
  void request_stop(Service& s, bool restart_after, Clock::time_point now);
  void on_output(Service& s, int fd, bool is_stderr);
  void close_output(Service& s);
  // The control socket (supervisor_control.cc); telemetry and STATUS (supervisor_status.cc).
  void on_flush_events(const std::vector<FlushEvent>& events, Clock::time_point now);
  void flush_tick(Clock::time_point now);
  void publish_telemetry();
  void update_status();
  // SIGHUP (supervisor_reload.cc); the stop sequence (supervisor_shutdown.cc).
  void reload(Clock::time_point now);
  void shutdown();
  template <typename List>
  void stop_and_wait(const List& group);  // SIGTERM to each running one, then wait for all to exit.
  void stop_adopted_orphans();

  SupervisorConfig config_;
  std::optional<std::filesystem::path> runtime_dir_override_;
  signals::ShutdownSignals& signals_;
  ChildExits& child_exits_;
  SupervisorReporter& reporter_;
  daemon::SystemdNotifier notifier_;
  zmq::context_t context_{1};
  std::unique_ptr<FlushCoordinator> flush_;
  std::vector<std::unique_ptr<Service>> services_;  // Start order.
  std::vector<std::unique_ptr<Service>> retiring_;  // Removed by a reload, stopping.
  bool stopping_ = false;
  bool announced_ready_ = false;
  std::optional<std::string> start_failure_;  // Why the start failed, if it did.
  Clock::time_point next_flush_;
  Clock::time_point next_watchdog_;
};

}  // namespace esper::weatherlight

#endif  // ESPER_WEATHERLIGHT_SUPERVISOR_H_
