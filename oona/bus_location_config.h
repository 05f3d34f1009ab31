// Where a process finds the bus, read from its YAML config: `runtime_dir` and an optional
// `endpoints:` section with the four endpoints (ipc:// or tcp://), each defaulting to ipc:// under
// runtime_dir; and, for a CURVE Oona on tcp://, the client's keys:
//
//   client_curve:
//     server_public_key: "<Z85, 40 characters>"    # Oona's public key.
//     secret_key_file: /etc/esper/keys/nissa.secret  # Or secret_key: "<Z85>"; the public key follows.
//
// And how the threads that carry this process's emergency lane are scheduled
// (oona/emergency_scheduling.h):
//
//   emergency_scheduling:
//     realtime_priority: 10  # SCHED_FIFO priority where allowed, 1..99; 0: no real-time.
//     cpu: auto              # The CPU they share: auto (the last one allowed), none, or a number.
//
// Oona, Nissa and every other bus user read it the same way.
#ifndef ESPER_OONA_BUS_LOCATION_CONFIG_H_
#define ESPER_OONA_BUS_LOCATION_CONFIG_H_

#include <filesystem>
#include <optional>

#include "config/config_section.h"
#include "oona/bus_endpoints.h"
#include "oona/curve_security.h"
#include "oona/emergency_scheduling.h"

namespace esper::oona {

struct BusLocation {
  std::filesystem::path runtime_dir;
  BusEndpoints endpoints;
  CurveClientKeys curve;  // Empty server_public_key: no CURVE.
  EmergencySchedulingConfig emergency_scheduling;
};

// `runtime_dir_override` (a --runtime-dir flag) wins over the config's runtime_dir, which wins over
// default_runtime_dir(). Throws config::ConfigError for an endpoint that is not ipc:// or tcp://.
BusLocation read_bus_location(config::Section& root,
                              const std::optional<std::filesystem::path>& runtime_dir_override);

}  // namespace esper::oona

#endif  // ESPER_OONA_BUS_LOCATION_CONFIG_H_
