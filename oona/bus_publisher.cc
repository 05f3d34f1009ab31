#include "oona/bus_publisher.h"

#include <unistd.h>

#include <climits>

#include "oona/envelope_reader.h"
#include "proto/envelope_codec.h"

namespace esper::oona {

std::string default_instance() {
  char host[HOST_NAME_MAX + 1] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + std::to_string(getpid());
}

namespace {

zmq::socket_t make_push(zmq::context_t& context, const std::string& endpoint,
                        const BusPublisherOptions& options) {
  zmq::socket_t socket(context, zmq::socket_type::push);
  socket.set(zmq::sockopt::sndhwm, options.send_hwm);
  socket.set(zmq::sockopt::sndtimeo, static_cast<int>(options.send_timeout.count()));
  socket.set(zmq::sockopt::linger, static_cast<int>(options.linger.count()));
  apply_curve_client(socket, endpoint, options.curve);
  socket.connect(endpoint);
  return socket;
}

}  // namespace

BusPublisher::BusPublisher(BusPublisherOptions options) : options_(std::move(options)) {
  if (options_.instance.empty()) options_.instance = default_instance();
  if (!options_.signing_key.empty()) signer_.emplace(options_.signing_key);
  normal_ = make_push(normal_context_, options_.endpoints.normal_ingress, options_);
  (void)start_emergency_io_threads(emergency_context_, options_.emergency_scheduling);
  emergency_ = make_push(emergency_context_, options_.endpoints.emergency_ingress, options_);
}

BusPublisher::~BusPublisher() {
  normal_.close();
  emergency_.close();
}

void BusPublisher::stamp(proto::Envelope& envelope, proto::Lane lane) {
  envelope.set_schema_version(proto::kSchemaVersion);
  envelope.set_source(options_.source);
  envelope.set_instance(options_.instance);
  envelope.set_demoted(false);  // Only Oona demotes.
  envelope.set_sequence(++sequence_[static_cast<std::size_t>(lane)]);
  envelope.set_sent_unix_ns(proto::now_unix_ns());
}

bool BusPublisher::publish(proto::Envelope envelope) {
  envelope.set_demoted(false);  // Before the lane is read from it: a demoted one would be reliable.
  const proto::Lane lane = proto::topic_for(envelope).lane;
  stamp(envelope, lane);
  return send(lane, encode_signed(envelope, signer_ ? &*signer_ : nullptr));
}

bool BusPublisher::publish_telemetry(std::string_view packet, proto::Severity level) {
  proto::Envelope header;
  header.set_severity(level);
  const proto::Lane lane = proto::lane_for(proto::BodyKind::kTelemetry, level);
  stamp(header, lane);
  proto::WireMessage message = proto::encode_telemetry(header, packet);
  if (signer_) {
    header.set_signature(signer_->mac_of_serialized(message.topic, message.envelope));
    message.envelope = proto::telemetry_envelope_frame(header, packet);
  }
  return send(lane, message);
}

bool BusPublisher::send(proto::Lane lane, const proto::WireMessage& message) {
  zmq::socket_t& socket = lane == proto::Lane::kEmergency ? emergency_ : normal_;
  const auto index = static_cast<std::size_t>(lane);
  // Once the first frame is accepted the second always is (multipart messages are atomic).
  if (!socket.send(zmq::buffer(message.topic), zmq::send_flags::sndmore)) {
    ++unsent_[index];
    return false;
  }
  socket.send(zmq::buffer(message.envelope), zmq::send_flags::none);
  ++sent_[index];
  return true;
}

}  // namespace esper::oona
