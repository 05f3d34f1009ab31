#include "oona/broker_config.h"

#include <stdexcept>
#include <string>

#include <spdlog/spdlog.h>

#include "oona/bus_location_config.h"
#include "proto/topic.h"

namespace esper::oona {
namespace {

// {max_messages, max_bytes}; what is not given keeps `defaults`.
SubscriberQueueLimits read_queue_limits(config::Section& section, SubscriberQueueLimits defaults) {
  SubscriberQueueLimits limits;
  limits.max_messages = section.get<std::uint64_t>("max_messages", defaults.max_messages);
  limits.max_bytes = section.get("max_bytes", config::ByteSize{defaults.max_bytes}).bytes;
  if (limits.max_messages == 0) throw section.error("max_messages", "must be at least 1");
  if (limits.max_bytes == 0) throw section.error("max_bytes", "must be at least 1");
  section.finish();
  return limits;
}

}  // namespace

BrokerConfig load_broker_config(config::Section root,
                                const std::optional<std::filesystem::path>& runtime_dir_override) {
  BrokerConfig c;
  const BusLocation bus = read_bus_location(root, runtime_dir_override);
  c.runtime_dir = bus.runtime_dir;
  c.endpoints = bus.endpoints;
  c.emergency_scheduling = bus.emergency_scheduling;
  c.signing_key = bus.signing_key;
  if (auto queue = root.optional_section("subscriber_queue")) {
    c.subscriber_queue = read_queue_limits(*queue, c.subscriber_queue);
  } else if (auto old = root.optional_section("normal_queue")) {
    // The one shared queue of earlier versions: its bounds now apply to each subscriber's queue, and
    // nothing stops the ingress any more, so reliable_max_messages has no meaning left.
    (void)old->optional<std::uint64_t>("reliable_max_messages");
    c.subscriber_queue = read_queue_limits(*old, c.subscriber_queue);
    spdlog::warn("{}: normal_queue is deprecated: its bounds now apply to each subscriber (subscriber_queue); "
                 "reliable_max_messages is ignored", root.file());
  }
  for (auto& [name, limits] : root.named_sections("named_subscribers")) {
    c.named_subscribers[name] = read_queue_limits(limits, c.subscriber_queue);
  }
  c.subscriber_timeout = root.get("subscriber_timeout", c.subscriber_timeout);
  if (c.subscriber_timeout.count() <= 0) throw root.error("subscriber_timeout", "must be positive");
  if (auto emergency = root.optional_section("emergency")) {
    c.emergency_rate_per_source =
        emergency->get("rate_per_source", c.emergency_rate_per_source);
    c.emergency_burst = emergency->get("burst", c.emergency_burst);
    c.emergency_total_rate = emergency->get("total_rate", c.emergency_total_rate);
    c.emergency_total_burst = emergency->get("total_burst", c.emergency_total_burst);
    if (emergency->optional<std::uint64_t>("max_messages")) {
      spdlog::warn("{}: emergency.max_messages is deprecated and ignored: each subscriber's queue is bounded by "
                   "subscriber_queue", root.file());
    }
    if (c.emergency_rate_per_source <= 0) {
      throw emergency->error("rate_per_source", "must be greater than 0");
    }
    if (c.emergency_burst < 1) throw emergency->error("burst", "must be at least 1");
    if (c.emergency_total_rate <= 0) throw emergency->error("total_rate", "must be greater than 0");
    if (c.emergency_total_burst < 1) throw emergency->error("total_burst", "must be at least 1");
    emergency->finish();
  }
  c.egress_hwm = root.get("egress_hwm", c.egress_hwm);
  if (c.egress_hwm < 1) throw root.error("egress_hwm", "must be at least 1");
  c.max_envelope_bytes =
      root.get("max_envelope_bytes", config::ByteSize{c.max_envelope_bytes}).bytes;
  c.flush_interval = root.get("flush_interval", c.flush_interval);
  if (c.flush_interval.count() <= 0) throw root.error("flush_interval", "must be positive");
  c.reject_log_interval = root.get("reject_log_interval", c.reject_log_interval);
  if (auto curve = root.optional_section("curve")) {
    const auto inline_key = curve->optional<std::string>("server_secret_key");
    const auto key_file = curve->optional<std::string>("server_secret_key_file");
    const char* key_name = key_file ? "server_secret_key_file" : "server_secret_key";
    if (inline_key.has_value() == key_file.has_value()) {
      throw curve->error(key_name, "give exactly one of server_secret_key and server_secret_key_file");
    }
    try {
      c.curve.server_secret_key =
          key_file ? read_curve_key_file(*key_file, bus.allow_insecure_key_permissions) : *inline_key;
      (void)curve_public_key(c.curve.server_secret_key);
    } catch (const std::invalid_argument& error) {
      throw curve->error(key_name, error.what());
    }
    const auto keys = curve->get("allowed_client_keys", std::vector<std::string>{});
    for (const auto& key : keys) {
      if (key.size() != 40) throw curve->error("allowed_client_keys", "keys are 40 characters of Z85");
    }
    c.curve.allowed_client_keys.insert(keys.begin(), keys.end());
    for (auto& client : curve->sections("clients")) {
      const auto key = client.required<std::string>("public_key");
      if (key.size() != 40) throw client.error("public_key", "must be 40 characters of Z85");
      const auto sources = client.required<std::vector<std::string>>("sources");
      if (sources.empty()) throw client.error("sources", "name at least one source this key may send as");
      for (const auto& source : sources) {
        if (!proto::is_valid_source(source)) throw client.error("sources", "'" + source + "' is not a valid source name");
      }
      if (c.curve.allowed_client_keys.contains(key)) {
        throw client.error("public_key", "this key is also in allowed_client_keys (which lets it send as any source)");
      }
      c.curve.sources[key].insert(sources.begin(), sources.end());
      client.finish();
    }
    for (const auto& [key, sources] : c.curve.sources) c.curve.allowed_client_keys.insert(key);
    curve->finish();
  }
  root.finish();
  return c;
}

}  // namespace esper::oona
