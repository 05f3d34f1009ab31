#include "producers/telemetry_buffer.h"

#include <algorithm>

#include <google/protobuf/arena.h>

#include "producers/encoded_size.h"
#include "proto/envelope_codec.h"

namespace esper::producers {

const std::set<std::string>& reference_gated_metrics() {
  static const std::set<std::string> gated = {
      "step_latency_ms", "kasmina.apply_ms", "kasmina.finalize_ms", "loss_delta",
      "loss_ewma",       "loss_volatility",  "grad_norm_ewma",      "grad_var",
      "grad_conflict_rate", "input_wait_ms", "h2d_copy_ms",         "gpu_mem_used_gb",
      "gpu_mem_free_gb", "gpu_util_percent", "cpu_util_percent"};
  return gated;
}

TelemetryBuffer::TelemetryBuffer(TelemetryBufferOptions options, EnvelopeSink& sink,
                                 std::function<void()> on_batch_ready)
    : options_(std::move(options)), sink_(sink), on_batch_ready_(std::move(on_batch_ready)) {
  options_.capacity = std::max<std::size_t>(1, options_.capacity);
  options_.max_points_per_packet = std::max<std::size_t>(1, options_.max_points_per_packet);
  // A full buffer is always a batch: past it, what is recorded would push out what is buffered.
  if (options_.drain_batch_points > options_.capacity) options_.drain_batch_points = options_.capacity;
}

void TelemetryBuffer::make_room_locked() {
  if (points_.size() + events_.size() < options_.capacity) return;
  // Oldest metric point first: a missed sample matters less than a missed event.
  if (!points_.empty()) {
    bytes_ -= std::min(bytes_, estimated_encoded_size(points_.front()));
    points_.pop_front();
  } else {
    bytes_ -= std::min(bytes_, estimated_encoded_size(events_.front()));
    events_.pop_front();
  }
  ++dropped_since_drain_;
  ++dropped_total_;
}

bool TelemetryBuffer::batch_ready_locked() const {
  return (options_.drain_batch_points > 0 && points_.size() + events_.size() >= options_.drain_batch_points) ||
         (options_.drain_batch_bytes > 0 && bytes_ >= options_.drain_batch_bytes);
}

bool TelemetryBuffer::add_locked(std::size_t bytes) {
  bytes_ += bytes;
  if (batch_signalled_ || !batch_ready_locked()) return false;
  batch_signalled_ = true;
  return true;
}

bool TelemetryBuffer::batch_ready() const {
  std::lock_guard lock(mu_);
  return batch_ready_locked();
}

bool TelemetryBuffer::record(proto::MetricPoint point) {
  if (!options_.gated_enabled && options_.gated.contains(point.name())) {
    std::lock_guard lock(mu_);
    ++suppressed_total_;
    return false;
  }
  if (point.timestamp_unix_ns() == 0) point.set_timestamp_unix_ns(proto::now_unix_ns());
  const std::size_t bytes = estimated_encoded_size(point);
  bool ready = false;
  {
    std::lock_guard lock(mu_);
    make_room_locked();
    points_.push_back(std::move(point));
    ready = add_locked(bytes);
  }
  if (ready && on_batch_ready_) on_batch_ready_();
  return true;
}

bool TelemetryBuffer::record(proto::TelemetryEvent event) {
  if (event.timestamp_unix_ns() == 0) event.set_timestamp_unix_ns(proto::now_unix_ns());
  if (event.level() >= proto::SEVERITY_HIGH) {
    // Emergency: straight to the sink (the emergency lane), never buffered or dropped here.
    proto::Envelope envelope;
    envelope.set_severity(event.level());
    *envelope.mutable_event() = std::move(event);
    if (sink_.publish(std::move(envelope))) return true;
    std::lock_guard lock(mu_);
    ++unsent_emergency_;
    return false;
  }
  const std::size_t bytes = estimated_encoded_size(event);
  bool ready = false;
  {
    std::lock_guard lock(mu_);
    make_room_locked();
    events_.push_back(std::move(event));
    ready = add_locked(bytes);
  }
  if (ready && on_batch_ready_) on_batch_ready_();
  return true;
}

DrainResult TelemetryBuffer::drain() {
  std::deque<proto::MetricPoint> points;
  std::deque<proto::TelemetryEvent> events;
  DrainResult result;
  google::protobuf::Arena backup_arena;
  {
    std::lock_guard lock(mu_);
    points.swap(points_);
    events.swap(events_);
    bytes_ = 0;
    batch_signalled_ = false;  // Whatever is recorded from now on may make the next batch.
    result.dropped = std::exchange(dropped_since_drain_, 0);
  }
  while (!points.empty() || !events.empty()) {
    proto::Envelope envelope;
    auto* packet = envelope.mutable_telemetry();
    packet->set_packet_id(options_.source + "-" + std::to_string(++packet_seq_));
    packet->set_timestamp_unix_ns(proto::now_unix_ns());
    packet->set_source_subsystem(options_.source);
    proto::Severity level = proto::SEVERITY_INFO;
    for (std::size_t i = 0; i < options_.max_points_per_packet && !points.empty(); ++i) {
      *packet->add_metrics() = std::move(points.front());
      points.pop_front();
    }
    // Events ride in the first packets; each is WARNING at most (HIGH and above never buffer).
    for (std::size_t i = 0; i < options_.max_points_per_packet && !events.empty(); ++i) {
      level = std::max(level, events.front().level());
      *packet->add_events() = std::move(events.front());
      events.pop_front();
    }
    packet->set_level(level);
    envelope.set_severity(level);
    const auto n_points = static_cast<std::uint64_t>(packet->metrics_size());
    const auto n_events = static_cast<std::uint64_t>(packet->events_size());
    // Kept to put back if the sink refuses. On an arena, reset after each packet: a copy costs a
    // few bump allocations instead of a malloc and a free per string, which made half of a drain.
    backup_arena.Reset();
    auto* copy = google::protobuf::Arena::CreateMessage<proto::Envelope>(&backup_arena);
    copy->CopyFrom(envelope);
    if (!sink_.publish(std::move(envelope))) {
      // Not handed over: back into the buffer, ahead of anything recorded meanwhile, within the
      // bound (what does not fit is dropped and counted like any overflow).
      std::lock_guard lock(mu_);
      const auto& refused = copy->telemetry();
      for (int i = refused.metrics_size() - 1; i >= 0; --i) points.push_front(refused.metrics(i));
      for (int i = refused.events_size() - 1; i >= 0; --i) events.push_front(refused.events(i));
      for (auto it = points.rbegin(); it != points.rend(); ++it) points_.push_front(std::move(*it));
      for (auto it = events.rbegin(); it != events.rend(); ++it) events_.push_front(std::move(*it));
      while (points_.size() + events_.size() > options_.capacity) {
        if (!points_.empty()) points_.pop_front(); else events_.pop_front();
        ++dropped_since_drain_;
        ++dropped_total_;
      }
      bytes_ = 0;
      for (const auto& p : points_) bytes_ += estimated_encoded_size(p);
      for (const auto& e : events_) bytes_ += estimated_encoded_size(e);
      break;
    }
    ++result.packets;
    result.points += n_points;
    result.events += n_events;
  }
  result.depth = depth();
  return result;
}

std::size_t TelemetryBuffer::depth() const {
  std::lock_guard lock(mu_);
  return points_.size() + events_.size();
}

std::uint64_t TelemetryBuffer::dropped_total() const {
  std::lock_guard lock(mu_);
  return dropped_total_;
}

std::uint64_t TelemetryBuffer::suppressed_total() const {
  std::lock_guard lock(mu_);
  return suppressed_total_;
}

std::uint64_t TelemetryBuffer::unsent_emergency() const {
  std::lock_guard lock(mu_);
  return unsent_emergency_;
}

}  // namespace esper::producers
