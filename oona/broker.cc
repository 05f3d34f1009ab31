#include "oona/broker.h"

#include <array>
#include <chrono>

#include <spdlog/spdlog.h>

#include "oona/bus_publisher.h"
#include "oona/envelope_reader.h"

namespace esper::oona {
namespace {

constexpr std::size_t kNormalEgress = 0;  // Index of the normal egress in BrokerStats' socket arrays.
// Normal messages read, or sent to each subscriber, per batch; and batches per loop turn before the
// handoff, HELLOs and the flush tick are looked at again.
constexpr int kNormalBatch = 256;
constexpr int kBatchesPerTurn = 4;

std::optional<EnvelopeSigner> make_signer(const std::string& key) {
  if (key.empty()) return std::nullopt;
  return EnvelopeSigner(key);
}

std::chrono::milliseconds until(std::chrono::steady_clock::time_point t) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(t - std::chrono::steady_clock::now());
  return left.count() < 0 ? std::chrono::milliseconds(0) : left;
}

}  // namespace

Broker::Broker(BrokerConfig config)
    : config_(std::move(config)),
      signer_(make_signer(config_.signing_key)),
      reject_log_(config_.reject_log_interval),
      reader_(config_.max_envelope_bytes, signer_ ? &*signer_ : nullptr, reject_log_, &replay_,
              &config_.curve.sources),
      subscribers_(config_, "normal", kNormalEgress, stats_),
      instance_(default_instance()) {
  auto& e = config_.endpoints;
  normal_ = std::make_unique<LaneSockets>(config_, e.normal_ingress, e.normal_egress, "normal");
  emergency_ = std::make_unique<EmergencyLane>(config_, e, signer_ ? &*signer_ : nullptr,
                                               reject_log_, from_emergency_, &replay_);
}

Broker::~Broker() = default;

BrokerStats Broker::stats() const {
  BrokerStats total = stats_;
  subscribers_.fill_gauges(total);
  total.curve_refused = normal_->curve_refused();
  total.ingress_disconnects[0] = normal_->ingress_disconnects();
  total.add(emergency_->stats());
  return total;
}

void Broker::route_normal(QueuedMessage item) {
  const auto lane = item.droppable ? proto::Lane::kNormal : proto::Lane::kReliable;
  ++stats_.routed[static_cast<std::size_t>(lane)];
  subscribers_.route(std::move(item), &normal_->egress);
}

bool Broker::read_normal_ingress() {
  // Two envelopes in hand: the next is received (its bytes on their way into the cache) before the
  // one in hand is checked and routed.
  IngressEnvelope* current = &in_[0];
  IngressEnvelope* next = &in_[1];
  if (!IngressReader::receive(normal_->ingress, *current)) return false;
  for (int i = 0; i < kNormalBatch; ++i) {
    const bool more = i + 1 < kNormalBatch && IngressReader::receive(normal_->ingress, *next);
    if (reader_.check(stats_.rejected, *current) == IngressReader::Result::kAccepted) {
      const proto::Lane lane = current->topic.lane;
      ++stats_.received[static_cast<std::size_t>(lane)];
      if (lane == proto::Lane::kEmergency) {
        emergency_->inbox().push(current->to_queued());  // Sent to the wrong socket; still an emergency.
      } else {
        route_normal(current->to_queued());
      }
    }
    if (!more) return i + 1 == kNormalBatch;
    std::swap(current, next);
  }
  return true;
}

void Broker::publish_stats() {
  const BrokerStats total = stats();
  proto::Envelope envelope =
      proto::make_envelope("oona", instance_, ++sequence_, proto::SEVERITY_INFO);
  auto* packet = envelope.mutable_telemetry();
  packet->set_packet_id("oona-" + std::to_string(sequence_));
  total.fill(*packet, envelope.sent_unix_ns());
  proto::WireMessage message = encode_signed(envelope, signer_ ? &*signer_ : nullptr);
  route_normal(QueuedMessage{zmq::message_t(message.topic), zmq::message_t(message.envelope),
                             proto::SEVERITY_INFO, true, "oona"});
  // Routing may have left it pending in a batch: out now, not when something next wakes the loop.
  subscribers_.send(normal_->egress, kNormalBatch);
}

void Broker::run(int stop_fd, const std::function<bool()>& should_stop, const std::function<void()>& on_tick,
                 daemon::SupervisorLink* supervisor) {
  auto next_flush = std::chrono::steady_clock::now() + config_.flush_interval;
  while (true) {
    if (supervisor != nullptr) supervisor->serve([] { return daemon::FlushCounts{}; });
    subscribers_.read_hellos(normal_->egress);
    normal_->read_monitor([this](int fd) { subscribers_.disconnected(fd); });
    // Looked at without the lock first: nearly always empty, and taking makes a deque.
    if (from_emergency_.size() > 0) {
      for (QueuedMessage& item : from_emergency_.take_all()) route_normal(std::move(item));
    }

    // The ingress a batch at a time, each followed by what credit lets Oona send; a subscriber
    // without credit only has its own queue grow.
    bool more_input = false;
    for (int batch = 0; batch < kBatchesPerTurn; ++batch) {
      more_input = read_normal_ingress();
      subscribers_.send(normal_->egress, kNormalBatch);
      if (!more_input) break;
    }
    const bool more_output = subscribers_.send(normal_->egress, kNormalBatch * kBatchesPerTurn);

    if (std::chrono::steady_clock::now() >= next_flush) {
      subscribers_.forget_silent();
      publish_stats();
      if (on_tick) on_tick();
      next_flush += config_.flush_interval;
      if (next_flush < std::chrono::steady_clock::now()) {
        next_flush = std::chrono::steady_clock::now() + config_.flush_interval;
      }
    }

    // Wait for input: an envelope, a HELLO (credit), a closed connection. Unfinished work does not
    // wait at all; a pipe that was full (ROUTER always reports POLLOUT) is retried on a 1 ms tick.
    std::chrono::milliseconds timeout = until(next_flush);
    if (more_input || more_output) timeout = std::chrono::milliseconds(0);
    else if (subscribers_.blocked()) timeout = std::min(timeout, std::chrono::milliseconds(1));
    // On the stack: this runs every loop turn, a few envelopes apart under load.
    std::array<zmq::pollitem_t, 7> items{{
        {nullptr, stop_fd, ZMQ_POLLIN, 0},
        {nullptr, from_emergency_.fd(), ZMQ_POLLIN, 0},
        {normal_->egress.handle(), 0, ZMQ_POLLIN, 0},
        {normal_->monitor.handle(), 0, ZMQ_POLLIN, 0},
        {normal_->ingress_monitor.handle(), 0, ZMQ_POLLIN, 0},
        {normal_->ingress.handle(), 0, ZMQ_POLLIN, 0},
        {},
    }};
    std::size_t polled = 6;
    if (supervisor != nullptr && supervisor->active()) {
      items[polled++] = supervisor->pollitem();
      // Its HELLO is due again after a silence even when nothing else happens.
      timeout = std::min(timeout, std::chrono::milliseconds(1000));
    }
    zmq::poll(items.data(), polled, timeout);
    if ((items[0].revents & ZMQ_POLLIN) != 0 && should_stop()) break;
  }
  emergency_->stop();
  for (QueuedMessage& item : from_emergency_.take_all()) route_normal(std::move(item));
  publish_stats();
  subscribers_.send(normal_->egress, kNormalBatch * kBatchesPerTurn);
  spdlog::info("oona stopping: {}", stats().summary());
}

}  // namespace esper::oona
