#include "python/src/native_subscriber.h"

#include <zmq.hpp>

#include <cerrno>
#include <stdexcept>

#include "config/config_section.h"
#include "oona/bus_location_config.h"
#include "proto/topic.h"
#include "python/src/new_threads_without_signals.h"

namespace esper::python {

NativeSubscriber::NativeSubscriber(const NativeSubscriberOptions& options) {
  const NewThreadsWithoutSignals signals_stay_with_python;  // ZeroMQ's I/O threads.
  if (!options.normal && !options.emergency) throw std::invalid_argument("subscribe to at least one lane");
  oona::BusSubscriberOptions bus;
  std::optional<std::filesystem::path> runtime_dir_override;
  if (!options.runtime_dir.empty()) runtime_dir_override = options.runtime_dir;
  if (!options.config.empty()) {
    auto root = config::load_file(options.config);
    const auto location = oona::read_bus_location(root, runtime_dir_override);
    bus.endpoints = location.endpoints;
    bus.curve = location.curve;
    bus.signing_key = location.signing_key;
    bus.emergency_scheduling = location.emergency_scheduling;
  } else {
    bus.endpoints = oona::endpoints_under(runtime_dir_override.value_or(oona::default_runtime_dir()));
  }
  bus.name = options.name.empty() ? oona::default_subscriber_name() : options.name;
  bus.prefixes = options.prefixes.empty() ? std::vector<std::string>{""} : options.prefixes;
  bus.normal = options.normal;
  bus.emergency = options.emergency;
  subscriber_ = std::make_unique<oona::BusSubscriber>(std::move(bus));
}

std::optional<ReceivedEnvelope> NativeSubscriber::receive(std::chrono::milliseconds timeout) {
  std::optional<oona::BusMessage> m;
  try {
    m = subscriber_->receive(timeout);
  } catch (const zmq::error_t& e) {
    // A signal for Python (Ctrl-C's SIGINT) interrupted the wait: nothing received; the caller
    // lets Python run its handler.
    if (e.num() != EINTR) throw;
    return std::nullopt;
  }
  if (!m) return std::nullopt;
  return ReceivedEnvelope{std::string(proto::lane_name(m->socket)), proto::format_topic(m->topic),
                          m->envelope.SerializeAsString()};
}

std::uint64_t NativeSubscriber::received() const {
  return subscriber_->received(proto::Lane::kNormal) + subscriber_->received(proto::Lane::kEmergency);
}

}  // namespace esper::python
