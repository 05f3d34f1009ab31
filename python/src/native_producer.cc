#include "python/src/native_producer.h"

#include <unistd.h>

#include <stdexcept>
#include <thread>

#include "config/config_section.h"
#include "oona/bus_endpoints.h"
#include "oona/bus_location_config.h"
#include "proto/topic.h"
#include "python/src/new_threads_without_signals.h"

namespace esper::python {

namespace {

std::uint64_t unix_now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// Polls `done` every 5 ms until it holds or `timeout` passed.
template <typename Done>
bool wait_for(Done&& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace

NativeProducer::NativeProducer(NativeProducerOptions options) : owner_pid_(::getpid()) {
  const NewThreadsWithoutSignals signals_stay_with_python;
  producers::ServiceRuntimeOptions runtime;
  runtime.service = options.service;
  runtime.version = options.version;
  // Under Weatherlight: its control socket, and the service name it knows us by.
  producers::apply_supervisor_environment(runtime);
  if (!proto::is_valid_source(runtime.service)) {
    throw std::invalid_argument("invalid service name '" + runtime.service +
                                "': 1 to 64 characters of A-Z a-z 0-9 _ -");
  }
  if (options.capacity == 0) throw std::invalid_argument("capacity must be at least 1");
  if (options.max_points_per_packet == 0) throw std::invalid_argument("max_points_per_packet must be at least 1");
  if (options.flush_interval.count() <= 0) throw std::invalid_argument("flush_interval_s must be positive");

  std::optional<std::filesystem::path> runtime_dir_override;
  if (!options.runtime_dir.empty()) runtime_dir_override = options.runtime_dir;
  if (!options.config.empty()) {
    auto root = config::load_file(options.config);
    const auto location = oona::read_bus_location(root, runtime_dir_override);
    runtime.bus.endpoints = location.endpoints;
    runtime.bus.curve = location.curve;
    runtime.bus.signing_key = location.signing_key;
    runtime.bus.emergency_scheduling = location.emergency_scheduling;
    runtime_dir_ = location.runtime_dir.string();
  } else {
    const auto dir = runtime_dir_override.value_or(oona::default_runtime_dir());
    runtime.bus.endpoints = oona::endpoints_under(dir);
    runtime_dir_ = dir.string();
  }
  runtime.bus.send_timeout = options.send_timeout;
  runtime.buffer.capacity = options.capacity;
  runtime.buffer.max_points_per_packet = options.max_points_per_packet;
  runtime.buffer.drain_batch_points = std::min(options.drain_batch_points, options.capacity);
  runtime.buffer.drain_batch_bytes = options.drain_batch_bytes;
  runtime.flush_interval = options.flush_interval;
  const auto bus = runtime.bus;
  runtime_ = std::make_unique<producers::ServiceRuntime>(std::move(runtime));
  instance_ = oona::default_instance();
  if (!options.state_dir.empty()) {
    options.reports.state_dir = options.state_dir;
    try {
      reports_ = std::make_unique<ReportOutboxRunner>(options.reports, *runtime_, bus);
    } catch (...) {
      runtime_->stop();
      throw;
    }
  }
}

NativeProducer::~NativeProducer() {
  if (::getpid() != owner_pid_) {
    // A fork()ed copy: the threads these would join do not exist in this process.
    static_cast<void>(reports_.release());
    static_cast<void>(runtime_.release());
    return;
  }
  close();
}

void NativeProducer::check_open() const {
  if (closed_) throw std::logic_error("the producer is closed");
}

void NativeProducer::record(proto::MetricPoint point) {
  check_open();
  if (point.timestamp_unix_ns() == 0) point.set_timestamp_unix_ns(unix_now_ns());
  runtime_->buffer().record(std::move(point));
  recorded_points_.fetch_add(1, std::memory_order_relaxed);
}

bool NativeProducer::event(const std::string& description, proto::Severity level,
                           const std::map<std::string, std::string>& attributes) {
  check_open();
  if (description.empty()) throw std::invalid_argument("an event needs a description");
  proto::TelemetryEvent e;
  e.set_event_id(instance_ + "-" + std::to_string(event_seq_.fetch_add(1) + 1));
  e.set_description(description);
  e.set_level(level);
  e.set_timestamp_unix_ns(unix_now_ns());
  for (const auto& [k, v] : attributes) (*e.mutable_attributes())[k] = v;
  recorded_events_.fetch_add(1, std::memory_order_relaxed);
  return runtime_->buffer().record(std::move(e));
}

std::string NativeProducer::field_report(proto::FieldReport report) {
  check_open();
  if (!reports_) throw std::logic_error("field reports need a state directory (Producer(state_dir=...))");
  return reports_->append(std::move(report));
}

bool NativeProducer::flush(std::chrono::milliseconds timeout) {
  check_open();
  return wait_for([this] { return runtime_->buffer().depth() == 0; }, timeout);
}

bool NativeProducer::wait_reports_settled(std::chrono::milliseconds timeout) {
  if (!reports_) return true;
  return wait_for([this] { return reports_->pending_ids().empty(); }, timeout);
}

std::vector<std::string> NativeProducer::pending_reports() const {
  return reports_ ? reports_->pending_ids() : std::vector<std::string>{};
}

void NativeProducer::close() {
  if (closed_.exchange(true) || ::getpid() != owner_pid_) return;
  // The outbox first: its last cycle records its metrics into the buffer the runtime then drains.
  if (reports_) reports_->stop();
  runtime_->stop();
}

NativeProducerStats NativeProducer::stats() const {
  NativeProducerStats s;
  s.runtime = runtime_->stats();
  auto& buffer = runtime_->buffer();
  s.depth = buffer.depth();
  s.suppressed = buffer.suppressed_total();
  s.unsent_emergency = buffer.unsent_emergency();
  s.recorded_points = recorded_points_.load();
  s.recorded_events = recorded_events_.load();
  if (reports_) {
    s.has_reports = true;
    s.reports = reports_->counters();
  }
  return s;
}

}  // namespace esper::python
