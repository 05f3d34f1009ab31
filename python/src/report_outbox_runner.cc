#include "python/src/report_outbox_runner.h"

#include <algorithm>
#include <stdexcept>

#include "daemon/private_directory.h"
#include "oona/bus_subscriber.h"

namespace esper::python {

ReportOutboxRunner::ReportOutboxRunner(const ReportOutboxRunnerOptions& options, producers::ServiceRuntime& runtime,
                                       const oona::BusPublisherOptions& bus)
    : options_(options),
      runtime_(runtime),
      publisher_([&runtime](proto::Envelope envelope) { return runtime.publish(std::move(envelope)); }) {
  // Unsent field reports are in there: refuse a directory another user could have prepared.
  daemon::ensure_private_directory(options_.state_dir);
  field_reports::OutboxOptions outbox_options;
  outbox_options.wal_dir = options_.state_dir / "field_reports";
  outbox_options.source = runtime.service();
  outbox_options.retry_cap = options_.retry_cap;
  outbox_options.initial_backoff = options_.initial_backoff;
  outbox_options.max_backoff = std::max(options_.initial_backoff, options_.max_backoff);
  outbox_options.metric_prefix = runtime.service() + ".field_reports";
  wal::Status status;
  outbox_ = field_reports::Outbox::open(
      outbox_options, publisher_,
      [&runtime](const proto::TelemetryEvent& event) { runtime.buffer().record(event); }, &status);
  if (!outbox_) {
    throw std::runtime_error("cannot open the field-report outbox in " + outbox_options.wal_dir.string() + ": " +
                             status.message());
  }
  ack_options_.endpoints = bus.endpoints;
  ack_options_.curve = bus.curve;
  ack_options_.signing_key = bus.signing_key;  // Acks are verified like any envelope.
  ack_options_.emergency_scheduling = bus.emergency_scheduling;
  ack_options_.emergency = false;
  ack_options_.prefixes = {"reliable.ack."};
  ack_options_.name = runtime.service() + "-field-reports";
  thread_ = std::thread([this] { run(); });
}

ReportOutboxRunner::~ReportOutboxRunner() { stop(); }

std::string ReportOutboxRunner::append(proto::FieldReport report) {
  std::string id;
  if (auto s = outbox_->append(std::move(report), &id); !s.ok()) {
    throw std::runtime_error("field report not written to the outbox WAL: " + s.message());
  }
  return id;
}

void ReportOutboxRunner::stop() {
  if (stopping_.exchange(true)) return;
  if (thread_.joinable()) thread_.join();
}

void ReportOutboxRunner::run() {
  // The subscriber lives on this thread: a BusSubscriber is not thread-safe.
  oona::BusSubscriber acks(ack_options_);
  auto next_cycle = std::chrono::steady_clock::now();
  while (true) {
    const bool last = stopping_.load();
    const auto now = std::chrono::steady_clock::now();
    const auto wait = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(next_cycle - now),
                                 std::chrono::milliseconds(0), options_.cycle);
    if (auto m = acks.receive(last ? std::chrono::milliseconds(0) : wait)) {
      if (m->envelope.has_field_report_ack()) outbox_->on_ack(m->envelope.field_report_ack());
      while (auto more = acks.receive(std::chrono::milliseconds(0))) {
        if (more->envelope.has_field_report_ack()) outbox_->on_ack(more->envelope.field_report_ack());
      }
    }
    if (last || std::chrono::steady_clock::now() >= next_cycle) {
      outbox_->publish_cycle();
      for (auto& p : outbox_->metric_points()) runtime_.buffer().record(std::move(p));
      next_cycle = std::chrono::steady_clock::now() + options_.cycle;
    }
    if (last) return;
  }
}

}  // namespace esper::python
