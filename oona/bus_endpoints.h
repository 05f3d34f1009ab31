// Where Oona listens. Four endpoints, two per lane, so that emergency traffic never shares a socket
// (or a ZeroMQ pipe, or a high-water mark) with the normal backlog:
//
//   producers --PUSH--> normal_ingress    --PULL--\             /--XPUB--> normal_egress    --SUB--> consumers
//   producers --PUSH--> emergency_ingress --PULL---> oona ------ ---XPUB--> emergency_egress --SUB--> consumers
//
// By default every endpoint is an ipc:// socket under a runtime directory; tcp:// is allowed.
#ifndef ESPER_OONA_BUS_ENDPOINTS_H_
#define ESPER_OONA_BUS_ENDPOINTS_H_

#include <cstdint>
#include <filesystem>
#include <string>

namespace esper::oona {

struct BusEndpoints {
  std::string normal_ingress;
  std::string emergency_ingress;
  std::string normal_egress;
  std::string emergency_egress;
};

// Each lane's sockets run on their own ZeroMQ I/O thread (ZMQ_AFFINITY bit masks), in Oona and in
// the bus client alike, so that an emergency message is never written or read behind a burst of
// normal traffic on a shared I/O thread. Contexts are created with two I/O threads.
inline constexpr std::uint64_t kNormalIoThread = 1;     // I/O thread 0.
inline constexpr std::uint64_t kEmergencyIoThread = 2;  // I/O thread 1.

// $RUNTIME_DIRECTORY (systemd), else $XDG_RUNTIME_DIR/esper, else /tmp/esper-<uid>.
std::filesystem::path default_runtime_dir();

// The default endpoints: ipc://<dir>/oona-{normal,emergency}-{in,out}.sock.
BusEndpoints endpoints_under(const std::filesystem::path& runtime_dir);

}  // namespace esper::oona

#endif  // ESPER_OONA_BUS_ENDPOINTS_H_
