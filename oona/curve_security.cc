#include "oona/curve_security.h"

#include <array>
#include <stdexcept>
#include <vector>

namespace esper::oona {

bool is_tcp(const std::string& endpoint) { return endpoint.rfind("tcp://", 0) == 0; }

void apply_curve_server(zmq::socket_t& socket, const std::string& endpoint,
                        const CurveServerConfig& config) {
  if (config.server_secret_key.empty() || !is_tcp(endpoint)) return;
  socket.set(zmq::sockopt::curve_server, 1);
  socket.set(zmq::sockopt::curve_secretkey, config.server_secret_key);
  socket.set(zmq::sockopt::zap_domain, "oona");
}

void apply_curve_client(zmq::socket_t& socket, const std::string& endpoint, const CurveClientKeys& keys) {
  if (keys.server_public_key.empty() || !is_tcp(endpoint)) return;
  socket.set(zmq::sockopt::curve_serverkey, keys.server_public_key);
  socket.set(zmq::sockopt::curve_publickey, keys.client_public_key);
  socket.set(zmq::sockopt::curve_secretkey, keys.client_secret_key);
}

bool source_allowed(const SourceBindings& bindings, const char* user_id, std::string_view source) {
  if (user_id == nullptr || bindings.empty()) return true;
  const auto it = bindings.find(std::string_view(user_id));
  return it == bindings.end() || it->second.contains(source);
}

std::string curve_public_key(const std::string& secret_z85) {
  std::array<char, 41> public_z85{};
  if (secret_z85.size() != 40 || zmq_curve_public(public_z85.data(), secret_z85.c_str()) != 0) {
    throw std::invalid_argument("not a Z85 CURVE secret key");
  }
  return std::string(public_z85.data(), 40);
}

ZapAuthenticator::ZapAuthenticator(zmq::context_t& context, std::set<std::string> allowed_z85_keys)
    : socket_(context, zmq::socket_type::rep) {
  for (const auto& key : allowed_z85_keys) {
    std::array<std::uint8_t, 32> raw{};
    if (key.size() != 40 || zmq_z85_decode(raw.data(), key.c_str()) == nullptr) {
      throw std::invalid_argument("allowed client key '" + key + "' is not 40 characters of Z85");
    }
    allowed_.insert(std::string(raw.begin(), raw.end()));
  }
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind("inproc://zeromq.zap.01");
  thread_ = std::thread([this] { serve(socket_); });
}

ZapAuthenticator::~ZapAuthenticator() {
  stop_ = true;
  thread_.join();
  socket_.close();
}

void ZapAuthenticator::serve(zmq::socket_t& socket) {
  while (!stop_.load()) {
    std::vector<zmq::pollitem_t> items{{socket.handle(), 0, ZMQ_POLLIN, 0}};
    if (zmq::poll(items, std::chrono::milliseconds(100)) == 0) continue;
    // Request: version, request id, domain, address, identity, mechanism, credentials...
    std::vector<zmq::message_t> request;
    do {
      request.emplace_back();
      if (!socket.recv(request.back(), zmq::recv_flags::none)) return;
    } while (request.back().more());
    const bool curve = request.size() >= 7 && request[5].to_string_view() == "CURVE";
    const bool allowed = curve && allowed_.count(request[6].to_string()) == 1;
    // The User-Id every message of the connection carries: the client's key, as the config names it.
    std::array<char, 41> user_id{};
    if (allowed && request[6].size() == 32) zmq_z85_encode(user_id.data(), request[6].data<std::uint8_t>(), 32);
    (allowed ? admitted_ : refused_)++;
    const std::string request_id = request.size() > 1 ? request[1].to_string() : "";
    socket.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
    socket.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
    socket.send(allowed ? zmq::str_buffer("200") : zmq::str_buffer("400"), zmq::send_flags::sndmore);
    socket.send(allowed ? zmq::str_buffer("OK") : zmq::str_buffer("unknown client key"),
                zmq::send_flags::sndmore);
    socket.send(zmq::buffer(std::string_view(user_id.data())), zmq::send_flags::sndmore);
    socket.send(zmq::str_buffer(""), zmq::send_flags::none);     // Metadata.
  }
}

}  // namespace esper::oona
