#include "producers/tamiyo/report_outbox.h"

#include <algorithm>

#include "daemon/private_directory.h"

namespace esper::tamiyo {

std::unique_ptr<ReportOutbox> ReportOutbox::open(const ReportOutboxOptions& options, producers::ServiceRuntime& runtime,
                                                 const oona::BusPublisherOptions& bus, std::string* error) {
  // Unsent field reports are in there: refuse a directory another user could have prepared.
  daemon::ensure_private_directory(options.state_dir);
  field_reports::OutboxOptions outbox_options;
  outbox_options.wal_dir = options.state_dir / "field_reports";
  outbox_options.source = runtime.service();
  outbox_options.retry_cap = options.retry_cap;
  outbox_options.initial_backoff = options.initial_backoff;
  outbox_options.max_backoff = std::max(options.initial_backoff, options.max_backoff);
  outbox_options.metric_prefix = "tamiyo.field_reports";
  std::unique_ptr<ReportOutbox> reports(new ReportOutbox(runtime));
  wal::Status status;
  reports->outbox_ = field_reports::Outbox::open(
      outbox_options, reports->publisher_,
      [&runtime](const proto::TelemetryEvent& event) { runtime.buffer().record(event); }, &status);
  if (!reports->outbox_) {
    *error = "cannot open the field-report outbox in " + outbox_options.wal_dir.string() + ": " + status.message();
    return nullptr;
  }

  oona::BusSubscriberOptions ack_options;
  ack_options.endpoints = bus.endpoints;
  ack_options.curve = bus.curve;
  ack_options.signing_key = bus.signing_key;  // Acks are verified like any envelope.
  ack_options.emergency_scheduling = bus.emergency_scheduling;
  ack_options.emergency = false;
  ack_options.prefixes = {"reliable.ack."};
  ack_options.name = "tamiyo";
  reports->acks_.emplace(ack_options);
  return reports;
}

ReportOutbox::ReportOutbox(producers::ServiceRuntime& runtime)
    : runtime_(runtime),
      publisher_([&runtime](proto::Envelope envelope) { return runtime.publish(std::move(envelope)); }) {}

void ReportOutbox::take_acks() {
  while (auto m = acks_->receive(std::chrono::milliseconds(0))) {
    if (m->envelope.has_field_report_ack()) outbox_->on_ack(m->envelope.field_report_ack());
  }
}

std::uint64_t ReportOutbox::publish_cycle() {
  outbox_->publish_cycle();
  for (auto& p : outbox_->metric_points()) runtime_.buffer().record(std::move(p));
  return outbox_->counters().settled_cumulative;
}

}  // namespace esper::tamiyo
