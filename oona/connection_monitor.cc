#include "oona/connection_monitor.h"

#include <atomic>
#include <cstdint>
#include <cstring>

namespace esper::oona {
namespace {

std::string next_address() {
  static std::atomic<std::uint64_t> n{0};
  return "inproc://esper-connection-monitor-" + std::to_string(n++);
}

}  // namespace

ConnectionMonitor::ConnectionMonitor(zmq::context_t& context, zmq::socket_t& socket) : monitored_(socket.handle()) {
  const std::string address = next_address();
  if (zmq_socket_monitor(socket.handle(), address.c_str(),
                         ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED) != 0) {
    throw zmq::error_t();
  }
  events_ = zmq::socket_t(context, zmq::socket_type::pair);
  events_.set(zmq::sockopt::linger, 0);
  events_.connect(address);
}

ConnectionMonitor::~ConnectionMonitor() {
  zmq_socket_monitor(monitored_, nullptr, 0);
}

bool ConnectionMonitor::connected() {
  zmq::message_t event;
  while (events_.recv(event, zmq::recv_flags::dontwait)) {
    // Frame 1: a 16-bit event id and a 32-bit value; frame 2: the endpoint.
    std::uint16_t id = 0;
    if (event.size() >= sizeof id) std::memcpy(&id, event.data(), sizeof id);
    while (event.more()) (void)events_.recv(event, zmq::recv_flags::none);
    if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) ++live_;
    if (id == ZMQ_EVENT_DISCONNECTED && live_ > 0) --live_;
  }
  return live_ > 0;
}

}  // namespace esper::oona
