#include "oona/bus_subscriber.h"

#include <numeric>

namespace esper::oona {
namespace {

zmq::socket_t make_sub(zmq::context_t& context, const std::string& endpoint,
                       const BusSubscriberOptions& options) {
  zmq::socket_t socket(context, zmq::socket_type::sub);
  socket.set(zmq::sockopt::rcvhwm, options.receive_hwm);
  socket.set(zmq::sockopt::linger, 0);
  for (const auto& prefix : options.prefixes) socket.set(zmq::sockopt::subscribe, prefix);
  apply_curve_client(socket, endpoint, options.curve);
  socket.connect(endpoint);
  return socket;
}

}  // namespace

BusSubscriber::BusSubscriber(BusSubscriberOptions options) : options_(std::move(options)) {
  if (!options_.signing_key.empty()) signer_.emplace(options_.signing_key);
  if (options_.normal) {
    normal_ = make_sub(normal_context_, options_.endpoints.normal_egress, options_);
  }
  if (options_.emergency) {
    (void)start_emergency_io_threads(emergency_context_, options_.emergency_scheduling);
    emergency_ = make_sub(emergency_context_, options_.endpoints.emergency_egress, options_);
  }
}

BusSubscriber::~BusSubscriber() {
  normal_.close();
  emergency_.close();
}

std::uint64_t BusSubscriber::rejected_total() const {
  return std::accumulate(rejected_.begin(), rejected_.end(), std::uint64_t{0}) +
         std::accumulate(signature_rejected_.begin(), signature_rejected_.end(), std::uint64_t{0});
}

std::optional<wire::Decoded> BusSubscriber::read_decoded(zmq::socket_t& socket, wire::Lane lane,
                                                         google::protobuf::Arena* arena) {
  // A non-blocking recv only looks at ZeroMQ's command mailbox (where "a pipe has data" arrives)
  // about once a millisecond while the thread is busy; asking for ZMQ_EVENTS always looks. That is
  // the difference between microseconds and milliseconds for an emergency behind a busy normal lane.
  if (lane == wire::Lane::kEmergency && (socket.get(zmq::sockopt::events) & ZMQ_POLLIN) == 0) {
    return std::nullopt;
  }
  while (true) {
    zmq::message_t topic;
    if (!socket.recv(topic, zmq::recv_flags::dontwait)) return std::nullopt;
    std::vector<zmq::message_t> frames;
    frames.push_back(std::move(topic));
    while (frames.back().more()) {
      zmq::message_t part;
      (void)socket.recv(part, zmq::recv_flags::none);  // Parts of a message arrive together.
      frames.push_back(std::move(part));
    }
    std::vector<std::string_view> views;
    for (const auto& f : frames) views.emplace_back(f.data<char>(), f.size());
    wire::Decoded decoded = wire::decode(views, options_.limits, arena);
    if (!decoded.ok()) {
      ++rejected_[static_cast<std::size_t>(decoded.error())];
      continue;
    }
    if (signer_) {
      const auto verdict = signer_->verify(views[0], decoded.envelope());
      if (verdict != EnvelopeSigner::Verdict::kOk) {
        ++signature_rejected_[static_cast<std::size_t>(verdict)];
        continue;
      }
    }
    ++received_[lane == wire::Lane::kEmergency];
    sequences_.observe(decoded.envelope());
    return decoded;
  }
}

std::optional<BusMessage> BusSubscriber::try_read(zmq::socket_t& socket, wire::Lane lane) {
  auto decoded = read_decoded(socket, lane, nullptr);
  if (!decoded) return std::nullopt;
  return BusMessage{lane, decoded->topic(), std::move(decoded->envelope())};
}

bool BusSubscriber::wait_readable(std::chrono::milliseconds timeout) {
  std::vector<zmq::pollitem_t> items;
  if (emergency_) items.push_back({emergency_.handle(), 0, ZMQ_POLLIN, 0});
  if (normal_) items.push_back({normal_.handle(), 0, ZMQ_POLLIN, 0});
  return zmq::poll(items, timeout) > 0;
}

std::size_t BusSubscriber::receive_batch(std::chrono::milliseconds timeout, std::size_t max,
                                         google::protobuf::Arena* arena,
                                         const std::function<void(const BusMessageView&)>& visit) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t n = 0;
  while (n < max) {
    std::optional<wire::Decoded> d;
    wire::Lane lane = wire::Lane::kEmergency;
    if (emergency_) d = read_decoded(emergency_, lane, arena);
    if (!d && normal_) {
      lane = wire::Lane::kNormal;
      d = read_decoded(normal_, lane, arena);
    }
    if (d) {
      visit(BusMessageView{lane, d->topic(), d->envelope()});
      ++n;
      continue;
    }
    if (n > 0) break;  // The batch is whatever had already arrived.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    wait_readable(left);
  }
  return n;
}

std::optional<BusMessage> BusSubscriber::receive(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (emergency_) {
      if (auto m = try_read(emergency_, wire::Lane::kEmergency)) return m;
    }
    if (normal_) {
      if (auto m = try_read(normal_, wire::Lane::kNormal)) return m;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    std::vector<zmq::pollitem_t> items;
    if (emergency_) items.push_back({emergency_.handle(), 0, ZMQ_POLLIN, 0});
    if (normal_) items.push_back({normal_.handle(), 0, ZMQ_POLLIN, 0});
    zmq::poll(items, left);
  }
}

std::optional<BusMessage> BusSubscriber::receive_from(wire::Lane lane,
                                                      std::chrono::milliseconds timeout) {
  zmq::socket_t& socket = lane == wire::Lane::kEmergency ? emergency_ : normal_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (auto m = try_read(socket, lane == wire::Lane::kEmergency ? lane : wire::Lane::kNormal)) {
      return m;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    std::vector<zmq::pollitem_t> items{{socket.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, left);
  }
}

}  // namespace esper::oona
