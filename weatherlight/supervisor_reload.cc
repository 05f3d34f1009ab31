// SIGHUP: the config file is read again and only what changed is acted on. A service whose config
// changed restarts with the new one, a new service starts, a removed one stops (retiring until it
// has exited), an unchanged one keeps running untouched. A config that does not load is refused
// and the running one kept.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "weatherlight/supervised_service.h"

namespace esper::weatherlight {

void Supervisor::reload(Clock::time_point now) {
  SupervisorConfig next;
  try {
    next = load_supervisor_config_file(config_.source_file, runtime_dir_override_);
  } catch (const std::exception& e) {
    spdlog::error("SIGHUP: config not reloaded, keeping the running one: {}", e.what());
    reporter_.event(proto::SEVERITY_WARNING, "config_reload_failed", {{"error", e.what()}});
    return;
  }
  if (next.control_endpoint != config_.control_endpoint) {
    spdlog::warn("SIGHUP: control_endpoint changes take effect only after a restart of weatherlight");
    next.control_endpoint = config_.control_endpoint;
  }
  int added = 0, changed = 0, removed = 0;
  std::vector<std::unique_ptr<Service>> ordered;
  for (const auto& svc : next.services) {
    auto it = std::find_if(services_.begin(), services_.end(), [&](const auto& s) { return s && s->config.name == svc.name; });
    if (it == services_.end()) {
      ordered.push_back(std::make_unique<Service>(svc, next.backoff));
      ++added;
      continue;
    }
    auto s = std::move(*it);
    const ServiceConfig& current = s->pending_config ? *s->pending_config : s->config;
    if (!(current == svc) || !(next.backoff == config_.backoff)) {
      s->tracker = RestartTracker(next.backoff);
    }
    if (!(current == svc)) {
      s->pending_config = svc;
      if (s->state == Service::State::kFailed || s->state == Service::State::kStopped) s->state = Service::State::kWaiting;
      request_stop(*s, /*restart_after=*/true, now);
      ++changed;
    }
    ordered.push_back(std::move(s));
  }
  for (auto& s : services_) {
    if (!s) continue;
    request_stop(*s, /*restart_after=*/false, now);
    if (s->state == Service::State::kRunning) {
      retiring_.push_back(std::move(s));
    }
    ++removed;
  }
  services_ = std::move(ordered);
  config_ = std::move(next);
  flush_->set_missed_threshold(config_.missed_flushes_unhealthy);
  spdlog::info("SIGHUP: config reloaded from {}: {} added, {} changed, {} removed", config_.source_file.string(), added,
               changed, removed);
  reporter_.event(proto::SEVERITY_INFO, "config_reloaded",
                  {{"added", std::to_string(added)}, {"changed", std::to_string(changed)}, {"removed", std::to_string(removed)}});
}

}  // namespace esper::weatherlight
