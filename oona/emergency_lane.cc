#include "oona/emergency_lane.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <pthread.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <system_error>

#include <spdlog/spdlog.h>

#include "oona/lane_sockets.h"
#include "oona/emergency_scheduling.h"
#include "oona/envelope_reader.h"

namespace esper::oona {
namespace {

constexpr std::size_t kEgress = 1;  // Index of the emergency egress in BrokerStats' socket arrays.
// Envelopes read from the ingress per wake-up before looking at the egress and the inbox again.
constexpr int kIngressBatch = 1024;
// Envelopes sent to one subscriber per call of send().
constexpr std::size_t kSendBudget = 1024;
// How often silent subscribers are looked for.
constexpr std::chrono::seconds kForgetInterval{1};
// The handoff to the normal lane is drained by that lane every turn; should it fall this far
// behind, the emergency ingress waits for it rather than grow the handoff without bound.
constexpr std::size_t kMaxHandedToNormal = 100000;

// `item` marked demoted, re-signed when signing is on, and re-encoded: its topic becomes
// reliable.<kind>.<severity>.<source>.
QueuedMessage demote(const QueuedMessage& item, const EnvelopeSigner* signer) {
  proto::Decoded decoded = proto::decode(
      std::string_view(item.topic.data<char>(), item.topic.size()),
      std::string_view(item.payload.data<char>(), item.payload.size()));
  proto::Envelope& envelope = decoded.envelope();  // It decoded once already, on the way in.
  envelope.set_demoted(true);
  proto::WireMessage message = encode_signed(envelope, signer);
  return QueuedMessage{zmq::message_t(message.topic), zmq::message_t(message.envelope),
                       item.severity, false, item.source};
}

}  // namespace

EmergencyLane::EmergencyLane(const BrokerConfig& config, BusEndpoints& endpoints,
                             const EnvelopeSigner* signer, logging::RateLimitedLog& reject_log,
                             LaneHandoff& to_normal, ReplayGuard* replay)
    : config_(config),
      signer_(signer),
      replay_(replay),
      reject_log_(reject_log),
      to_normal_(to_normal),
      stop_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      rate_limiter_(config.emergency_rate_per_source, config.emergency_burst, config.emergency_total_rate,
                    config.emergency_total_burst),
      subscribers_(config, "emergency", kEgress, stats_) {
  if (stop_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  std::promise<void> bound;
  std::future<void> result = bound.get_future();
  thread_ = std::thread([this, &endpoints, &bound] { serve(endpoints, bound); });
  try {
    result.get();
  } catch (...) {
    thread_.join();
    close(stop_fd_);
    throw;
  }
}

EmergencyLane::~EmergencyLane() {
  stop();
  close(stop_fd_);
}

void EmergencyLane::stop() {
  if (!thread_.joinable()) return;
  const std::uint64_t one = 1;
  (void)!write(stop_fd_, &one, sizeof one);
  thread_.join();
}

BrokerStats EmergencyLane::stats() const {
  std::lock_guard lock(stats_mu_);
  BrokerStats copy = stats_;
  subscribers_.fill_gauges(copy);
  copy.emergency_realtime = scheduling_.realtime();
  // Counted by the lane's thread from its sockets' monitors (each wakes it).
  if (sockets_ != nullptr) {
    copy.curve_refused = sockets_->curve_refused();
    copy.ingress_disconnects[1] = sockets_->ingress_disconnects();
  }
  return copy;
}

void EmergencyLane::admit(QueuedMessage item, zmq::socket_t& egress) {
  if (rate_limiter_.allow(item.source)) {
    ++stats_.routed[static_cast<std::size_t>(proto::Lane::kEmergency)];
    subscribers_.route(std::move(item));
    subscribers_.send(egress, kSendBudget);
    return;
  }
  // Over the source's emergency rate: demote to the reliable normal lane (never dropped).
  ++stats_.demoted[item.source];
  to_normal_.push(demote(item, signer_));
}

void EmergencyLane::enter_scheduling() {
  scheduling_ = enter_emergency_scheduling(config_.emergency_scheduling);
  if (scheduling_.realtime()) {
    spdlog::info("oona: emergency lane at {}", scheduling_.describe());
  } else {
    spdlog::warn("oona: emergency lane at {}: under CPU saturation emergencies may wait milliseconds "
                 "for a CPU (real-time needs LimitRTPRIO= or CAP_SYS_NICE)",
                 scheduling_.describe());
  }
}

// One batch from the ingress socket, under stats_mu_. Stops while the hand-off to the normal lane
// is full, so a flood of misrouted normal traffic waits at the socket, not in memory.
void EmergencyLane::read_ingress(IngressReader& reader, IngressEnvelope& in, LaneSockets& sockets) {
  for (int i = 0; i < kIngressBatch && to_normal_.size() < kMaxHandedToNormal; ++i) {
    const auto result = reader.read(sockets.ingress, stats_.rejected, in);
    if (result == IngressReader::Result::kEmpty) break;
    if (result == IngressReader::Result::kRejected) continue;
    const proto::Lane lane = in.topic.lane;
    ++stats_.received[static_cast<std::size_t>(lane)];
    if (lane == proto::Lane::kEmergency) {
      admit(in.to_queued(), sockets.egress);
    } else {
      to_normal_.push(in.to_queued());  // A normal-topic envelope sent to the wrong socket.
    }
  }
}

void EmergencyLane::serve(BusEndpoints& endpoints, std::promise<void>& bound) {
  pthread_setname_np(pthread_self(), "oona-emergency");
  // Before the lane's context exists, so that its I/O thread inherits the scheduling class.
  enter_scheduling();
  std::optional<LaneSockets> sockets;
  try {
    sockets.emplace(config_, endpoints.emergency_ingress, endpoints.emergency_egress, "emergency");
  } catch (...) {
    bound.set_exception(std::current_exception());
    return;
  }
  bound.set_value();  // `bound` and `endpoints` belong to the constructor: not touched again.
  {
    std::lock_guard lock(stats_mu_);
    sockets_ = &*sockets;
  }

  IngressReader reader(config_.max_envelope_bytes, signer_, reject_log_, replay_, &config_.curve.sources);
  IngressEnvelope in;
  auto next_forget = std::chrono::steady_clock::now() + kForgetInterval;
  bool more_output = false;
  while (true) {
    const bool ingress_open = to_normal_.size() < kMaxHandedToNormal;
    std::vector<zmq::pollitem_t> items{
        {nullptr, stop_fd_, ZMQ_POLLIN, 0},
        {nullptr, inbox_.fd(), ZMQ_POLLIN, 0},
        {sockets->ingress.handle(), 0, static_cast<short>(ingress_open ? ZMQ_POLLIN : 0), 0},
        {sockets->egress.handle(), 0, ZMQ_POLLIN, 0},
        {sockets->monitor.handle(), 0, ZMQ_POLLIN, 0},
        {sockets->ingress_monitor.handle(), 0, ZMQ_POLLIN, 0},
    };
    // A pipe that was full is retried on a 1 ms tick (ROUTER always reports POLLOUT); silent
    // subscribers are looked for every second.
    auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        next_forget - std::chrono::steady_clock::now());
    if (more_output) timeout = std::chrono::milliseconds(0);
    else if (subscribers_.blocked() || !ingress_open) timeout = std::min(timeout, std::chrono::milliseconds(1));
    zmq::poll(items, std::max(timeout, std::chrono::milliseconds(0)));
    if ((items[0].revents & ZMQ_POLLIN) != 0) break;

    std::lock_guard lock(stats_mu_);
    subscribers_.read_hellos(sockets->egress);
    sockets->read_monitor([this](int fd) { subscribers_.disconnected(fd); });
    subscribers_.send(sockets->egress, kSendBudget);
    for (QueuedMessage& item : inbox_.take_all()) admit(std::move(item), sockets->egress);
    read_ingress(reader, in, *sockets);
    more_output = subscribers_.send(sockets->egress, kSendBudget);
    if (std::chrono::steady_clock::now() >= next_forget) {
      subscribers_.forget_silent();
      next_forget = std::chrono::steady_clock::now() + kForgetInterval;
    }
  }
  std::lock_guard lock(stats_mu_);
  stats_.curve_refused = sockets->curve_refused();
  stats_.ingress_disconnects[1] = sockets->ingress_disconnects();
  sockets_ = nullptr;
}

}  // namespace esper::oona
