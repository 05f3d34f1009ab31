// The supervisor's side of the control socket: what services tell it (HELLO makes a `ready: hello`
// service ready; FLUSHED; a service turning unhealthy or healthy again, which restarts it when
// restart_when_unhealthy), and the flush tick that asks them all to flush.
#include <spdlog/spdlog.h>

#include "weatherlight/supervised_service.h"

namespace esper::weatherlight {

void Supervisor::on_flush_events(const std::vector<FlushEvent>& events, Clock::time_point now) {
  for (const auto& e : events) {
    Service* s = find(e.service);
    switch (e.type) {
      case FlushEvent::Type::kHello:
        if (!s) {
          spdlog::warn("control: HELLO from \"{}\", which is not a configured service (pid {})", e.service, e.pid);
          break;
        }
        spdlog::info("[{}] said HELLO (pid {})", e.service, e.pid);
        if (s->config.ready == Readiness::kHello && s->state == Service::State::kRunning) s->ready = true;
        break;
      case FlushEvent::Type::kFlushed:
        if (e.dropped > 0) {
          spdlog::warn("[{}] flush dropped {} items (buffer full); {} left", e.service, e.dropped, e.depth);
        }
        break;
      case FlushEvent::Type::kUnhealthy:
        spdlog::warn("[{}] unhealthy: {} FLUSH requests unanswered in a row", e.service, e.missed);
        reporter_.event(proto::SEVERITY_WARNING, "service_unhealthy",
                        {{"service", e.service}, {"missed_flushes", std::to_string(e.missed)}});
        if (s && s->config.restart_when_unhealthy) {
          spdlog::warn("[{}] restarting (restart_when_unhealthy)", e.service);
          request_stop(*s, /*restart_after=*/true, now);
        }
        break;
      case FlushEvent::Type::kHealthy:
        spdlog::info("[{}] healthy again", e.service);
        reporter_.event(proto::SEVERITY_INFO, "service_recovered", {{"service", e.service}});
        break;
    }
  }
}

void Supervisor::flush_tick(Clock::time_point now) {
  on_flush_events(flush_->tick(now), now);
  for (auto& s : services_) {
    if (s->state == Service::State::kRunning && s->tracker.on_running(now) && s->restarts > 0) {
      spdlog::info("[{}] running stably for {} ms: backoff reset", s->config.name, config_.backoff.stable_after.count());
    }
  }
  publish_telemetry();
  update_status();
}

}  // namespace esper::weatherlight
