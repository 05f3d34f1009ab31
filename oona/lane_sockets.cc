#include "oona/lane_sockets.h"

#include <cstring>
#include <filesystem>

#include "oona/egress_protocol.h"
#include "oona/frame_limit.h"

namespace esper::oona {
namespace {

void prepare_ipc_dir(const std::string& endpoint) {
  constexpr std::string_view kIpc = "ipc://";
  if (endpoint.rfind(kIpc, 0) != 0) return;
  const std::filesystem::path path(endpoint.substr(kIpc.size()));
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
}

void bind(zmq::socket_t& socket, std::string& endpoint, const CurveServerConfig& curve) {
  prepare_ipc_dir(endpoint);
  socket.set(zmq::sockopt::linger, 0);
  apply_curve_server(socket, endpoint, curve);
  socket.bind(endpoint);
  endpoint = socket.get(zmq::sockopt::last_endpoint);
}

// Every way a handshake fails: a ZAP refusal (_AUTH), a plain client at a CURVE socket or a bad
// greeting (_PROTOCOL), anything else (_NO_DETAIL).
constexpr int kHandshakeFailed =
    ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

}  // namespace

LaneSockets::LaneSockets(const BrokerConfig& config, std::string& ingress_endpoint,
                         std::string& egress_endpoint, std::string_view lane_name) {
  if (!config.curve.server_secret_key.empty()) {
    // The ZAP handler must be listening before any CURVE socket accepts a connection.
    zap_ = std::make_unique<ZapAuthenticator>(context_, config.curve.allowed_client_keys);
  }
  ingress = zmq::socket_t(context_, zmq::socket_type::pull);
  ingress.set(zmq::sockopt::maxmsgsize, transport_frame_limit(config.max_envelope_bytes));
  bind(ingress, ingress_endpoint, config.curve);
  egress = zmq::socket_t(context_, zmq::socket_type::router);
  egress.set(zmq::sockopt::sndhwm, config.egress_hwm);
  egress.set(zmq::sockopt::router_mandatory, true);
  egress.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(egress::kMaxControlFrameBytes));
  bind(egress, egress_endpoint, config.curve);

  monitor = monitor_socket(egress, "inproc://oona-egress-monitor-" + std::string(lane_name),
                           ZMQ_EVENT_DISCONNECTED | kHandshakeFailed);
  ingress_monitor = monitor_socket(ingress, "inproc://oona-ingress-monitor-" + std::string(lane_name),
                                   ZMQ_EVENT_DISCONNECTED | kHandshakeFailed);
}

zmq::socket_t LaneSockets::monitor_socket(zmq::socket_t& socket, const std::string& address, int events) {
  if (zmq_socket_monitor(socket.handle(), address.c_str(), events) != 0) throw zmq::error_t();
  zmq::socket_t pair(context_, zmq::socket_type::pair);
  pair.set(zmq::sockopt::linger, 0);
  pair.connect(address);
  return pair;
}

LaneSockets::~LaneSockets() {
  zmq_socket_monitor(egress.handle(), nullptr, 0);
  zmq_socket_monitor(ingress.handle(), nullptr, 0);
  monitor.close();
  ingress_monitor.close();
  ingress.close();
  egress.close();
}

void LaneSockets::read_monitor(const std::function<void(int fd)>& on_disconnected) {
  zmq::message_t event;
  for (zmq::socket_t* socket : {&monitor, &ingress_monitor}) {
    while (socket->recv(event, zmq::recv_flags::dontwait)) {
      // Frame 1: 16-bit event id and 32-bit value (the connection's fd); frame 2: the endpoint.
      std::uint16_t id = 0;
      std::uint32_t fd = 0;
      if (event.size() >= 6) {
        std::memcpy(&id, event.data(), sizeof id);
        std::memcpy(&fd, event.data<char>() + 2, sizeof fd);
      }
      while (event.more()) (void)socket->recv(event, zmq::recv_flags::none);
      if (id == ZMQ_EVENT_DISCONNECTED && socket == &monitor) on_disconnected(static_cast<int>(fd));
      if (id == ZMQ_EVENT_DISCONNECTED && socket == &ingress_monitor) {
        ingress_disconnects_.fetch_add(1, std::memory_order_relaxed);
      }
      if ((id & kHandshakeFailed) != 0) handshakes_failed_.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

}  // namespace esper::oona
