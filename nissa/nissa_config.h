// Nissa's configuration, read from YAML (config/config_section.h). Every key is optional; see
// deploy/config/nissa.yaml for a commented example with the defaults.
#ifndef ESPER_NISSA_NISSA_CONFIG_H_
#define ESPER_NISSA_NISSA_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "config/config_section.h"
#include "esper/severity.pb.h"
#include "nissa/metric_aggregator.h"
#include "oona/bus_endpoints.h"

namespace esper::nissa {

struct NissaConfig {
  std::filesystem::path runtime_dir;  // Where Oona's default ipc:// endpoints live.
  oona::BusEndpoints bus;
  std::filesystem::path state_dir;    // WAL (state_dir/wal) and checkpoint (state_dir/aggregates.ckpt).

  std::string http_address = "127.0.0.1";
  int http_port = 9464;  // 0: any free port (printed at start).

  AggregatorOptions aggregation;
  std::size_t event_log_capacity = 100'000;

  leyline::Severity persist_min_severity = leyline::SEVERITY_WARNING;  // Events persisted to the WAL.
  std::chrono::milliseconds checkpoint_interval{10'000};
  std::uint64_t wal_segment_size = 64ull << 20;
  std::size_t max_envelope_bytes = 1u << 20;

  std::chrono::milliseconds telemetry_interval{1000};  // Period of Nissa's own nissa.* telemetry.
};

// Reads the config from `root`; command-line overrides take precedence. Throws config::ConfigError.
NissaConfig load_nissa_config(config::Section root,
                              const std::optional<std::filesystem::path>& runtime_dir_override,
                              const std::optional<std::filesystem::path>& state_dir_override);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_NISSA_CONFIG_H_
