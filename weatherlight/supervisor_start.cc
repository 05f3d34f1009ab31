// Starting services: each once everything it depends_on is settled (ready, or a one-shot that did
// its job), "weatherlight ready" once all of them are, and the start failing when a service fails
// for good before that.
#include <algorithm>
#include <cstdio>
#include <system_error>

#include <spdlog/spdlog.h>

#include "weatherlight/service_process.h"
#include "weatherlight/supervised_service.h"

namespace esper::weatherlight {

void Supervisor::start_services(Clock::time_point now) {
  if (stopping_) return;
  for (auto& s : services_) {
    const bool due = s->state == Service::State::kWaiting ||
                     (s->state == Service::State::kBackoff && now >= s->restart_at);
    if (!due) continue;
    const bool deps_ready = std::all_of(s->config.depends_on.begin(), s->config.depends_on.end(), [&](const auto& d) {
      const Service* dep = find(d);
      return dep && dep->settled();
    });
    if (deps_ready) start(*s, now);
  }
}

void Supervisor::start(Service& s, Clock::time_point now) {
  if (s.pending_config) {
    s.config = std::move(*s.pending_config);
    s.pending_config.reset();
  }
  const std::map<std::string, std::string> extra = {{"ESPER_CONTROL_ENDPOINT", config_.control_endpoint},
                                                    {"ESPER_SERVICE_NAME", s.config.name}};
  SpawnedProcess p;
  try {
    p = spawn_service(s.config, extra);
  } catch (const std::system_error& e) {
    // Out of processes or descriptors: treat as a failed start and let backoff retry.
    spdlog::error("[{}] cannot start: {}", s.config.name, e.what());
    const auto delay = s.tracker.on_exit(now);
    s.state = delay ? Service::State::kBackoff : Service::State::kFailed;
    if (delay) s.restart_at = now + *delay;
    return;
  }
  s.pid = p.pid;
  s.out_fd = p.stdout_fd;
  s.err_fd = p.stderr_fd;
  s.state = Service::State::kRunning;
  s.started_at = now;
  s.stop_requested = false;
  s.restart_after_stop = false;
  s.kill_at.reset();
  s.ready = s.config.ready == Readiness::kStarted;
  s.done = false;
  s.tracker.on_start(now);
  spdlog::info("[{}] started pid {} ({})", s.config.name, s.pid, s.config.executable.string());
  reporter_.event(proto::SEVERITY_INFO, "service_started",
                  {{"service", s.config.name}, {"pid", std::to_string(s.pid)}, {"restarts", std::to_string(s.restarts)}});
}

bool Supervisor::all_ready() const {
  return std::all_of(services_.begin(), services_.end(), [](const auto& s) { return s->settled(); });
}

void Supervisor::announce_ready_once_all_are() {
  if (announced_ready_ || !all_ready()) return;
  announced_ready_ = true;
  notifier_.ready();
  update_status();
  spdlog::info("all {} services ready", services_.size());
  std::printf("weatherlight ready control=%s\n", config_.control_endpoint.c_str());
  std::fflush(stdout);
}

void Supervisor::fail_start(const Service& s, const std::string& how) {
  if (announced_ready_ || start_failure_) return;
  start_failure_ = "service " + s.config.name + " " + how + " before every service was ready";
  spdlog::critical("start failed: {}; stopping the others", *start_failure_);
  notifier_.status("start failed: " + *start_failure_);
  stopping_ = true;
}

}  // namespace esper::weatherlight
