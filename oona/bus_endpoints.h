// Where Oona listens. Four endpoints, two per lane, so that emergency traffic never shares a socket
// (or a ZeroMQ pipe, or a high-water mark) with the normal backlog:
//
//   producers --PUSH--> normal_ingress    --PULL--\             /--ROUTER--> normal_egress    <--DEALER-- consumers
//   producers --PUSH--> emergency_ingress --PULL---> oona ------ ---ROUTER--> emergency_egress <--DEALER-- consumers
//
// Each lane's sockets live in a ZeroMQ context of their own, in Oona and in the bus client alike,
// so that an emergency message is never written or read behind a burst of normal traffic on a
// shared I/O thread, and the emergency I/O thread can be scheduled ahead of the rest.
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

// $RUNTIME_DIRECTORY (systemd), else $XDG_RUNTIME_DIR/esper, else /tmp/esper-<uid>.
std::filesystem::path default_runtime_dir();

// The default endpoints: ipc://<dir>/oona-{normal,emergency}-{in,out}.sock.
BusEndpoints endpoints_under(const std::filesystem::path& runtime_dir);

}  // namespace esper::oona

#endif  // ESPER_OONA_BUS_ENDPOINTS_H_
