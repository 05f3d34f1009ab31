#include "producers/telemetry_buffer.h"

#include <algorithm>

#include "producers/encoded_size.h"
#include "proto/deterministic_serialization.h"
#include "proto/envelope_codec.h"
#include "proto/wire_format.h"

namespace esper::producers {

bool EnvelopeSink::publish_telemetry(std::string_view packet, proto::Severity level) {
  proto::Envelope envelope;
  envelope.set_severity(level);
  if (!envelope.mutable_telemetry()->ParseFromArray(packet.data(), static_cast<int>(packet.size()))) return false;
  return publish(std::move(envelope));
}

const std::set<std::string, std::less<>>& reference_gated_metrics() {
  static const std::set<std::string, std::less<>> gated = {
      "step_latency_ms", "kasmina.apply_ms", "kasmina.finalize_ms", "loss_delta",
      "loss_ewma",       "loss_volatility",  "grad_norm_ewma",      "grad_var",
      "grad_conflict_rate", "input_wait_ms", "h2d_copy_ms",         "gpu_mem_used_gb",
      "gpu_mem_free_gb", "gpu_util_percent", "cpu_util_percent"};
  return gated;
}

TelemetryBuffer::TelemetryBuffer(TelemetryBufferOptions options, EnvelopeSink& sink,
                                 std::function<void()> on_batch_ready)
    : options_(std::move(options)),
      sink_(sink),
      on_batch_ready_(std::move(on_batch_ready)),
      points_(std::max<std::size_t>(1, options_.max_points_per_packet), options_.max_packet_bytes) {
  options_.capacity = std::max<std::size_t>(1, options_.capacity);
  options_.max_points_per_packet = std::max<std::size_t>(1, options_.max_points_per_packet);
  // A full buffer is always a batch: past it, what is recorded would push out what is buffered.
  if (options_.drain_batch_points > options_.capacity) options_.drain_batch_points = options_.capacity;
}

void TelemetryBuffer::make_room_locked() {
  if (depth_locked() >= options_.capacity) drop_oldest_locked();
}

void TelemetryBuffer::drop_oldest_locked() {
  // Oldest metric point first: a missed sample matters less than a missed event.
  if (points_.points() > 0) {
    points_.drop_oldest();
  } else {
    event_bytes_ -= std::min(event_bytes_, estimated_encoded_size(events_.front()));
    events_.pop_front();
  }
  ++dropped_since_drain_;
  ++dropped_total_;
}

bool TelemetryBuffer::batch_ready_locked() const {
  return (options_.drain_batch_points > 0 && depth_locked() >= options_.drain_batch_points) ||
         (options_.drain_batch_bytes > 0 && points_.bytes() + event_bytes_ >= options_.drain_batch_bytes);
}

bool TelemetryBuffer::batch_became_ready_locked() {
  if (batch_signalled_ || !batch_ready_locked()) return false;
  batch_signalled_ = true;
  return true;
}

bool TelemetryBuffer::batch_ready() const {
  std::lock_guard lock(mu_);
  return batch_ready_locked();
}

bool TelemetryBuffer::record(const proto::MetricPointView& view) {
  if (!options_.gated_enabled && options_.gated.contains(view.name)) {
    std::lock_guard lock(mu_);
    ++suppressed_total_;
    return false;
  }
  if (!proto::strings_are_utf8(view)) {
    std::lock_guard lock(mu_);
    ++invalid_total_;
    return false;
  }
  proto::MetricPointView point = view;
  if (point.timestamp_unix_ns == 0) point.timestamp_unix_ns = proto::now_unix_ns();
  bool ready = false;
  {
    std::lock_guard lock(mu_);
    // Encoded straight into the open chunk: under the lock, but a few dozen bytes of stores.
    if (proto::append_metrics_entry(points_.open(), point) > kMaxPointBytes) {
      points_.abandon();
      ++invalid_total_;
      return false;
    }
    make_room_locked();
    (void)points_.commit();
    ready = batch_became_ready_locked();
  }
  if (ready && on_batch_ready_) on_batch_ready_();
  return true;
}

bool TelemetryBuffer::record(const proto::MetricPoint& point) {
  std::vector<proto::AttributeView> attributes;
  return record(proto::view_of(point, attributes));
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
    event_bytes_ += bytes;
    ready = batch_became_ready_locked();
  }
  if (ready && on_batch_ready_) on_batch_ready_();
  return true;
}

namespace {

// The packet's own fields (id, time, source, level), which protobuf writes before its metrics.
void append_packet_header(std::string& out, const std::string& packet_id, const std::string& source,
                          proto::Severity level) {
  proto::TelemetryPacket header;
  header.set_packet_id(packet_id);
  header.set_timestamp_unix_ns(proto::now_unix_ns());
  header.set_source_subsystem(source);
  header.set_level(level);
  header.AppendToString(&out);
}

// The packet's `events` field, after its metrics: deterministic, so a signature over the packet
// matches the receiver's re-serialization (events carry a map).
constexpr std::uint32_t kPacketEventsField = 6;

void append_event_entry(std::string& out, const proto::TelemetryEvent& event) {
  proto::wire::append_length_delimited(out, kPacketEventsField, proto::serialize_deterministic(event));
}

}  // namespace

DrainResult TelemetryBuffer::drain() {
  std::deque<EncodedPointChunk> chunks;
  std::deque<proto::TelemetryEvent> events;
  DrainResult result;
  {
    std::lock_guard lock(mu_);
    chunks = points_.take_all();
    events.swap(events_);
    event_bytes_ = 0;
    batch_signalled_ = false;  // Whatever is recorded from now on may make the next batch.
    result.dropped = std::exchange(dropped_since_drain_, 0);
  }
  std::string packet;
  while (!chunks.empty() || !events.empty()) {
    // Events ride in the first packets; each is WARNING at most (HIGH and above never buffer).
    const std::size_t n_events = std::min(events.size(), options_.max_points_per_packet);
    proto::Severity level = proto::SEVERITY_INFO;
    for (std::size_t i = 0; i < n_events; ++i) level = std::max(level, events[i].level());
    packet.clear();
    append_packet_header(packet, options_.source + "-" + std::to_string(++packet_seq_), options_.source, level);
    std::size_t n_points = 0;
    if (!chunks.empty()) {
      packet.append(chunks.front().entries());
      n_points = chunks.front().points();
    }
    for (std::size_t i = 0; i < n_events; ++i) append_event_entry(packet, events[i]);
    if (!sink_.publish_telemetry(packet, level)) {
      // Not handed over: back into the buffer, ahead of anything recorded meanwhile, within the
      // bound (what does not fit is dropped and counted like any overflow).
      put_back(std::move(chunks), std::move(events));
      break;
    }
    if (!chunks.empty()) {
      std::lock_guard lock(mu_);
      points_.recycle(std::move(chunks.front()));
    }
    if (!chunks.empty()) chunks.pop_front();
    events.erase(events.begin(), events.begin() + static_cast<std::ptrdiff_t>(n_events));
    ++result.packets;
    result.points += n_points;
    result.events += n_events;
  }
  result.depth = depth();
  return result;
}

void TelemetryBuffer::put_back(std::deque<EncodedPointChunk> chunks, std::deque<proto::TelemetryEvent> events) {
  std::lock_guard lock(mu_);
  points_.put_back(std::move(chunks));
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    event_bytes_ += estimated_encoded_size(*it);
    events_.push_front(std::move(*it));
  }
  while (depth_locked() > options_.capacity) drop_oldest_locked();
}

std::size_t TelemetryBuffer::depth() const {
  std::lock_guard lock(mu_);
  return depth_locked();
}

std::uint64_t TelemetryBuffer::dropped_total() const {
  std::lock_guard lock(mu_);
  return dropped_total_;
}

std::uint64_t TelemetryBuffer::suppressed_total() const {
  std::lock_guard lock(mu_);
  return suppressed_total_;
}

std::uint64_t TelemetryBuffer::invalid_total() const {
  std::lock_guard lock(mu_);
  return invalid_total_;
}

std::uint64_t TelemetryBuffer::unsent_emergency() const {
  std::lock_guard lock(mu_);
  return unsent_emergency_;
}

}  // namespace esper::producers
