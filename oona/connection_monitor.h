// Whether a connecting socket is talking to its peer right now: a ZeroMQ socket monitor that
// watches for a completed handshake (ZMQ_EVENT_HANDSHAKE_SUCCEEDED, which with CurveZMQ also means
// the key was accepted) and for the connection closing. A socket that connects to an endpoint
// nobody listens on, or to a stale ipc:// file, retries silently; this is how a client can tell
// its user "waiting for oona at …" instead of saying nothing.
//
// Not thread-safe: it belongs to the thread that uses the monitored socket.
#ifndef ESPER_OONA_CONNECTION_MONITOR_H_
#define ESPER_OONA_CONNECTION_MONITOR_H_

#include <string>

#include <zmq.hpp>

namespace esper::oona {

class ConnectionMonitor {
 public:
  // Monitors `socket` (of `context`); call before connecting it. The monitor must be destroyed
  // before the socket is closed (moving the socket is fine).
  ConnectionMonitor(zmq::context_t& context, zmq::socket_t& socket);
  ~ConnectionMonitor();
  ConnectionMonitor(const ConnectionMonitor&) = delete;
  ConnectionMonitor& operator=(const ConnectionMonitor&) = delete;

  // Reads the events so far: true while at least one connection has completed its handshake and
  // not closed since.
  bool connected();

 private:
  void* monitored_;  // The socket's handle, which stays the same when the socket_t is moved.
  zmq::socket_t events_;
  int live_ = 0;  // Connections handshaken and not yet closed.
};

}  // namespace esper::oona

#endif  // ESPER_OONA_CONNECTION_MONITOR_H_
