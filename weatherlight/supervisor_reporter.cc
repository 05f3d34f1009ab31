#include "weatherlight/supervisor_reporter.h"

#include "proto/envelope_codec.h"

namespace esper::weatherlight {

SupervisorReporter::SupervisorReporter(std::unique_ptr<oona::BusPublisher> bus) : bus_(std::move(bus)) {}

void SupervisorReporter::event(proto::Severity severity, const std::string& name,
                               std::map<std::string, std::string> attributes) {
  if (!bus_) return;
  proto::Envelope envelope;
  envelope.set_severity(severity);
  auto* e = envelope.mutable_event();
  const auto now = proto::now_unix_ns();
  e->set_event_id("weatherlight-" + std::to_string(now) + "-" + std::to_string(++event_seq_));
  e->set_description(name);
  e->set_level(severity);
  e->set_timestamp_unix_ns(now);
  for (auto& [k, v] : attributes) (*e->mutable_attributes())[k] = std::move(v);
  bus_->publish(std::move(envelope));
}

void SupervisorReporter::metrics(std::vector<proto::MetricPoint> points) {
  if (!bus_ || points.empty()) return;
  proto::Envelope envelope;
  envelope.set_severity(proto::SEVERITY_INFO);
  auto* packet = envelope.mutable_telemetry();
  packet->set_packet_id("weatherlight-" + std::to_string(++packet_seq_));
  packet->set_timestamp_unix_ns(proto::now_unix_ns());
  packet->set_source_subsystem("weatherlight");
  packet->set_level(proto::SEVERITY_INFO);
  for (auto& p : points) *packet->add_metrics() = std::move(p);
  bus_->publish(std::move(envelope));
}

std::uint64_t SupervisorReporter::unsent() const {
  if (!bus_) return 0;
  return bus_->unsent(proto::Lane::kNormal) + bus_->unsent(proto::Lane::kEmergency);
}

}  // namespace esper::weatherlight
