// Observer: Nissa's own metrics, one table (self_telemetry.h) for the bus and the Unix socket.
#include "nissa/core/observer.h"

#include <spdlog/spdlog.h>

#include "nissa/store/envelope_walk.h"
#include "oona/envelope_reader.h"
#include "proto/envelope_codec.h"
#include "proto/topic.h"

namespace esper::nissa {

SelfTelemetry Observer::self_telemetry() const {
  SelfTelemetry t;
  auto n = [](auto v) { return static_cast<double>(v); };
  t.family("nissa.ingested_total");
  for (std::size_t k = 0; k < counters_.ingested_by_kind.size(); ++k) {
    t.counter("nissa.ingested_total", n(counters_.ingested_by_kind[k]),
              {{"kind", std::string(proto::kind_name(static_cast<proto::BodyKind>(k)))}});
  }
  t.family("nissa.rejected_total");
  // The codec's reasons, then the signature's and `replayed` (which need a signing key).
  for (std::size_t r = 0; r < oona::kRejectReasonCount; ++r) {
    const auto reason = static_cast<oona::RejectReason>(r);
    if (reason == oona::RejectReason::kSourceNotAllowed) continue;  // Decided by Oona's ingress only.
    t.counter("nissa.rejected_total", n(subscriber_->rejected(reason)),
              {{"reason", std::string(oona::reject_reason_name(reason))}});
  }
  t.counter("nissa.points_total", n(counters_.points));
  t.counter("nissa.events_total", n(counters_.events));
  t.gauge("nissa.series", n(aggregator_.series_count()));
  t.counter("nissa.series_refused_total", n(aggregator_.refused_total()));
  t.gauge("nissa.wal_bytes", n(journal_->bytes()), "bytes");
  t.counter("nissa.wal_errors_total", n(journal_->errors()));
  t.counter("nissa.wal_segments_expired_total", n(counters_.wal_segments_expired));
  t.counter("nissa.wal_corrupt_records_total", n(counters_.wal_corrupt_records));
  t.counter("nissa.field_reports_expired_total", n(counters_.reports_expired));
  t.gauge("nissa.field_reports_stored", n(reports_.size()));
  t.counter("nissa.field_reports_duplicate_total", n(intake_->counters().duplicate));
  t.counter("nissa.acks_total", n(counters_.acks_sent));
  t.counter("nissa.acks_unsent_total", n(counters_.acks_unsent));
  t.counter("nissa.sequence_gaps_total", n(subscriber_->sequences().gaps()));
  const AlertEngine& alerts = analytics_.alerts();
  t.family("nissa.alerts_total");
  for (const auto& [rule_severity, count] : alerts.raised_total()) {
    t.counter("nissa.alerts_total", n(count),
              {{"rule", rule_severity.first}, {"severity", std::string(proto::severity_name(rule_severity.second))}});
  }
  t.gauge("nissa.alert_log_size", n(alerts.log().alerts().size()));
  t.gauge("nissa.alert_rules", n(alerts.rules().size()));
  t.counter("nissa.alert_evaluations_total", n(alerts.evaluations_total()));
  t.counter("nissa.alerts_published_total", n(counters_.alerts_published));
  t.counter("nissa.alerts_unsent_total", n(counters_.alerts_unsent));
  t.family("nissa.schema_violations_total");
  for (const auto& [key, count] : analytics_.contracts().violations_total()) {
    t.counter("nissa.schema_violations_total", n(count),
              {{"contract", std::get<0>(key)}, {"producer", std::get<1>(key)}, {"reason", std::get<2>(key)},
               {"key", std::get<3>(key)}});
  }
  t.gauge("nissa.sessions", n(analytics_.sessions().sessions()));
  t.counter("nissa.reloads_total", n(counters_.reloads));
  t.counter("nissa.reload_failures_total", n(counters_.reload_failures));
  t.family("nissa.http_refused_total");
  for (const auto reason : kHttpRefusals) {
    t.counter("nissa.http_refused_total", n(http_refusals_.total(reason)),
              {{"reason", std::string(http_refusal_name(reason))}});
  }
  t.family("nissa.export_samples_total");
  t.family("nissa.export_dropped_total");
  t.family("nissa.export_skipped_total");
  if (export_stage_) {
    for (const ExporterStats& e : export_stage_->stats()) {
      t.counter("nissa.export_samples_total", n(e.samples_sent), {{"exporter", e.name}});
      t.counter("nissa.export_requests_total", n(e.requests_sent), {{"exporter", e.name}});
      t.counter("nissa.export_retries_total", n(e.retries), {{"exporter", e.name}});
      for (const auto& [reason, count] : e.dropped) {
        t.counter("nissa.export_dropped_total", n(count), {{"exporter", e.name}, {"reason", reason}});
      }
      for (const auto& [reason, count] : e.skipped) {
        t.counter("nissa.export_skipped_total", n(count), {{"exporter", e.name}, {"reason", reason}});
      }
      t.gauge("nissa.export_buffer_bytes", n(e.buffered_bytes), "bytes", {{"exporter", e.name}});
    }
  }
  return t;
}

std::string Observer::metrics_json() const {
  std::lock_guard lock(mu_);
  return self_telemetry().json();
}

void Observer::publish_own_telemetry() {
  proto::Envelope envelope;
  envelope.set_severity(proto::SEVERITY_INFO);
  auto* packet = envelope.mutable_telemetry();
  packet->set_source_subsystem("nissa");
  packet->set_timestamp_unix_ns(proto::now_unix_ns());
  packet->set_level(proto::SEVERITY_INFO);
  {
    std::lock_guard lock(mu_);
    const std::int64_t t = unix_ns_to_ms(packet->timestamp_unix_ns());
    for (auto& p : self_telemetry().take_points()) {
      aggregator_.add("nissa", p, t);
      *packet->add_metrics() = std::move(p);
    }
  }
  if (!publisher_->publish(std::move(envelope))) {
    problems_.log(spdlog::level::warn, "telemetry_unsent", "could not hand nissa.* telemetry to Oona in time");
  }
}

}  // namespace esper::nissa
