// Nissa's configuration, read from YAML (config/config_section.h). Every key is optional; see
// deploy/config/nissa.yaml for a commented example with the defaults.
#ifndef ESPER_NISSA_CORE_NISSA_CONFIG_H_
#define ESPER_NISSA_CORE_NISSA_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "config/config_section.h"
#include "esper/severity.pb.h"
#include "nissa/analytics/alert_rules.h"
#include "nissa/export/export_config.h"
#include "nissa/serve/http_server.h"
#include "nissa/store/metric_aggregator.h"
#include "nissa/analytics/schema_contract.h"
#include "nissa/analytics/session_views.h"
#include "nissa/serve/unix_metrics_endpoint.h"
#include "oona/bus_endpoints.h"
#include "oona/curve_security.h"
#include "oona/emergency_scheduling.h"

namespace esper::nissa {

struct NissaConfig {
  std::filesystem::path runtime_dir;  // Where Oona's default ipc:// endpoints live.
  oona::BusEndpoints bus;
  oona::CurveClientKeys bus_curve;  // client_curve: keys for a CURVE Oona on tcp://.
  std::string bus_signing_key;      // signing: the bus's HMAC key (raw 32 bytes); empty: off.
  oona::EmergencySchedulingConfig bus_emergency_scheduling;  // emergency_scheduling:
  std::filesystem::path state_dir;    // WAL (state_dir/wal) and checkpoint (state_dir/aggregates.ckpt).

  // `http:` address, port (0: any free port, printed at start), max_connections, request_timeout,
  // allowed_hosts (nissa/serve/host_allowlist.h) and admin_token_file (read at load: the token itself is
  // kept; nissa/serve/admin_token_file.h).
  HttpServerOptions http{.address = "127.0.0.1", .port = 9464};

  AggregatorOptions aggregation;
  std::size_t event_log_capacity = 100'000;

  proto::Severity persist_min_severity = proto::SEVERITY_WARNING;  // Events persisted to the WAL.
  std::chrono::milliseconds checkpoint_interval{10'000};
  std::uint64_t wal_segment_size = 64ull << 20;
  // Field reports and persisted events are kept this long: a WAL segment (other than the one being
  // written) whose last write is older is deleted, and its reports forgotten. Zero: kept for ever.
  std::chrono::milliseconds retention = std::chrono::hours(24 * 30);
  std::size_t max_envelope_bytes = 1u << 20;

  std::chrono::milliseconds telemetry_interval{1000};  // Period of Nissa's own nissa.* telemetry.

  AlertRules alerts;                            // `alerts:` (nissa/analytics/alert_rules.h).
  std::vector<SchemaContract> schema_contracts;  // `schema_contracts:` (nissa/analytics/schema_contract.h).
  SessionViewOptions sessions;                  // `sessions:` (nissa/analytics/session_views.h).
  // `unix_socket:` (nissa/serve/unix_metrics_endpoint.h); absent: no socket. The path defaults to
  // runtime_dir/nissa.sock.
  std::optional<UnixMetricsEndpointOptions> unix_socket;
  ExportConfig exports;  // `export:` (nissa/export/export_config.h); every exporter off by default.

  // The file the config came from (empty: defaults only); reloads read it again.
  std::filesystem::path config_file;
};

// The parts of a config that a reload (SIGHUP, POST /api/v1/admin/reload) replaces; everything else
// needs a restart.
struct ReloadableConfig {
  AlertRules alerts;
  std::vector<SchemaContract> schema_contracts;
  SessionViewOptions sessions;
};

// Where Nissa's state lives under state_dir.
inline std::filesystem::path journal_dir(const NissaConfig& c) { return c.state_dir / "wal"; }
inline std::filesystem::path checkpoint_path(const NissaConfig& c) { return c.state_dir / "aggregates.ckpt"; }

// Reads `config.config_file` again, keeping runtime_dir and state_dir. Throws config::ConfigError.
ReloadableConfig reload_nissa_config(const NissaConfig& config);

// Reads the config from `root`; command-line overrides take precedence. Throws config::ConfigError.
NissaConfig load_nissa_config(config::Section root,
                              const std::optional<std::filesystem::path>& runtime_dir_override,
                              const std::optional<std::filesystem::path>& state_dir_override);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_CORE_NISSA_CONFIG_H_
