// Oona's configuration, read from YAML (config/config_section.h). Every key is optional; see
// deploy/config/oona.yaml for a commented example with the defaults.
#ifndef ESPER_OONA_BROKER_CONFIG_H_
#define ESPER_OONA_BROKER_CONFIG_H_

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/config_section.h"
#include "oona/bus_endpoints.h"
#include "oona/curve_security.h"
#include "oona/emergency_scheduling.h"

namespace esper::oona {

// The bound of one subscriber's queue (oona/subscriber_queue.h).
struct SubscriberQueueLimits {
  std::size_t max_messages = 100000;
  std::size_t max_bytes = 64u << 20;
};

struct BrokerConfig {
  std::filesystem::path runtime_dir;  // Holds the default ipc:// endpoints.
  BusEndpoints endpoints;

  // What Oona holds for each subscriber, on each lane, while it reads slower than producers send
  // (subscriber_queue); larger for the subscribers named in named_subscribers (by the name they
  // give in their HELLO), by default Nissa.
  SubscriberQueueLimits subscriber_queue;
  std::map<std::string, SubscriberQueueLimits, std::less<>> named_subscribers{
      {"nissa", SubscriberQueueLimits{1000000, 256u << 20}}};
  // A subscriber that says nothing (no HELLO, not even a heartbeat) for this long is forgotten.
  std::chrono::milliseconds subscriber_timeout{30000};

  // ZeroMQ's queue per subscriber connection on each egress socket, in envelopes. A subscriber's
  // credit window is capped at a quarter of it: ZeroMQ learns what the peer has taken only every
  // half high-water mark, and DROPPED notices share the pipe.
  int egress_hwm = 10000;
  std::size_t max_envelope_bytes = 1u << 20;

  // Per-source emergency token bucket, and one for all sources together (so that a flood under
  // many source names is limited too); the excess is demoted to the reliable normal lane.
  double emergency_rate_per_source = 1000.0;
  double emergency_burst = 2000.0;
  double emergency_total_rate = 10000.0;
  double emergency_total_burst = 20000.0;
  // How the emergency lane's threads are scheduled (oona/emergency_scheduling.h).
  EmergencySchedulingConfig emergency_scheduling;

  std::chrono::milliseconds flush_interval{1000};  // Period of Oona's own oona.* telemetry.
  std::chrono::milliseconds reject_log_interval{10000};

  // Raw 32-byte HMAC-SHA256 key (signing.key_file or signing.key_hex); empty: signing off.
  std::string signing_key;

  // CurveZMQ on tcp:// endpoints (curve.server_secret_key, curve.allowed_client_keys); off if empty.
  CurveServerConfig curve;

  SubscriberQueueLimits queue_limits_for(std::string_view subscriber_name) const {
    const auto it = named_subscribers.find(subscriber_name);
    return it == named_subscribers.end() ? subscriber_queue : it->second;
  }
};

// Reads the config from `root`; endpoints not given default to ipc:// under runtime_dir, which the
// command line (`runtime_dir_override`) takes precedence for. Throws config::ConfigError.
BrokerConfig load_broker_config(config::Section root,
                                const std::optional<std::filesystem::path>& runtime_dir_override);

}  // namespace esper::oona

#endif  // ESPER_OONA_BROKER_CONFIG_H_
