#include "nissa/core/observer.h"

#include <stdexcept>

#include <spdlog/spdlog.h>

#include "nissa/store/aggregates_checkpoint.h"
#include "nissa/store/envelope_walk.h"
#include "proto/envelope_codec.h"
#include "proto/metric_point.h"
#include "wal/private_files.h"

namespace esper::nissa {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxBatch = 2048;

std::int64_t now_ms() { return unix_ns_to_ms(proto::now_unix_ns()); }

std::unique_ptr<Journal> open_journal(const NissaConfig& config) {
  if (const auto s = wal::create_private_directories(config.state_dir); !s.ok()) {
    throw std::runtime_error("cannot create state directory: " + s.message());
  }
  wal::narrow_to_private(config.state_dir);  // A checkpoint an older version wrote 0644.
  return std::make_unique<Journal>(JournalOptions{journal_dir(config), config.wal_segment_size});
}

template <typename Options>
Options bus_options(const NissaConfig& config) {
  Options o;
  o.endpoints = config.bus;
  o.curve = config.bus_curve;
  o.signing_key = config.bus_signing_key;
  o.emergency_scheduling = config.bus_emergency_scheduling;
  return o;
}

}  // namespace

Observer::Observer(NissaConfig config, std::function<void(const std::string&)> startup_status)
    : config_(std::move(config)),
      journal_(open_journal(config_)),
      aggregator_(config_.aggregation),
      events_(config_.event_log_capacity),
      intake_(std::make_unique<ReportIntake>(*journal_, reports_, mu_)),
      analytics_(config_) {
  replay(startup_status);
  auto sub = bus_options<oona::BusSubscriberOptions>(config_);
  sub.limits.max_envelope_bytes = config_.max_envelope_bytes;
  sub.name = "nissa";  // Oona gives it the larger queue of named_subscribers.
  subscriber_ = std::make_unique<oona::BusSubscriber>(std::move(sub));
  auto pub = bus_options<oona::BusPublisherOptions>(config_);
  pub.source = "nissa";
  publisher_ = std::make_unique<oona::BusPublisher>(std::move(pub));
  ready_ = true;
}

Observer::~Observer() = default;

void Observer::replay(const std::function<void(const std::string&)>& startup_status) {
  std::uint64_t reports = 0, events = 0, alerts = 0;
  JournalReplayHandlers handlers;
  handlers.field_report = [&](const proto::Envelope& e, std::uint64_t segment) {
    if (reports_.insert(StoredFieldReport{e.source(), e.sent_unix_ns(), e.field_report(), segment})) ++reports;
  };
  handlers.event = [&](const proto::Envelope& e) { events += events_.ingest(e); };
  handlers.alert = [&](const proto::Envelope& e) {
    analytics_.restore_alert(e.event());
    events += events_.ingest(e);
    ++alerts;
  };
  handlers.alerts_cleared = [&] { analytics_.clear_alert_log(); };
  const JournalReplaySummary summary = journal_->replay(handlers, startup_status);
  counters_.wal_corrupt_records = summary.corrupt_ranges;

  restore_aggregates_file(aggregator_, checkpoint_path(config_));
  spdlog::info("replayed WAL: {} field reports, {} events, {} alerts ({} records in {} segments; {} corrupt "
               "ranges, {} acknowledged)",
               reports, events, alerts, summary.records, summary.segments, summary.corrupt_ranges,
               summary.acknowledged);
}

void Observer::run(signals::ShutdownSignals& signals, const std::function<void()>& on_tick,
                   daemon::SupervisorLink* supervisor) {
  auto next_telemetry = Clock::now() + config_.telemetry_interval;
  auto next_checkpoint = Clock::now() + config_.checkpoint_interval;
  start_export();
  while (true) {
    if (auto signo = signals.take()) {
      if (signals::is_stop_signal(*signo)) break;
      spdlog::info("SIGHUP: reloading {}", config_.config_file.string());
      reload();  // Logs its outcome.
    }
    if (supervisor != nullptr) supervisor->serve([] { return daemon::FlushCounts{}; });

    // A batch: wait briefly for the first envelope, then take whatever else is already here.
    // The wait happens without the lock, so HTTP readers are never held up by an idle bus.
    // What the batch concluded is recorded under the same lock, so a reader never sees an alert
    // whose event is not in the event log yet.
    std::size_t n = 0;
    std::vector<proto::Envelope> conclusions;
    if (subscriber_->wait_readable(std::chrono::milliseconds(50))) {
      std::lock_guard lock(mu_);
      n = subscriber_->receive_batch(std::chrono::milliseconds(0), kMaxBatch,
                                     [&](const oona::BusMessageView& m) { handle(m); });
      if (n > 0) conclusions = record_conclusions();
    }
    if (n > 0) {
      publish_acks(intake_->commit());
      publish_conclusions(std::move(conclusions));
    }

    const auto now = Clock::now();
    if (now >= next_telemetry) {
      publish_own_telemetry();
      if (on_tick) on_tick();
      next_telemetry = now + config_.telemetry_interval;
    }
    if (now >= next_checkpoint) {
      checkpoint();
      expire_segments();
      next_checkpoint = now + config_.checkpoint_interval;
    }
  }
  if (export_stage_) export_stage_->stop();
  checkpoint();
  std::lock_guard lock(mu_);
  spdlog::info("nissa stopping: {} points, {} events, {} field reports stored ({} duplicates), {} rejected",
               counters_.points, counters_.events, intake_->counters().stored, intake_->counters().duplicate,
               subscriber_->rejected_total());
}

// Under mu_. One walk feeds every store and the analytics.
void Observer::handle(const oona::BusMessageView& message) {
  const proto::Envelope& envelope = message.envelope;
  // Our own telemetry comes back through Oona; it is already aggregated locally.
  if (envelope.source() == publisher_->source() && envelope.instance() == publisher_->instance()) return;
  ++counters_.ingested_by_kind[static_cast<std::size_t>(message.topic.kind)];
  if (message.topic.kind == proto::BodyKind::kFieldReport) {
    intake_->offer(envelope);
    return;
  }
  walk_envelope(
      envelope,
      [&](const proto::MetricPoint& point, std::int64_t time_ms) {
        Series* series = nullptr;
        if (aggregator_.add(envelope.source(), point, time_ms, &series) == MetricAggregator::AddResult::kAdded) {
          ++counters_.points;
        }
        analytics_.point(envelope.source(), point, time_ms);
        // What the aggregator refused (over its series cap) is not exported either.
        if (export_stage_ && series != nullptr) export_stage_->point(envelope.source(), point, time_ms, series->export_tag);
      },
      [&](const proto::TelemetryEvent& event, std::int64_t time_ms) {
        events_.add(envelope.source(), event, time_ms);
        ++counters_.events;
        analytics_.event(event, time_ms);
        if (event.level() >= config_.persist_min_severity) journal_->append_event(envelope, event);
      });
  if (envelope.has_telemetry()) analytics_.packet(envelope.source(), envelope.telemetry());
}

void Observer::publish_acks(std::vector<ReportAck> acks) {
  for (auto& [ack, sent_unix_ns] : acks) {
    ack.set_acked_by(publisher_->instance());
    proto::Envelope envelope;
    envelope.set_severity(proto::SEVERITY_INFO);
    *envelope.mutable_field_report_ack() = std::move(ack);
    const bool sent = publisher_->publish(std::move(envelope));
    std::lock_guard lock(mu_);
    if (!sent) {
      ++counters_.acks_unsent;
      problems_.log(spdlog::level::warn, "ack_unsent", "could not hand an ack to Oona in time; the issuer will retry");
      continue;
    }
    ++counters_.acks_sent;
    if (sent_unix_ns != 0) {
      const double latency_ms = static_cast<double>(proto::now_unix_ns() - sent_unix_ns) / 1e6;
      aggregator_.add("nissa", proto::make_point("nissa.ack_latency_ms", latency_ms, "ms", proto::METRIC_KIND_HISTOGRAM),
                      now_ms());
    }
  }
}

// Under mu_: what the batch raised goes into the event log and the journal, and comes back as
// envelopes to publish once the lock is released.
std::vector<proto::Envelope> Observer::record_conclusions() {
  std::vector<proto::Envelope> out;
  const std::uint64_t now_ns = proto::now_unix_ns();
  for (Conclusion& c : analytics_.take_conclusions(config_.persist_min_severity, now_ns)) {
    const std::uint64_t t_ns = c.event.timestamp_unix_ns() != 0 ? c.event.timestamp_unix_ns() : now_ns;
    events_.add(publisher_->source(), c.event, unix_ns_to_ms(t_ns));  // Ignored when it comes back.
    proto::Envelope envelope;
    envelope.set_severity(c.event.level());
    *envelope.mutable_event() = std::move(c.event);
    if (c.record) {
      proto::Envelope record = envelope;
      record.set_source(publisher_->source());
      record.set_instance(publisher_->instance());
      journal_->append_own(*c.record, record);
    }
    out.push_back(std::move(envelope));
  }
  return out;
}

void Observer::publish_conclusions(std::vector<proto::Envelope> out) {
  if (out.empty()) return;
  std::uint64_t sent = 0, unsent = 0;
  for (auto& envelope : out) (publisher_->publish(std::move(envelope)) ? sent : unsent) += 1;
  std::lock_guard lock(mu_);
  counters_.alerts_published += sent;
  counters_.alerts_unsent += unsent;
  if (unsent > 0) problems_.log(spdlog::level::warn, "alert_unsent", "could not hand alert events to Oona in time");
}

ReloadResult Observer::reload() {
  ReloadResult result;
  ReloadableConfig fresh;
  try {
    fresh = reload_nissa_config(config_);
  } catch (const std::exception& e) {
    std::lock_guard lock(mu_);
    ++counters_.reload_failures;
    result.message = e.what();
    spdlog::error("reload refused, keeping the running configuration: {}", result.message);
    return result;
  }
  std::lock_guard lock(mu_);
  result.ok = true;
  result.rules = fresh.alerts.size();
  result.contracts = fresh.schema_contracts.size();
  analytics_.reconfigure(std::move(fresh));
  journal_->append_own(kRecordAlertsCleared, proto::Envelope());
  ++counters_.reloads;
  result.message = "reloaded " + std::to_string(result.rules) + " alert rules and " +
                   std::to_string(result.contracts) + " schema contracts; alert baselines and history reset";
  spdlog::info("{}", result.message);
  return result;
}

}  // namespace esper::nissa
