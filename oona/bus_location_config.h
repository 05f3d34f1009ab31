// Where a process finds the bus, read from its YAML config: `runtime_dir` and an optional
// `endpoints:` section with the four endpoints (ipc:// or tcp://), each defaulting to ipc:// under
// runtime_dir; and, for a CURVE Oona on tcp://, the client's keys:
//
//   client_curve:
//     server_public_key: "<Z85, 40 characters>"    # Oona's public key.
//     secret_key_file: /etc/esper/keys/nissa.secret  # Or secret_key: "<Z85>"; the public key follows.
//
// And the envelope signing key (oona/envelope_signer.h), the same for every process on the bus:
// Oona verifies with it, publishers sign with it, subscribers verify with it.
//
//   signing:
//     key_file: /etc/esper/keys/bus.key  # 64 hex digits; or key_hex: "<64 hex digits>".
//
// Key files (signing.key_file, client_curve.secret_key_file, Oona's curve.server_secret_key_file)
// that their group or others may read are refused (oona/key_file.h) unless the config says, at its
// top level:
//
//   allow_insecure_key_permissions: true  # Accept them anyway, with a warning in the log.
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
  // Raw 32-byte HMAC-SHA256 key (signing.key_file or signing.key_hex); empty: signing off.
  std::string signing_key;
  bool allow_insecure_key_permissions = false;  // Key files readable by others are accepted (warned).
};

// The first whitespace-separated word of a key file (oona/key_file.h), for Z85 CURVE keys.
std::string read_curve_key_file(const std::filesystem::path& path, bool allow_insecure_permissions);

// `runtime_dir_override` (a --runtime-dir flag) wins over the config's runtime_dir, which wins over
// default_runtime_dir(). Throws config::ConfigError for an endpoint that is not ipc:// or tcp://, a
// key that is not one, or a key file that cannot be read or that others may read.
BusLocation read_bus_location(config::Section& root,
                              const std::optional<std::filesystem::path>& runtime_dir_override);

}  // namespace esper::oona

#endif  // ESPER_OONA_BUS_LOCATION_CONFIG_H_
