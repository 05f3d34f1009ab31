// What esper.Producer is in C++: the producer client every C++ producer links
// (producers/service_runtime.h: the bus publisher, the never-blocking telemetry buffer and the
// flush-protocol driver that speaks to Weatherlight when ESPER_CONTROL_ENDPOINT is set) and, with a
// state directory, the field-report outbox (report_outbox_runner.h). Nothing here knows Python; the
// bindings (native_module.cc) convert arguments and decide where the GIL is released.
#ifndef ESPER_PYTHON_SRC_NATIVE_PRODUCER_H_
#define ESPER_PYTHON_SRC_NATIVE_PRODUCER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "esper/field_report.pb.h"
#include "esper/telemetry.pb.h"
#include "producers/service_runtime.h"
#include "python/src/report_outbox_runner.h"

namespace esper::python {

struct NativeProducerOptions {
  std::string service;      // Source name, [A-Za-z0-9_-]{1,64}; $ESPER_SERVICE_NAME wins when set.
  std::string runtime_dir;  // Where Oona's ipc:// sockets are; empty: the config's, else the default.
  std::string config;       // A bus YAML (runtime_dir, endpoints:, signing:, client_curve:); optional.
  std::string state_dir;    // Field-report outbox; empty: no field reports.
  std::string version = "dev";
  std::size_t capacity = 10'000;
  std::size_t max_points_per_packet = 500;
  std::size_t drain_batch_points = 1'000;
  std::size_t drain_batch_bytes = 64 * 1024;
  std::chrono::milliseconds flush_interval{1000};
  std::chrono::milliseconds send_timeout{100};
  ReportOutboxRunnerOptions reports;  // state_dir is filled from `state_dir`.
};

struct NativeProducerStats {
  producers::ServiceRuntimeStats runtime;
  std::uint64_t depth = 0;
  std::uint64_t suppressed = 0;
  std::uint64_t unsent_emergency = 0;
  std::uint64_t recorded_points = 0;
  std::uint64_t recorded_events = 0;
  bool has_reports = false;
  field_reports::OutboxCounters reports;
};

class NativeProducer {
 public:
  // Throws std::invalid_argument for a bad service name or option, config::ConfigError for a bus
  // config that does not load, std::runtime_error when the outbox cannot be opened.
  explicit NativeProducer(NativeProducerOptions options);
  // close(); in a child fork()ed from the owner, whose copy has no threads to stop, nothing: the
  // copy is leaked rather than joined (a DataLoader worker that exits normally must not crash).
  ~NativeProducer();
  NativeProducer(const NativeProducer&) = delete;
  NativeProducer& operator=(const NativeProducer&) = delete;

  // Buffers a point (the buffer's O(1) lock, no I/O). Throws std::logic_error once closed.
  void record(proto::MetricPoint point);
  // INFO/WARNING/DEBUG are buffered; HIGH/CRITICAL go out at once on the emergency lane (this may
  // wait up to send_timeout for the bus). Returns false if an immediate publish was refused.
  bool event(const std::string& description, proto::Severity level, const std::map<std::string, std::string>& attributes);
  // Returns the report id once the report is durable in the outbox WAL.
  std::string field_report(proto::FieldReport report);

  // Waits until the driver has drained what is buffered (at most one flush interval, or a batch).
  bool flush(std::chrono::milliseconds timeout);
  // Waits until every field report in memory is settled or dropped.
  bool wait_reports_settled(std::chrono::milliseconds timeout);
  std::vector<std::string> pending_reports() const;

  // Publishes what is buffered and stops the threads. Idempotent. In a fork()ed child: marks the
  // copy closed only (its threads are the parent's).
  void close();
  bool closed() const { return closed_; }

  NativeProducerStats stats() const;
  const std::string& service() const { return runtime_->service(); }
  const std::string& instance() const { return instance_; }
  const std::string& runtime_dir() const { return runtime_dir_; }

 private:
  void check_open() const;

  std::unique_ptr<producers::ServiceRuntime> runtime_;
  std::unique_ptr<ReportOutboxRunner> reports_;
  std::string instance_;
  std::string runtime_dir_;
  int owner_pid_ = 0;  // The process whose threads these are.
  std::atomic<bool> closed_{false};
  std::atomic<std::uint64_t> event_seq_{0};
  std::atomic<std::uint64_t> recorded_points_{0};
  std::atomic<std::uint64_t> recorded_events_{0};
};

}  // namespace esper::python

#endif  // ESPER_PYTHON_SRC_NATIVE_PRODUCER_H_
