// Oona's configuration, read from YAML (config/config_section.h). Every key is optional; see
// deploy/config/oona.yaml for a commented example with the defaults.
#ifndef ESPER_OONA_BROKER_CONFIG_H_
#define ESPER_OONA_BROKER_CONFIG_H_

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>

#include "config/config_section.h"
#include "oona/bus_endpoints.h"
#include "oona/curve_security.h"
#include "oona/emergency_scheduling.h"

namespace esper::oona {

struct BrokerConfig {
  std::filesystem::path runtime_dir;  // Holds the default ipc:// endpoints.
  BusEndpoints endpoints;

  // The normal lane's own queue (used while subscribers are slower than producers).
  std::size_t normal_max_messages = 100000;
  std::size_t normal_max_bytes = 64u << 20;
  // Reliable and emergency items are never dropped; past these counts Oona stops reading the
  // matching ingress until its queue drains (backpressure to producers instead of loss).
  std::size_t reliable_max_messages = 100000;
  std::size_t emergency_max_messages = 100000;

  int egress_hwm = 10000;  // ZeroMQ's per-subscriber queue on each egress socket.
  std::size_t max_envelope_bytes = 1u << 20;

  // Per-source emergency token bucket; the excess is demoted to the reliable normal lane.
  double emergency_rate_per_source = 1000.0;
  double emergency_burst = 2000.0;
  // How the emergency lane's threads are scheduled (oona/emergency_scheduling.h).
  EmergencySchedulingConfig emergency_scheduling;

  std::chrono::milliseconds flush_interval{1000};  // Period of Oona's own oona.* telemetry.
  std::chrono::milliseconds reject_log_interval{10000};

  // Raw 32-byte HMAC-SHA256 key (signing.key_file or signing.key_hex); empty: signing off.
  std::string signing_key;

  // CurveZMQ on tcp:// endpoints (curve.server_secret_key, curve.allowed_client_keys); off if empty.
  CurveServerConfig curve;
};

// Reads the config from `root`; endpoints not given default to ipc:// under runtime_dir, which the
// command line (`runtime_dir_override`) takes precedence for. Throws config::ConfigError.
BrokerConfig load_broker_config(config::Section root,
                                const std::optional<std::filesystem::path>& runtime_dir_override);

}  // namespace esper::oona

#endif  // ESPER_OONA_BROKER_CONFIG_H_
