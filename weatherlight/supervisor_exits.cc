// A service's process exited: the supervisor carries out what weatherlight/exit_decision.h decides
// (stopped, started again, restarted after backoff, given up on, the start failed), with its logs
// and events. And the other end of a planned stop: asking a service to stop.
#include <signal.h>

#include <spdlog/spdlog.h>

#include "weatherlight/exit_decision.h"
#include "weatherlight/service_process.h"
#include "weatherlight/supervised_service.h"

namespace esper::weatherlight {

void Supervisor::on_child_exit(pid_t pid, int status, Clock::time_point now) {
  Service* found = find_by_pid(pid);
  if (!found) return;  // An orphaned grandchild re-parented to us (subreaper): reaped, nothing to do.
  Service& s = *found;
  close_output(s);
  signal_group(s.pid, SIGKILL);  // Anything the service left behind in its group goes with it.
  s.pid = -1;
  s.ready = false;
  s.kill_at.reset();
  flush_->forget(s.config.name);
  const ExitDecision decision = decide_after_exit({.status = status,
                                                   .policy = s.config.restart,
                                                   .stop_requested = s.stop_requested,
                                                   .restart_after_stop = s.restart_after_stop,
                                                   .shutting_down = stopping_,
                                                   .all_ready = announced_ready_},
                                                  s.tracker, now);
  s.stop_requested = false;
  const std::string how = describe_exit(status);
  const std::string& name = s.config.name;
  switch (decision.action) {
    case ExitDecision::Action::kStopped:
    case ExitDecision::Action::kStartAgain:
      spdlog::info("[{}] stopped ({})", name, how);
      s.state = decision.action == ExitDecision::Action::kStartAgain ? Service::State::kWaiting
                                                                      : Service::State::kStopped;
      if (s.state == Service::State::kWaiting) ++s.restarts;
      return;
    case ExitDecision::Action::kNotRestarted:
      spdlog::info("[{}] exited ({}); restart policy {}: not restarted", name, how, to_string(s.config.restart));
      s.state = Service::State::kStopped;
      s.done = decision.done;
      reporter_.event(exited_cleanly(status) ? proto::SEVERITY_INFO : proto::SEVERITY_WARNING, "service_exited",
                      {{"service", name}, {"status", how}});
      if (decision.fails_start) fail_start(s, "exited (" + how + ")");
      return;
    case ExitDecision::Action::kGiveUp:
      s.state = Service::State::kFailed;
      spdlog::critical("[{}] exited ({}): crash loop ({} restarts within {} ms), giving up", name, how,
                       config_.backoff.crash_loop_limit, config_.backoff.crash_loop_window.count());
      reporter_.event(proto::SEVERITY_CRITICAL, "service_crash_loop",
                      {{"service", name},
                       {"status", how},
                       {"restarts", std::to_string(s.restarts)},
                       {"crash_loop_limit", std::to_string(config_.backoff.crash_loop_limit)}});
      if (decision.fails_start) fail_start(s, "crash-looped (" + how + ")");
      return;
    case ExitDecision::Action::kRestartAfterBackoff:
      s.state = Service::State::kBackoff;
      s.restart_at = now + decision.backoff;
      ++s.restarts;
      spdlog::warn("[{}] exited ({}); restarting in {} ms", name, how, decision.backoff.count());
      reporter_.event(proto::SEVERITY_WARNING, "service_exited",
                      {{"service", name}, {"status", how}, {"restart_in_ms", std::to_string(decision.backoff.count())}});
      return;
  }
}

void Supervisor::request_stop(Service& s, bool restart_after, Clock::time_point now) {
  if (s.state != Service::State::kRunning) {
    if (restart_after && !stopping_) s.state = Service::State::kWaiting;
    return;
  }
  s.restart_after_stop = restart_after;
  if (s.stop_requested) return;
  s.stop_requested = true;
  s.kill_at = now + config_.stop_timeout;
  signal_group(s.pid, SIGTERM);
  signal_group(s.pid, SIGCONT);  // A stopped service (SIGSTOP, Ctrl-Z) acts on SIGTERM only once it runs.
}

}  // namespace esper::weatherlight
