// What the supervisor says about its services at every flush tick: weatherlight.* telemetry on the
// bus, and a one-line STATUS for systemd ("3/3 services up, 0 restarts, flush #12").
#include "proto/metric_point.h"
#include "weatherlight/supervised_service.h"

namespace esper::weatherlight {

void Supervisor::publish_telemetry() {
  std::vector<proto::MetricPoint> points;
  int up = 0;
  for (const auto& s : services_) {
    const bool running = s->state == Service::State::kRunning;
    up += running ? 1 : 0;
    const auto flush = flush_->stats(s->config.name);
    points.push_back(proto::make_point("weatherlight.service_up", running ? 1 : 0, "bool", proto::METRIC_KIND_GAUGE,
                                      {{"service", s->config.name}}));
    points.push_back(proto::make_point("weatherlight.restarts_total", static_cast<double>(s->restarts), "count",
                                      proto::METRIC_KIND_COUNTER, {{"service", s->config.name}}));
    if (flush.answered > 0) {
      points.push_back(proto::make_point("weatherlight.flush_latency_ms",
                                        static_cast<double>(flush.last_latency.count()) / 1000.0, "ms",
                                        proto::METRIC_KIND_GAUGE, {{"service", s->config.name}}));
    }
    points.push_back(proto::make_point("weatherlight.flushes_missed_total", static_cast<double>(flush.missed_total),
                                      "count", proto::METRIC_KIND_COUNTER, {{"service", s->config.name}}));
    points.push_back(proto::make_point("weatherlight.flush_dropped_total", static_cast<double>(flush.dropped_total),
                                      "count", proto::METRIC_KIND_COUNTER, {{"service", s->config.name}}));
  }
  points.push_back(proto::make_point("weatherlight.services_up", up, "count"));
  points.push_back(proto::make_point("weatherlight.services_configured", static_cast<double>(services_.size()), "count"));
  reporter_.metrics(std::move(points));
}

void Supervisor::update_status() {
  int up = 0, failed = 0;
  std::uint64_t restarts = 0;
  std::string unhealthy;
  for (const auto& s : services_) {
    up += s->state == Service::State::kRunning ? 1 : 0;
    failed += s->state == Service::State::kFailed ? 1 : 0;
    restarts += s->restarts;
    if (!flush_->stats(s->config.name).healthy) unhealthy += (unhealthy.empty() ? "" : ",") + s->config.name;
  }
  std::string status = std::to_string(up) + "/" + std::to_string(services_.size()) + " services up";
  if (failed) status += ", " + std::to_string(failed) + " failed";
  status += ", " + std::to_string(restarts) + " restarts";
  if (!unhealthy.empty()) status += ", unhealthy: " + unhealthy;
  status += ", flush #" + std::to_string(flush_->seq());
  notifier_.status(status);
}

}  // namespace esper::weatherlight
