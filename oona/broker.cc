#include "oona/broker.h"

#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "oona/bus_publisher.h"

namespace esper::oona {
namespace {

// Normal messages handled between two looks at the emergency lane: bounds how long an emergency
// can wait behind normal work inside Oona.
constexpr int kNormalBatch = 16;
// Emergency messages handled per look before the normal lane gets a turn (it must not starve).
constexpr int kEmergencyBatch = 1024;
// Normal batches per loop iteration (for the backlog and for the ingress each) before polling.
constexpr int kBatchesPerTurn = 64;

void prepare_ipc_dir(const std::string& endpoint) {
  constexpr std::string_view kIpc = "ipc://";
  if (endpoint.rfind(kIpc, 0) != 0) return;
  const std::filesystem::path path(endpoint.substr(kIpc.size()));
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
}

// Binds and replaces `endpoint` with the address actually bound (resolves tcp://host:*).
zmq::socket_t bind_pull(zmq::context_t& context, std::string& endpoint, std::uint64_t io_thread,
                        const CurveServerConfig& curve) {
  prepare_ipc_dir(endpoint);
  zmq::socket_t socket(context, zmq::socket_type::pull);
  socket.set(zmq::sockopt::affinity, io_thread);
  socket.set(zmq::sockopt::linger, 0);
  apply_curve_server(socket, endpoint, curve);
  socket.bind(endpoint);
  endpoint = socket.get(zmq::sockopt::last_endpoint);
  return socket;
}

zmq::socket_t bind_xpub(zmq::context_t& context, std::string& endpoint, std::uint64_t io_thread,
                        int hwm, const CurveServerConfig& curve) {
  prepare_ipc_dir(endpoint);
  zmq::socket_t socket(context, zmq::socket_type::xpub);
  socket.set(zmq::sockopt::affinity, io_thread);
  socket.set(zmq::sockopt::sndhwm, hwm);
  socket.set(zmq::sockopt::xpub_nodrop, 1);  // A full subscriber is EAGAIN, never a silent drop.
  socket.set(zmq::sockopt::linger, 0);
  apply_curve_server(socket, endpoint, curve);
  socket.bind(endpoint);
  endpoint = socket.get(zmq::sockopt::last_endpoint);
  return socket;
}

std::chrono::milliseconds until(std::chrono::steady_clock::time_point t) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(t - std::chrono::steady_clock::now());
  return left.count() < 0 ? std::chrono::milliseconds(0) : left;
}

}  // namespace

Broker::Broker(BrokerConfig config)
    : config_(std::move(config)),
      normal_queue_(config_.normal_max_messages, config_.normal_max_bytes),
      rate_limiter_(config_.emergency_rate_per_source, config_.emergency_burst),
      reject_log_(config_.reject_log_interval),
      instance_(default_instance()) {
  if (!config_.signing_key.empty()) signer_.emplace(config_.signing_key);
  if (!config_.curve.server_secret_key.empty()) {
    // The ZAP handler must be listening before any CURVE socket accepts a connection.
    zap_ = std::make_unique<ZapAuthenticator>(context_, config_.curve.allowed_client_keys);
  }
  auto& e = config_.endpoints;
  normal_in_ = bind_pull(context_, e.normal_ingress, kNormalIoThread, config_.curve);
  emergency_in_ = bind_pull(context_, e.emergency_ingress, kEmergencyIoThread, config_.curve);
  normal_out_ = bind_xpub(context_, e.normal_egress, kNormalIoThread, config_.egress_hwm, config_.curve);
  emergency_out_ =
      bind_xpub(context_, e.emergency_egress, kEmergencyIoThread, config_.egress_hwm, config_.curve);
  const std::array<zmq::socket_t*, 2> egress{&normal_out_, &emergency_out_};
  for (std::size_t lane = 0; lane < 2; ++lane) {
    const std::string address = "inproc://oona-egress-monitor-" + std::to_string(lane);
    if (zmq_socket_monitor(egress[lane]->handle(), address.c_str(),
                           ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED) != 0) {
      throw zmq::error_t();
    }
    egress_monitor_[lane] = zmq::socket_t(context_, zmq::socket_type::pair);
    egress_monitor_[lane].set(zmq::sockopt::linger, 0);
    egress_monitor_[lane].connect(address);
  }
}

Broker::~Broker() {
  zmq_socket_monitor(normal_out_.handle(), nullptr, 0);
  zmq_socket_monitor(emergency_out_.handle(), nullptr, 0);
  for (auto& monitor : egress_monitor_) monitor.close();
  normal_in_.close();
  emergency_in_.close();
  normal_out_.close();
  emergency_out_.close();
}

void Broker::reject(std::string_view reason, const std::string& detail) {
  ++stats_.rejected[std::string(reason)];
  reject_log_.log(spdlog::level::warn, reason,
                  "rejected envelope: " + std::string(reason) + ": " + detail);
}

bool Broker::emergency_waiting() {
  // ZMQ_EVENTS processes ZeroMQ's pending commands at once; a plain non-blocking recv does so only
  // about once a millisecond while the thread is busy, which would delay emergencies by that much.
  return emergency_queue_.size() < config_.emergency_max_messages &&
         (emergency_in_.get(zmq::sockopt::events) & ZMQ_POLLIN) != 0;
}

bool Broker::read_ingress(zmq::socket_t& socket) {
  std::vector<zmq::message_t> frames(1);
  if (!socket.recv(frames[0], zmq::recv_flags::dontwait)) return false;
  while (frames.back().more()) {
    frames.emplace_back();
    (void)socket.recv(frames.back(), zmq::recv_flags::none);  // Parts arrive together.
  }
  std::vector<std::string_view> views;
  views.reserve(frames.size());
  for (const auto& f : frames) views.emplace_back(f.data<char>(), f.size());
  wire::Decoded decoded = wire::decode(views, wire::DecodeLimits{config_.max_envelope_bytes});
  if (!decoded.ok()) {
    reject(wire::decode_error_name(decoded.error()), decoded.detail());
    return true;
  }
  if (signer_) {
    const auto verdict = signer_->verify(views[0], decoded.envelope());
    if (verdict != EnvelopeSigner::Verdict::kOk) {
      reject(verdict_name(verdict), "topic '" + std::string(views[0]) + "' from source '" +
                                        decoded.envelope().source() + "'");
      return true;
    }
  }
  route(frames, decoded);
  return true;
}

void Broker::route(std::vector<zmq::message_t>& frames, wire::Decoded& decoded) {
  const wire::Topic& topic = decoded.topic();
  ++stats_.received[static_cast<std::size_t>(topic.lane)];
  QueuedMessage item{std::move(frames[0]), std::move(frames[1]), topic.severity,
                     topic.lane == wire::Lane::kNormal, topic.source};
  if (topic.lane != wire::Lane::kEmergency) {
    route_normal(std::move(item));
    return;
  }
  if (rate_limiter_.allow(topic.source)) {
    route_emergency(std::move(item));
    return;
  }
  // Over the source's emergency rate: demote to the reliable normal lane (never dropped).
  ++stats_.demoted[topic.source];
  leyline::Envelope& envelope = decoded.envelope();
  envelope.set_demoted(true);
  if (signer_) signer_->sign(wire::format_topic(wire::topic_for(envelope)), envelope);
  wire::WireMessage message = wire::encode(envelope);
  item.topic = zmq::message_t(message.topic);
  item.payload = zmq::message_t(message.envelope);
  item.droppable = false;
  route_normal(std::move(item));
}

bool Broker::try_send(zmq::socket_t& socket, QueuedMessage& item) {
  if (!socket.send(item.topic, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) return false;
  (void)socket.send(item.payload, zmq::send_flags::none);  // Accepted with the first part.
  return true;
}

void Broker::route_emergency(QueuedMessage item) {
  if (emergency_queue_.empty() && try_send(emergency_out_, item)) {
    ++stats_.routed[static_cast<std::size_t>(wire::Lane::kEmergency)];
    return;
  }
  emergency_queue_.push_back(std::move(item));
}

void Broker::route_normal(QueuedMessage item) {
  const auto lane = item.droppable ? wire::Lane::kNormal : wire::Lane::kReliable;
  if (normal_queue_.empty() && try_send(normal_out_, item)) {
    ++stats_.routed[static_cast<std::size_t>(lane)];
    return;
  }
  normal_queue_.push(std::move(item), [this](const QueuedMessage& dropped) {
    ++stats_.dropped[{"normal", dropped.source, "queue_full"}];
  });
}

void Broker::drain_emergency() {
  while (!emergency_queue_.empty() && try_send(emergency_out_, emergency_queue_.front())) {
    emergency_queue_.pop_front();
    ++stats_.routed[static_cast<std::size_t>(wire::Lane::kEmergency)];
  }
}

bool Broker::drain_normal() {
  for (int i = 0; i < kNormalBatch && !normal_queue_.empty(); ++i) {
    QueuedMessage& front = normal_queue_.front();
    const auto lane = front.droppable ? wire::Lane::kNormal : wire::Lane::kReliable;
    if (!try_send(normal_out_, front)) return false;
    normal_queue_.pop_front();
    ++stats_.routed[static_cast<std::size_t>(lane)];
  }
  return true;
}

void Broker::serve_emergency() {
  drain_emergency();
  for (int i = 0; i < kEmergencyBatch && emergency_waiting() && read_ingress(emergency_in_); ++i) {
  }
  drain_emergency();
}

void Broker::read_subscriptions(zmq::socket_t& socket, std::int64_t& count) {
  zmq::message_t message;
  while (socket.recv(message, zmq::recv_flags::dontwait)) {
    // XPUB passes on each distinct subscription once: byte 1 = subscribe, 0 = unsubscribe.
    if (message.size() >= 1) count += message.data<unsigned char>()[0] == 1 ? 1 : -1;
  }
}

void Broker::read_monitor(std::size_t lane) {
  zmq::message_t event;
  while (egress_monitor_[lane].recv(event, zmq::recv_flags::dontwait)) {
    // Frame 1: 16-bit event id and 32-bit value (the connection's fd); frame 2: the endpoint.
    std::uint16_t id = 0;
    std::uint32_t fd = 0;
    if (event.size() >= 6) {
      std::memcpy(&id, event.data(), sizeof id);
      std::memcpy(&fd, event.data<char>() + 2, sizeof fd);
    }
    while (event.more()) (void)egress_monitor_[lane].recv(event, zmq::recv_flags::none);
    if (id == ZMQ_EVENT_ACCEPTED) subscriber_fds_[lane].insert(static_cast<int>(fd));
    if (id == ZMQ_EVENT_DISCONNECTED) subscriber_fds_[lane].erase(static_cast<int>(fd));
  }
  stats_.subscribers[lane] = subscriber_fds_[lane].size();
}

void Broker::publish_stats() {
  stats_.queue_depth = {normal_queue_.size(), emergency_queue_.size()};
  if (zap_) stats_.curve_refused = zap_->refused();
  leyline::Envelope envelope =
      wire::make_envelope("oona", instance_, ++sequence_, leyline::SEVERITY_INFO);
  auto* packet = envelope.mutable_telemetry();
  packet->set_packet_id("oona-" + std::to_string(sequence_));
  stats_.fill(*packet, envelope.sent_unix_ns());
  if (signer_) signer_->sign(wire::format_topic(wire::topic_for(envelope)), envelope);
  wire::WireMessage message = wire::encode(envelope);
  route_normal(QueuedMessage{zmq::message_t(message.topic), zmq::message_t(message.envelope),
                             leyline::SEVERITY_INFO, true, "oona"});
}

void Broker::run(int stop_fd, const std::function<bool()>& should_stop, const std::function<void()>& on_tick) {
  auto next_flush = std::chrono::steady_clock::now() + config_.flush_interval;
  while (true) {
    // Emergency first: what waits for the emergency egress, then the emergency ingress.
    read_subscriptions(emergency_out_, stats_.subscriptions[1]);
    read_monitor(0);
    read_monitor(1);
    serve_emergency();

    // Then the normal lane, in small batches with a look at the emergency lane after each: first
    // the backlog waiting for the normal egress, then the normal ingress.
    read_subscriptions(normal_out_, stats_.subscriptions[0]);
    bool normal_blocked = false;
    for (int batch = 0; batch < kBatchesPerTurn && !normal_queue_.empty(); ++batch) {
      normal_blocked = !drain_normal();
      if (normal_blocked) break;
      serve_emergency();
    }
    bool normal_pending = false;
    for (int batch = 0; batch < kBatchesPerTurn; ++batch) {
      int n = 0;
      while (n < kNormalBatch && normal_queue_.reliable_size() < config_.reliable_max_messages &&
             read_ingress(normal_in_)) {
        ++n;
      }
      normal_blocked = !drain_normal();
      if (n < kNormalBatch) break;
      normal_pending = true;
      serve_emergency();
    }

    if (std::chrono::steady_clock::now() >= next_flush) {
      publish_stats();
      if (on_tick) on_tick();
      next_flush += config_.flush_interval;
      if (next_flush < std::chrono::steady_clock::now()) {
        next_flush = std::chrono::steady_clock::now() + config_.flush_interval;
      }
    }

    // Wait for input. XPUB always reports POLLOUT, so a blocked egress is retried on a 1 ms tick;
    // unfinished work (more ingress, a backlog the egress still accepts) does not wait at all.
    const bool more_to_send = !normal_queue_.empty() && !normal_blocked;
    const bool egress_blocked = !emergency_queue_.empty() || (!normal_queue_.empty() && normal_blocked);
    std::chrono::milliseconds timeout = until(next_flush);
    if (normal_pending || more_to_send) timeout = std::chrono::milliseconds(0);
    else if (egress_blocked) timeout = std::min(timeout, std::chrono::milliseconds(1));
    std::vector<zmq::pollitem_t> items{
        {nullptr, stop_fd, ZMQ_POLLIN, 0},
        {emergency_out_.handle(), 0, ZMQ_POLLIN, 0},
        {normal_out_.handle(), 0, ZMQ_POLLIN, 0},
        {egress_monitor_[0].handle(), 0, ZMQ_POLLIN, 0},
        {egress_monitor_[1].handle(), 0, ZMQ_POLLIN, 0},
        {emergency_in_.handle(), 0,
         static_cast<short>(emergency_queue_.size() < config_.emergency_max_messages ? ZMQ_POLLIN : 0), 0},
        {normal_in_.handle(), 0,
         static_cast<short>(normal_queue_.reliable_size() < config_.reliable_max_messages ? ZMQ_POLLIN : 0), 0},
    };
    zmq::poll(items, timeout);
    if ((items[0].revents & ZMQ_POLLIN) != 0 && should_stop()) break;
  }
  publish_stats();
  spdlog::info("oona stopping: {}", stats_.summary());
}

}  // namespace esper::oona
