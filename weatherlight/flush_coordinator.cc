#include "weatherlight/flush_coordinator.h"

#include <algorithm>

#include "esper/control.pb.h"

namespace esper::weatherlight {

FlushCoordinator::FlushCoordinator(zmq::context_t& context, const std::string& endpoint,
                                   std::uint32_t missed_threshold)
    : socket_(context, zmq::socket_type::router), missed_threshold_(missed_threshold) {
  socket_.set(zmq::sockopt::linger, 0);
  // A FLUSH for a peer that went away is dropped at once instead of blocking the supervisor.
  socket_.set(zmq::sockopt::router_mandatory, 0);
  socket_.bind(endpoint);
}

std::vector<FlushEvent> FlushCoordinator::on_readable(Clock::time_point now) {
  std::vector<FlushEvent> events;
  while (true) {
    zmq::message_t identity, body;
    if (!socket_.recv(identity, zmq::recv_flags::dontwait)) break;
    if (!identity.more() || !socket_.recv(body, zmq::recv_flags::dontwait)) {
      ++rejected_;
      continue;
    }
    while (body.more()) {  // Extra frames are not part of the protocol; drain and reject.
      zmq::message_t extra;
      if (!socket_.recv(extra, zmq::recv_flags::dontwait)) break;
      body = std::move(extra);
    }
    proto::Control message;
    if (!message.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      ++rejected_;
      bad_message_log_.log(spdlog::level::warn, "unparseable",
                           "control socket: rejected a message that is not a Control (" +
                               std::to_string(body.size()) + " bytes)");
      continue;
    }
    const std::string id = identity.to_string();
    if (message.has_hello()) {
      on_hello(message.hello(), id, events);
    } else if (message.has_flushed()) {
      on_flushed(message.flushed(), id, now, events);
    } else if (message.has_heartbeat()) {
      // Liveness only; nothing to do.
    } else {
      ++rejected_;
      bad_message_log_.log(spdlog::level::warn, "unexpected",
                           "control socket: rejected a control message a service must not send");
    }
  }
  return events;
}

void FlushCoordinator::on_hello(const proto::Hello& hello, const std::string& identity,
                                std::vector<FlushEvent>& events) {
  Peer& peer = peers_[hello.service()];
  peer.identity = identity;
  peer.pid = static_cast<pid_t>(hello.pid());
  peer.outstanding.reset();
  peer.stats.connected = true;
  events.push_back({.type = FlushEvent::Type::kHello, .service = hello.service(), .pid = peer.pid});
}

void FlushCoordinator::on_flushed(const proto::Flushed& flushed, const std::string& identity, Clock::time_point now,
                                  std::vector<FlushEvent>& events) {
  auto it = std::find_if(peers_.begin(), peers_.end(), [&](const auto& p) { return p.second.identity == identity; });
  if (it == peers_.end() || !it->second.outstanding || *it->second.outstanding != flushed.seq()) {
    // A reply to a round already counted as missed, or from a peer we forgot: late, not wrong.
    return;
  }
  Peer& peer = it->second;
  peer.outstanding.reset();
  const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(now - peer.sent_at);
  peer.stats.answered++;
  peer.stats.last_latency = latency;
  peer.stats.missed_consecutive = 0;
  peer.stats.dropped_total += flushed.dropped();
  events.push_back({.type = FlushEvent::Type::kFlushed,
                    .service = it->first,
                    .latency = latency,
                    .points = flushed.points(),
                    .packets = flushed.packets(),
                    .dropped = flushed.dropped(),
                    .depth = flushed.depth()});
  if (!peer.stats.healthy) {
    peer.stats.healthy = true;
    events.push_back({.type = FlushEvent::Type::kHealthy, .service = it->first});
  }
}

std::vector<FlushEvent> FlushCoordinator::tick(Clock::time_point now) {
  std::vector<FlushEvent> events;
  ++seq_;
  proto::Control flush;
  flush.mutable_flush()->set_seq(seq_);
  const std::string bytes = flush.SerializeAsString();
  for (auto& [service, peer] : peers_) {
    if (!peer.stats.connected) continue;
    if (peer.outstanding) {
      peer.stats.missed_total++;
      peer.stats.missed_consecutive++;
      if (peer.stats.healthy && peer.stats.missed_consecutive >= missed_threshold_) {
        peer.stats.healthy = false;
        events.push_back({.type = FlushEvent::Type::kUnhealthy,
                          .service = service,
                          .missed = peer.stats.missed_consecutive});
      }
    }
    socket_.send(zmq::buffer(peer.identity), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    socket_.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
    peer.outstanding = seq_;
    peer.sent_at = now;
  }
  return events;
}

bool FlushCoordinator::all_answered() const {
  for (const auto& [service, peer] : peers_) {
    if (peer.stats.connected && peer.outstanding) return false;
  }
  return true;
}

void FlushCoordinator::forget(const std::string& service) {
  auto it = peers_.find(service);
  if (it == peers_.end()) return;
  it->second.stats.connected = false;
  it->second.outstanding.reset();
  it->second.identity.clear();
}

ServiceFlushStats FlushCoordinator::stats(const std::string& service) const {
  auto it = peers_.find(service);
  return it == peers_.end() ? ServiceFlushStats{} : it->second.stats;
}

}  // namespace esper::weatherlight
