// Weatherlight's configuration: the services it runs and how it supervises them. Loaded from YAML
// (deploy/config/weatherlight.yaml is the commented reference). Everything an operator can get
// wrong is refused at load time with the file, the key and the line: unknown keys, bad types, a
// depends_on naming no service or forming a cycle, an executable that does not exist.
#ifndef ESPER_WEATHERLIGHT_SUPERVISOR_CONFIG_H_
#define ESPER_WEATHERLIGHT_SUPERVISOR_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config_section.h"
#include "oona/bus_endpoints.h"
#include "oona/curve_security.h"
#include "oona/emergency_scheduling.h"

namespace esper::weatherlight {

enum class RestartPolicy { kAlways, kOnFailure, kNever };

// When a service counts as ready, so that its dependents may start.
enum class Readiness {
  kHello,    // It said HELLO on the control socket (services built on producers/service_runtime.h).
  kStarted,  // As soon as it has been started.
  kLine,     // A line of its stdout contains `ready_line` (e.g. "oona ready").
};

struct BackoffConfig {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{30'000};
  double multiplier = 2.0;
  double jitter = 0.1;                        // Each delay is scaled by a random factor in [1-j, 1+j].
  std::uint32_t crash_loop_limit = 5;          // This many restarts within the window: give up.
  std::chrono::milliseconds crash_loop_window{60'000};
  std::chrono::milliseconds stable_after{30'000};  // Running this long resets backoff and health.

  bool operator==(const BackoffConfig&) const = default;
};

struct ServiceConfig {
  std::string name;
  std::vector<std::string> argv;  // argv[0] is executed directly, never through a shell.
  std::filesystem::path executable;  // argv[0] resolved (PATH search, working_dir), checked executable.
  std::map<std::string, std::string> env;
  std::filesystem::path working_dir;  // Empty: Weatherlight's own.
  RestartPolicy restart = RestartPolicy::kOnFailure;
  std::vector<std::string> depends_on;
  Readiness ready = Readiness::kStarted;
  std::string ready_line;
  bool restart_when_unhealthy = false;  // Restart after too many missed FLUSHED replies.

  // Two configs that compare equal need no restart on reload.
  bool operator==(const ServiceConfig&) const = default;
};

struct SupervisorConfig {
  std::filesystem::path source_file;  // Where it was loaded from, for SIGHUP.
  std::filesystem::path runtime_dir;
  oona::BusEndpoints bus;             // Where Weatherlight publishes its events and telemetry.
  oona::CurveClientKeys bus_curve;    // client_curve: keys for a CURVE Oona on tcp://.
  std::string bus_signing_key;        // signing: the bus's HMAC key (raw 32 bytes); empty: off.
  oona::EmergencySchedulingConfig bus_emergency_scheduling;  // emergency_scheduling:
  bool publish_to_bus = true;
  std::string control_endpoint;       // Default: ipc://<runtime_dir>/weatherlight-control.sock.
  std::chrono::milliseconds flush_interval{1000};
  std::uint32_t missed_flushes_unhealthy = 3;  // Consecutive missed FLUSHED replies.
  std::chrono::milliseconds stop_timeout{5000};  // SIGTERM to SIGKILL.
  BackoffConfig backoff;
  std::vector<ServiceConfig> services;  // In start order: every service after its dependencies.
};

// In argv, env values and working_dir, "${runtime_dir}", "${config_dir}" (the config file's
// directory) and "${env:NAME}" (Weatherlight's environment, e.g. systemd's STATE_DIRECTORY) are
// replaced by their values; an unset variable is a config error. Children also get RUNTIME_DIRECTORY=<runtime_dir> unless their env sets
// it, so every Esper process they run finds the same bus by default (oona/bus_endpoints.h).
//
// Reads and validates `root`. `runtime_dir_override` (--runtime-dir) wins over the file's value.
// Throws config::ConfigError.
SupervisorConfig load_supervisor_config(config::Section root,
                                        const std::optional<std::filesystem::path>& runtime_dir_override);

// Loads `path` (load_file + load_supervisor_config).
SupervisorConfig load_supervisor_config_file(const std::filesystem::path& path,
                                             const std::optional<std::filesystem::path>& runtime_dir_override);

const char* to_string(RestartPolicy policy);

}  // namespace esper::weatherlight

#endif  // ESPER_WEATHERLIGHT_SUPERVISOR_CONFIG_H_
