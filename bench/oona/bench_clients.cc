#include "bench/oona/bench_clients.h"

#include <vector>

#include "proto/envelope_codec.h"

namespace esper::oona_bench {

using namespace std::chrono_literals;

std::string signing_key;

proto::Envelope workload_envelope(int points) {
  proto::Envelope e;
  e.set_severity(proto::SEVERITY_INFO);
  auto* packet = e.mutable_telemetry();
  packet->set_packet_id("bench");
  packet->set_source_subsystem("bench");
  for (int i = 0; i < points; ++i) {
    auto* p = packet->add_metrics();
    p->set_name("bench.metric_" + std::to_string(i));
    p->set_value(i * 1.5);
    p->set_unit("ms");
    p->set_kind(proto::METRIC_KIND_GAUGE);
    (*p->mutable_attributes())["seed_id"] = "s3";
  }
  return e;
}

oona::BusPublisherOptions publisher_options(const oona::BusEndpoints& endpoints, const char* source) {
  oona::BusPublisherOptions options;
  options.endpoints = endpoints;
  options.source = source;
  options.send_timeout = 5s;
  options.signing_key = signing_key;
  return options;
}

void connect(const oona::BusEndpoints& endpoints, oona::BusSubscriber& subscriber, proto::Lane lane) {
  oona::BusPublisher probe(publisher_options(endpoints, "probe"));
  proto::Envelope e;
  if (lane == proto::Lane::kEmergency) {
    e.set_severity(proto::SEVERITY_HIGH);
    e.mutable_event();
  } else {
    e.set_severity(proto::SEVERITY_DEBUG);
    e.mutable_telemetry();
  }
  while (true) {
    probe.publish(e);
    auto m = subscriber.receive_from(lane, 20ms);
    if (m && m->envelope.source() == "probe") break;
  }
  while (subscriber.receive_from(lane, 50ms)) {
  }
}

BenchReader::BenchReader(const oona::BusEndpoints& endpoints, bool through_oona, const std::string& name) {
  if (through_oona) {
    oona::BusSubscriberOptions options;
    options.endpoints = endpoints;
    options.emergency = false;
    options.name = name;
    options.signing_key = signing_key;
    subscriber_ = std::make_unique<oona::BusSubscriber>(options);
  } else {
    sub_ = zmq::socket_t(context_, zmq::socket_type::sub);
    sub_.set(zmq::sockopt::linger, 0);
    sub_.set(zmq::sockopt::subscribe, "");
    sub_.connect(endpoints.normal_egress);
  }
}

std::optional<std::string> BenchReader::receive(std::chrono::milliseconds timeout) {
  if (subscriber_) {
    auto m = subscriber_->receive(timeout);
    if (!m) return std::nullopt;
    return m->envelope.source();
  }
  std::vector<zmq::pollitem_t> items{{sub_.handle(), 0, ZMQ_POLLIN, 0}};
  if (zmq::poll(items, timeout) == 0) return std::nullopt;
  zmq::message_t topic, payload;
  (void)sub_.recv(topic);
  (void)sub_.recv(payload);
  auto decoded = proto::decode(topic.to_string_view(), payload.to_string_view());
  return decoded.ok() ? std::optional<std::string>(decoded.envelope().source()) : std::string();
}

void connect(const oona::BusEndpoints& endpoints, BenchReader& reader) {
  oona::BusPublisher probe(publisher_options(endpoints, "probe"));
  proto::Envelope e;
  e.set_severity(proto::SEVERITY_DEBUG);
  e.mutable_telemetry();
  while (true) {
    probe.publish(e);
    auto source = reader.receive(20ms);
    if (source && *source == "probe") break;
  }
  while (reader.receive(50ms)) {
  }
}

}  // namespace esper::oona_bench
