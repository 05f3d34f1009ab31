// What every producing process runs beside its own work: the bus publisher, the telemetry buffer,
// and the flush driver (README.md, "Weatherlight, the supervisor").
//
// Under Weatherlight the environment names the control socket (ESPER_CONTROL_ENDPOINT) and the
// service (ESPER_SERVICE_NAME). The driver thread then connects to it, says HELLO, and on each
// FLUSH(seq) drains the buffer to Oona and answers FLUSHED(seq, packets, points, dropped, depth).
// Without a control endpoint, or when Weatherlight has sent no FLUSH for `control_silence`, the
// driver drains on its own timer instead, so telemetry keeps flowing with no supervisor at all.
// Whenever the buffer holds a batch (TelemetryBufferOptions::drain_batch_points / _bytes) the
// recording thread wakes the driver (an eventfd), which drains at once, supervised or not: a fast
// producer is not held to what its buffer can hold between two FLUSHes.
//
// What FLUSHED counts: packets and points handed to the bus, and items dropped, since the previous
// FLUSHED (since start for the first), by every drain in between (batch drains, own-timer drains)
// and the FLUSH's own; depth is what the buffer holds after the FLUSH's drain. So each point
// published is counted in exactly one FLUSHED (except those of the last drain, at stop), and the
// sum of FLUSHED.points is what the producer published.
//
// Threads: the producer's own threads call buffer().record() and publish(); the driver thread
// drains, so drains never run concurrently and FLUSHED's counts are exact. The bus publisher is not
// thread-safe, so every send goes through one mutex.
#ifndef ESPER_PRODUCERS_SERVICE_RUNTIME_H_
#define ESPER_PRODUCERS_SERVICE_RUNTIME_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "esper/envelope.pb.h"
#include "logging/rate_limited_log.h"
#include "oona/bus_publisher.h"
#include "producers/drain_wakeup.h"
#include "producers/telemetry_buffer.h"

namespace esper::producers {

struct ServiceRuntimeOptions {
  std::string service;             // Service name; the envelopes' source_subsystem.
  std::string version = "dev";     // Sent in HELLO.
  oona::BusPublisherOptions bus;   // bus.source defaults to `service`.
  TelemetryBufferOptions buffer;   // buffer.source defaults to `service`.
  std::string control_endpoint;    // Weatherlight's control socket; empty: own timer only.
  std::chrono::milliseconds flush_interval{1000};    // Own-timer period.
  std::chrono::milliseconds control_silence{3000};   // No FLUSH this long: own timer takes over.
};

// Fills control_endpoint and (if set) service from ESPER_CONTROL_ENDPOINT / ESPER_SERVICE_NAME.
void apply_supervisor_environment(ServiceRuntimeOptions& options);

struct ServiceRuntimeStats {
  std::uint64_t flushes_answered = 0;  // FLUSH requests answered with FLUSHED.
  std::uint64_t timer_flushes = 0;     // Drains on the own timer.
  std::uint64_t batch_drains = 0;      // Drains started because a batch was ready.
  std::uint64_t points_published = 0;  // Metric points handed to Oona by drains.
  std::uint64_t dropped_total = 0;     // Items the buffer dropped because it was full.
  bool supervised = false;             // A FLUSH arrived within control_silence.
};

class ServiceRuntime {
 public:
  explicit ServiceRuntime(ServiceRuntimeOptions options);
  ~ServiceRuntime();  // stop()
  ServiceRuntime(const ServiceRuntime&) = delete;
  ServiceRuntime& operator=(const ServiceRuntime&) = delete;

  // Record metrics and events here; never blocks beyond the buffer's O(1) lock (and, once per batch,
  // an eventfd write).
  TelemetryBuffer& buffer() { return *buffer_; }

  // Publishes an envelope now, bypassing the buffer (field reports, lifecycle events that must not
  // wait for a flush). Thread-safe. Returns false if the bus refused it within its send bound.
  bool publish(proto::Envelope envelope);

  // Drains once more and stops the driver thread. Idempotent; called by the destructor.
  void stop();

  ServiceRuntimeStats stats() const;
  const std::string& service() const { return options_.service; }

 private:
  class LockedSink;
  void run();
  // Drains the buffer. One drainer at a time.
  DrainResult drain();
  // drain(), then publishes the buffer's own producer.* telemetry: on FLUSH, tick and stop, not on
  // batch drains, so its cadence stays one packet per flush however fast the producer records.
  DrainResult drain_and_report();

  ServiceRuntimeOptions options_;
  std::unique_ptr<oona::BusPublisher> bus_;
  std::unique_ptr<LockedSink> sink_;
  DrainWakeup wakeup_;
  std::unique_ptr<TelemetryBuffer> buffer_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> flushes_answered_{0};
  std::atomic<std::uint64_t> timer_flushes_{0};
  std::atomic<std::uint64_t> batch_drains_{0};
  std::atomic<std::uint64_t> points_published_{0};
  std::atomic<bool> supervised_{false};
  std::uint64_t invalid_logged_ = 0;  // buffer_->invalid_total() when last logged (driver thread).
  logging::RateLimitedLog problems_;
  std::thread driver_;
};

}  // namespace esper::producers

#endif  // ESPER_PRODUCERS_SERVICE_RUNTIME_H_
