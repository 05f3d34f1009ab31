#include "oona/broker.h"

#include <chrono>

#include <spdlog/spdlog.h>

#include "oona/bus_publisher.h"

namespace esper::oona {
namespace {

constexpr std::size_t kNormalEgress = 0;  // Index of the normal egress in BrokerStats' socket arrays.
// Normal messages read, or sent from the backlog, per batch; and batches of each per loop turn
// before the handoff, subscriptions and the flush tick are looked at again.
constexpr int kNormalBatch = 64;
constexpr int kBatchesPerTurn = 16;

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
      reader_(config_.max_envelope_bytes, signer_ ? &*signer_ : nullptr, reject_log_),
      normal_queue_(config_.normal_max_messages, config_.normal_max_bytes),
      instance_(default_instance()) {
  auto& e = config_.endpoints;
  normal_ = std::make_unique<LaneSockets>(config_, e.normal_ingress, e.normal_egress, "normal");
  emergency_ = std::make_unique<EmergencyLane>(config_, e, signer_ ? &*signer_ : nullptr,
                                               reject_log_, from_emergency_);
}

Broker::~Broker() = default;

BrokerStats Broker::stats() const {
  BrokerStats total = stats_;
  total.queue_depth[kNormalEgress] = normal_queue_.size();
  total.curve_refused = normal_->curve_refused();
  total.add(emergency_->stats());
  return total;
}

void Broker::route_normal(QueuedMessage item) {
  const auto lane = item.droppable ? wire::Lane::kNormal : wire::Lane::kReliable;
  if (normal_queue_.empty() && try_send(normal_->egress, item)) {
    ++stats_.routed[static_cast<std::size_t>(lane)];
    return;
  }
  normal_queue_.push(std::move(item), [this](const QueuedMessage& dropped) {
    ++stats_.dropped[{"normal", dropped.source, "queue_full"}];
  });
}

bool Broker::drain_normal() {
  for (int i = 0; i < kNormalBatch && !normal_queue_.empty(); ++i) {
    QueuedMessage& front = normal_queue_.front();
    const auto lane = front.droppable ? wire::Lane::kNormal : wire::Lane::kReliable;
    if (!try_send(normal_->egress, front)) return false;
    normal_queue_.pop_front();
    ++stats_.routed[static_cast<std::size_t>(lane)];
  }
  return true;
}

bool Broker::read_normal_ingress() {
  for (int i = 0; i < kNormalBatch; ++i) {
    if (normal_queue_.reliable_size() >= config_.reliable_max_messages) return false;
    const auto result = reader_.read(normal_->ingress, stats_.rejected, in_);
    if (result == IngressReader::Result::kEmpty) return false;
    if (result == IngressReader::Result::kRejected) continue;
    const wire::Lane lane = in_.decoded.topic().lane;
    ++stats_.received[static_cast<std::size_t>(lane)];
    if (lane == wire::Lane::kEmergency) {
      emergency_->inbox().push(in_.to_queued());  // Sent to the wrong socket; still an emergency.
    } else {
      route_normal(in_.to_queued());
    }
  }
  return true;
}

void Broker::publish_stats() {
  const BrokerStats total = stats();
  leyline::Envelope envelope =
      wire::make_envelope("oona", instance_, ++sequence_, leyline::SEVERITY_INFO);
  auto* packet = envelope.mutable_telemetry();
  packet->set_packet_id("oona-" + std::to_string(sequence_));
  total.fill(*packet, envelope.sent_unix_ns());
  if (signer_) signer_->sign(wire::format_topic(wire::topic_for(envelope)), envelope);
  wire::WireMessage message = wire::encode(envelope);
  route_normal(QueuedMessage{zmq::message_t(message.topic), zmq::message_t(message.envelope),
                             leyline::SEVERITY_INFO, true, "oona"});
}

void Broker::run(int stop_fd, const std::function<bool()>& should_stop, const std::function<void()>& on_tick) {
  auto next_flush = std::chrono::steady_clock::now() + config_.flush_interval;
  while (true) {
    normal_->read_subscriptions(stats_.subscriptions[kNormalEgress]);
    normal_->read_monitor(stats_.subscribers[kNormalEgress]);
    for (QueuedMessage& item : from_emergency_.take_all()) route_normal(std::move(item));

    // The backlog waiting for the egress first, then the ingress, a batch at a time.
    bool blocked = false;
    for (int batch = 0; batch < kBatchesPerTurn && !normal_queue_.empty() && !blocked; ++batch) {
      blocked = !drain_normal();
    }
    bool more_input = false;
    for (int batch = 0; batch < kBatchesPerTurn; ++batch) {
      more_input = read_normal_ingress();
      blocked = !drain_normal();
      if (!more_input) break;
    }

    if (std::chrono::steady_clock::now() >= next_flush) {
      publish_stats();
      if (on_tick) on_tick();
      next_flush += config_.flush_interval;
      if (next_flush < std::chrono::steady_clock::now()) {
        next_flush = std::chrono::steady_clock::now() + config_.flush_interval;
      }
    }

    // Wait for input. XPUB always reports POLLOUT, so a refused egress is retried on a 1 ms tick;
    // unfinished work (more ingress, a backlog the egress still accepts) does not wait at all.
    std::chrono::milliseconds timeout = until(next_flush);
    if (more_input || (!normal_queue_.empty() && !blocked)) timeout = std::chrono::milliseconds(0);
    else if (!normal_queue_.empty()) timeout = std::min(timeout, std::chrono::milliseconds(1));
    const bool ingress_open = normal_queue_.reliable_size() < config_.reliable_max_messages;
    std::vector<zmq::pollitem_t> items{
        {nullptr, stop_fd, ZMQ_POLLIN, 0},
        {nullptr, from_emergency_.fd(), ZMQ_POLLIN, 0},
        {normal_->egress.handle(), 0, ZMQ_POLLIN, 0},
        {normal_->monitor.handle(), 0, ZMQ_POLLIN, 0},
        {normal_->ingress.handle(), 0, static_cast<short>(ingress_open ? ZMQ_POLLIN : 0), 0},
    };
    zmq::poll(items, timeout);
    if ((items[0].revents & ZMQ_POLLIN) != 0 && should_stop()) break;
  }
  emergency_->stop();
  for (QueuedMessage& item : from_emergency_.take_all()) route_normal(std::move(item));
  publish_stats();
  spdlog::info("oona stopping: {}", stats().summary());
}

}  // namespace esper::oona
