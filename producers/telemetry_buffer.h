// The producer-side telemetry buffer every producing process links. record() never blocks and
// never does I/O: it appends to a bounded in-memory buffer (a mutex held for O(1)). When the buffer
// is full the oldest metric point goes first (then the oldest event), and every drop is counted.
// Metric points are encoded as they are recorded, into the bytes of the packets that will carry
// them (encoded_point_queue.h), and a drain sends those bytes as they are: nothing per point is
// allocated, moved or copied after record().
// HIGH and CRITICAL events bypass the buffer and are handed to the sink at once, for the emergency
// lane. drain() batches what is buffered into TelemetryPackets and hands them to the sink.
//
// Who drains: the service runtime's driver thread, on each FLUSH from Weatherlight, on the
// producer's own timer, and whenever a batch is ready. A batch is ready once the buffer holds
// `drain_batch_points` items or their estimated encoded size reaches `drain_batch_bytes`, whichever
// comes first; record() then calls `on_batch_ready` (once, until the next drain starts), which only
// wakes the drainer. So the buffer keeps up with a fast producer, and `capacity` is a bound on
// memory for when the bus refuses what it is handed, not the most a producer may record per flush.
//
// Gated metrics (the "enrichment" set of docs/reference/training-system.md, e.g. loss_ewma, grad_var,
// gpu_util_percent) are suppressed at record() when the producer's gate is off, as Tolaria's
// `tolaria_step_enrichment_enabled = False` does.
#ifndef ESPER_PRODUCERS_TELEMETRY_BUFFER_H_
#define ESPER_PRODUCERS_TELEMETRY_BUFFER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "esper/envelope.pb.h"
#include "producers/encoded_point_queue.h"
#include "proto/metric_point_encoding.h"

namespace esper::producers {

// Where the buffer sends envelopes: the bus publisher in production, a recorder in tests. Returns
// false when the envelope could not be handed over (it is then counted as unsent).
class EnvelopeSink {
 public:
  virtual ~EnvelopeSink() = default;
  virtual bool publish(proto::Envelope envelope) = 0;
  // A telemetry packet already encoded (a serialized TelemetryPacket of severity `level`). The
  // bus publisher wraps the bytes without parsing them; this default parses them for publish().
  virtual bool publish_telemetry(std::string_view packet, proto::Severity level);
};

// The gated metrics of docs/reference/training-system.md.
const std::set<std::string, std::less<>>& reference_gated_metrics();

struct TelemetryBufferOptions {
  std::string source;                       // source_subsystem of the packets.
  // Metric points plus events held at most. Encoded, a point takes 40 to 100 bytes: 4 to 10 MB.
  std::size_t capacity = 100'000;
  std::size_t max_points_per_packet = 500;  // drain() splits larger batches.
  std::size_t max_packet_bytes = 256 * 1024;  // ...and packets whose points reach this size.
  // A batch is ready, and a drain starts without waiting for a FLUSH or tick, once this many items
  // are buffered (0: no count trigger; at most `capacity`)...
  std::size_t drain_batch_points = 1'000;
  // ...or once their encoded size (events': estimated, encoded_size.h) reaches this (0: no size
  // trigger).
  std::size_t drain_batch_bytes = 64 * 1024;
  bool gated_enabled = true;                // false: metrics in `gated` are suppressed.
  std::set<std::string, std::less<>> gated = reference_gated_metrics();
};

struct DrainResult {
  std::uint64_t packets = 0;  // Packets handed to the sink.
  std::uint64_t points = 0;   // Metric points in them.
  std::uint64_t events = 0;   // Events in them.
  std::uint64_t dropped = 0;  // Items dropped because the buffer was full, since the last drain.
  std::uint64_t depth = 0;    // Items left in the buffer (those the sink refused are put back).
};

class TelemetryBuffer {
 public:
  // `on_batch_ready` runs on a recording thread, outside the buffer's lock, when a batch becomes
  // ready; it must not block (the runtime's writes an eventfd). Empty: batches wait for drain().
  TelemetryBuffer(TelemetryBufferOptions options, EnvelopeSink& sink, std::function<void()> on_batch_ready = {});

  // Buffers a metric point. Returns false when it was suppressed (gated metric with the gate off)
  // or refused (invalid_total()). The view's strings need to live only for the call.
  bool record(const proto::MetricPointView& point);
  bool record(const proto::MetricPoint& point);
  // Buffers an event; HIGH and CRITICAL are published at once instead. Returns false if an
  // immediate publish could not be handed over (counted in unsent_emergency()).
  bool record(proto::TelemetryEvent event);

  // Publishes everything buffered, in packets. Not thread-safe against itself (one drainer).
  DrainResult drain();

  std::size_t depth() const;
  bool batch_ready() const;                    // The drain trigger holds now.
  std::uint64_t dropped_total() const;         // Since start.
  std::uint64_t suppressed_total() const;      // Gated metrics suppressed since start.
  // Metric points refused since start: a string not UTF-8, or larger than kMaxPointBytes encoded.
  // Either would cost the whole packet it travelled in (the receiver refuses the envelope).
  std::uint64_t invalid_total() const;

  static constexpr std::size_t kMaxPointBytes = 64 * 1024;
  std::uint64_t unsent_emergency() const;      // Immediate events the sink refused.

 private:
  // Makes room for one item; call with mu_ held.
  void make_room_locked();
  // Drops the oldest item and counts it; call with mu_ held, the buffer not empty.
  void drop_oldest_locked();
  // True when the item just added made a batch ready (once until the next drain). Call with mu_ held.
  bool batch_became_ready_locked();
  bool batch_ready_locked() const;
  std::size_t depth_locked() const { return points_.points() + events_.size(); }
  // Puts what a refused packet and the rest of a drain held back in front, within the bound.
  void put_back(std::deque<EncodedPointChunk> chunks, std::deque<proto::TelemetryEvent> events);

  TelemetryBufferOptions options_;
  EnvelopeSink& sink_;
  std::function<void()> on_batch_ready_;
  mutable std::mutex mu_;
  EncodedPointQueue points_;
  std::deque<proto::TelemetryEvent> events_;
  std::size_t event_bytes_ = 0;     // Estimated encoded size of the buffered events.
  bool batch_signalled_ = false;    // on_batch_ready_ ran since the last drain started.
  std::uint64_t dropped_since_drain_ = 0;
  std::uint64_t dropped_total_ = 0;
  std::uint64_t suppressed_total_ = 0;
  std::uint64_t invalid_total_ = 0;
  std::uint64_t unsent_emergency_ = 0;
  std::uint64_t packet_seq_ = 0;
};

}  // namespace esper::producers

#endif  // ESPER_PRODUCERS_TELEMETRY_BUFFER_H_
