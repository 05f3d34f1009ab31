// The producer-side telemetry buffer every producing process links. record() never blocks and
// never does I/O: it appends to a bounded in-memory buffer (a mutex held for O(1)). When the buffer
// is full the oldest metric point goes first (then the oldest event), and every drop is counted.
// HIGH and CRITICAL events bypass the buffer and are handed to the sink at once, for the emergency
// lane. drain() (on each FLUSH from Weatherlight, or on the producer's own timer) batches what is
// buffered into TelemetryPackets and hands them to the sink.
//
// Gated metrics (the "enrichment" set of docs/reference/training-system.md, e.g. loss_ewma, grad_var,
// gpu_util_percent) are suppressed at record() when the producer's gate is off, as Tolaria's
// `tolaria_step_enrichment_enabled = False` does.
#ifndef ESPER_PRODUCERS_TELEMETRY_BUFFER_H_
#define ESPER_PRODUCERS_TELEMETRY_BUFFER_H_

#include <cstdint>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "esper/envelope.pb.h"

namespace esper::producers {

// Where the buffer sends envelopes: the bus publisher in production, a recorder in tests. Returns
// false when the envelope could not be handed over (it is then counted as unsent).
class EnvelopeSink {
 public:
  virtual ~EnvelopeSink() = default;
  virtual bool publish(proto::Envelope envelope) = 0;
};

// The gated metrics of docs/reference/training-system.md.
const std::set<std::string>& reference_gated_metrics();

struct TelemetryBufferOptions {
  std::string source;                       // source_subsystem of the packets.
  std::size_t capacity = 10'000;            // Metric points plus events held at most.
  std::size_t max_points_per_packet = 500;  // drain() splits larger batches.
  bool gated_enabled = true;                // false: metrics in `gated` are suppressed.
  std::set<std::string> gated = reference_gated_metrics();
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
  TelemetryBuffer(TelemetryBufferOptions options, EnvelopeSink& sink);

  // Buffers a metric point. Returns false when it was suppressed (gated metric with the gate off).
  bool record(proto::MetricPoint point);
  // Buffers an event; HIGH and CRITICAL are published at once instead. Returns false if an
  // immediate publish could not be handed over (counted in unsent_emergency()).
  bool record(proto::TelemetryEvent event);

  // Publishes everything buffered, in packets. Not thread-safe against itself (one drainer).
  DrainResult drain();

  std::size_t depth() const;
  std::uint64_t dropped_total() const;         // Since start.
  std::uint64_t suppressed_total() const;      // Gated metrics suppressed since start.
  std::uint64_t unsent_emergency() const;      // Immediate events the sink refused.

 private:
  // Makes room for one item; call with mu_ held.
  void make_room_locked();

  TelemetryBufferOptions options_;
  EnvelopeSink& sink_;
  mutable std::mutex mu_;
  std::deque<proto::MetricPoint> points_;
  std::deque<proto::TelemetryEvent> events_;
  std::uint64_t dropped_since_drain_ = 0;
  std::uint64_t dropped_total_ = 0;
  std::uint64_t suppressed_total_ = 0;
  std::uint64_t unsent_emergency_ = 0;
  std::uint64_t packet_seq_ = 0;
};

}  // namespace esper::producers

#endif  // ESPER_PRODUCERS_TELEMETRY_BUFFER_H_
