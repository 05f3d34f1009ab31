// Optional CurveZMQ on Oona's tcp:// endpoints (ipc:// ones are protected by file permissions).
//
// Oona is the CURVE server on every tcp:// socket, with the secret key from its config; a ZAP
// handler (ZeroMQ's authentication protocol, RFC 27, on inproc://zeromq.zap.01) admits only the
// client public keys listed in the config. A refused client completes no handshake, so it can
// neither publish nor receive anything; each refused attempt is counted (oona.curve_refused_total,
// from the sockets' monitors: oona/lane_sockets.h).
//
// A client key may also be bound to the sources it may speak as (`curve.clients`, each with
// `sources`). The ZAP handler gives every admitted connection the client's Z85 public key as its
// ZAP User-Id, which libzmq attaches to every message from it (zmq_msg_gets(msg, "User-Id")); Oona's
// ingress refuses an envelope whose source is not bound to that key (`source_not_allowed`).
// Keys listed in `allowed_client_keys` are bound to no source list and may send as any source.
//
// Keys are Z85 text (40 characters), as zmq_curve_keypair() writes them.
#ifndef ESPER_OONA_CURVE_SECURITY_H_
#define ESPER_OONA_CURVE_SECURITY_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include <zmq.hpp>

namespace esper::oona {

// Z85 client public key -> the sources it may send as.
using SourceBindings = std::map<std::string, std::set<std::string, std::less<>>, std::less<>>;

struct CurveServerConfig {
  std::string server_secret_key;             // Z85; empty: CurveZMQ off.
  std::set<std::string> allowed_client_keys;  // Z85 public keys (those in `sources` included).
  SourceBindings sources;                     // Keys bound to sources; a key not here: any source.
};

// Whether a message whose ZAP User-Id is `user_id` (null: not a CURVE connection) may carry an
// envelope from `source`.
bool source_allowed(const SourceBindings& bindings, const char* user_id, std::string_view source);

// What a client needs to talk to a CURVE Oona; applied to tcp:// endpoints only.
struct CurveClientKeys {
  std::string server_public_key;  // Z85; empty: no CURVE.
  std::string client_public_key;
  std::string client_secret_key;
};

bool is_tcp(const std::string& endpoint);

// Makes `socket` a CURVE server if `endpoint` is tcp:// (call before bind).
void apply_curve_server(zmq::socket_t& socket, const std::string& endpoint,
                        const CurveServerConfig& config);
// Makes `socket` a CURVE client if `endpoint` is tcp:// and keys are given (call before connect).
void apply_curve_client(zmq::socket_t& socket, const std::string& endpoint, const CurveClientKeys& keys);

// The ZAP handler thread. Construct before binding any CURVE socket in `context`; it stops (and
// joins) on destruction.
class ZapAuthenticator {
 public:
  ZapAuthenticator(zmq::context_t& context, std::set<std::string> allowed_z85_keys);
  ~ZapAuthenticator();
  ZapAuthenticator(const ZapAuthenticator&) = delete;
  ZapAuthenticator& operator=(const ZapAuthenticator&) = delete;

  std::uint64_t refused() const { return refused_.load(); }
  std::uint64_t admitted() const { return admitted_.load(); }

 private:
  void serve(zmq::socket_t& socket);

  std::set<std::string> allowed_;  // Raw 32-byte keys.
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> admitted_{0};
  zmq::socket_t socket_;
  std::thread thread_;
};

// Z85 text of the public key that belongs to a Z85 secret key.
std::string curve_public_key(const std::string& secret_z85);

}  // namespace esper::oona

#endif  // ESPER_OONA_CURVE_SECURITY_H_
