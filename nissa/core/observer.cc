#include "nissa/core/observer.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "wal/atomic_file.h"
#include "wal/private_files.h"
#include "wal/wal_progress_display.h"
#include "wal/wal_quarantine.h"
#include "wal/wal_reader.h"
#include "logging/log_setup.h"
#include "nissa/store/aggregates_checkpoint.h"
#include "nissa/core/envelope_points.h"
#include "proto/envelope_codec.h"
#include "proto/metric_point.h"

namespace esper::nissa {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxBatch = 2048;

std::int64_t now_ms() { return static_cast<std::int64_t>(proto::now_unix_ns() / 1'000'000); }

std::filesystem::path checkpoint_path(const NissaConfig& c) { return c.state_dir / "aggregates.ckpt"; }
std::filesystem::path wal_dir(const NissaConfig& c) { return c.state_dir / "wal"; }

}  // namespace

Observer::Observer(NissaConfig config, std::function<void(const std::string&)> startup_status)
    : config_(std::move(config)),
      aggregator_(config_.aggregation),
      events_(config_.event_log_capacity),
      alerts_(config_.alerts),
      contracts_(config_.schema_contracts),
      sessions_(config_.sessions) {
  if (const auto s = wal::create_private_directories(config_.state_dir); !s.ok()) {
    throw std::runtime_error("cannot create state directory: " + s.message());
  }
  wal::narrow_to_private(config_.state_dir);  // A checkpoint an older version wrote 0644.
  wal::WalWriterOptions wal_options;
  wal_options.dir = wal_dir(config_);
  wal_options.durability = wal::Durability::kGroup;
  wal_options.segment_size = config_.wal_segment_size;
  wal::Status status;
  wal::RepairReport repair;
  wal_ = wal::WalWriter::open(wal_options, &status, &repair);
  if (!wal_) throw std::runtime_error("cannot open WAL " + wal_options.dir.string() + ": " + status.message());
  for (const auto& problem : repair.problems) {
    spdlog::warn("WAL repaired at start: {}", wal::describe(problem));
  }
  if (repair.truncated_bytes > 0) {
    spdlog::warn("WAL: truncated a torn tail of {} bytes; every record before it is kept",
                 repair.truncated_bytes);
  }
  replay(startup_status);

  oona::BusSubscriberOptions sub;
  sub.endpoints = config_.bus;
  sub.curve = config_.bus_curve;
  sub.signing_key = config_.bus_signing_key;
  sub.emergency_scheduling = config_.bus_emergency_scheduling;
  sub.limits.max_envelope_bytes = config_.max_envelope_bytes;
  sub.name = "nissa";  // Oona gives it the larger queue of named_subscribers.
  subscriber_ = std::make_unique<oona::BusSubscriber>(std::move(sub));
  oona::BusPublisherOptions pub;
  pub.endpoints = config_.bus;
  pub.curve = config_.bus_curve;
  pub.signing_key = config_.bus_signing_key;
  pub.emergency_scheduling = config_.bus_emergency_scheduling;
  pub.source = "nissa";
  publisher_ = std::make_unique<oona::BusPublisher>(std::move(pub));
  ready_ = true;
}

Observer::~Observer() = default;

void Observer::replay(const std::function<void(const std::string&)>& startup_status) {
  // A large WAL takes a while: show how far replay has got, so that start-up does not look hung.
  const bool terminal = ::isatty(STDERR_FILENO) == 1 && !logging::stderr_is_journal();
  wal::WalProgressDisplay progress("replaying WAL", terminal ? &std::cerr : nullptr,
                                             [](const std::string& line) { spdlog::info("{}", line); });
  if (startup_status) progress.set_status_sink(startup_status);
  wal::WalReadSummary summary;
  const auto status = wal::read_wal(
      wal_dir(config_),
      [&](const wal::WalRecord& record) {
        proto::Envelope envelope;
        if (!envelope.ParseFromArray(record.payload.data(), static_cast<int>(record.payload.size()))) {
          spdlog::warn("WAL record at segment {} offset {} is not an envelope; skipped",
                       record.position.segment, record.position.offset);
          return;
        }
        if (record.type == kRecordFieldReport && envelope.has_field_report()) {
          StoredFieldReport stored{envelope.source(), envelope.sent_unix_ns(), envelope.field_report(),
                                   record.position.segment};
          if (reports_.insert(std::move(stored))) ++counters_.replayed_reports;
        } else if (record.type == kRecordEvent) {
          counters_.replayed_events += events_.ingest(envelope);
        } else if (record.type == kRecordAlert && envelope.has_event()) {
          alerts_.restore(alert_from_event(envelope.event()));
          counters_.replayed_events += events_.ingest(envelope);
          ++counters_.replayed_alerts;
        } else if (record.type == kRecordAlertsCleared) {
          alerts_.clear_log();
        }
      },
      &summary, progress.read_options());
  if (!status.ok()) throw std::runtime_error("cannot replay WAL: " + status.message());
  // Corruption cost only the damaged records (the reader went on after each range): keep a copy of
  // the bytes, say so once, and count it so that it shows on dashboards.
  const auto corruption = wal::quarantine_corruption(wal_dir(config_), "Nissa's WAL", summary.problems);
  counters_.wal_corrupt_records = corruption.corrupt_ranges;

  std::ifstream in(checkpoint_path(config_), std::ios::binary);
  if (in) {
    std::stringstream bytes;
    bytes << in.rdbuf();
    try {
      const std::size_t n = restore_aggregates(aggregator_, bytes.str());
      spdlog::info("restored {} series from {}", n, checkpoint_path(config_).string());
    } catch (const std::exception& e) {
      spdlog::error("ignoring unreadable checkpoint {}: {}", checkpoint_path(config_).string(), e.what());
    }
  }
  spdlog::info("replayed WAL: {} field reports, {} events, {} alerts ({} records in {} segments; {} corrupt "
               "ranges, {} acknowledged)",
               counters_.replayed_reports, counters_.replayed_events, counters_.replayed_alerts,
               summary.records, summary.segments, corruption.corrupt_ranges, corruption.acknowledged);
}

void Observer::run(signals::ShutdownSignals& signals, const std::function<void()>& on_tick,
                   daemon::SupervisorLink* supervisor) {
  auto next_telemetry = Clock::now() + config_.telemetry_interval;
  auto next_checkpoint = Clock::now() + config_.checkpoint_interval;
  std::vector<PendingReport> pending;
  std::vector<proto::FieldReportAck> duplicate_acks;
  while (true) {
    if (auto signo = signals.take()) {
      if (signals::is_stop_signal(*signo)) break;
      spdlog::info("SIGHUP: reloading {}", config_.config_file.string());
      reload();  // Logs its outcome.
    }
    if (supervisor != nullptr) supervisor->serve([] { return daemon::FlushCounts{}; });

    // A batch: wait briefly for the first envelope, then take whatever else is already here.
    // The wait happens without the lock, so HTTP readers are never held up by an idle bus.
    std::size_t n = 0;
    if (subscriber_->wait_readable(std::chrono::milliseconds(50))) {
      std::lock_guard lock(mu_);
      n = subscriber_->receive_batch(std::chrono::milliseconds(0), kMaxBatch, &arena_,
                                     [&](const oona::BusMessageView& m) { handle(m, pending, duplicate_acks); });
    }
    if (n > 0) commit_batch(pending, duplicate_acks);
    if (n > 0) publish_analytics();
    arena_.Reset();

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
  checkpoint();
  const auto c = counters();
  spdlog::info("nissa stopping: {} points, {} events, {} field reports stored ({} duplicates), {} rejected",
               c.points, c.events, c.reports_stored, c.reports_duplicate, subscriber_->rejected_total());
}

void Observer::handle(const oona::BusMessageView& message, std::vector<PendingReport>& pending,
                      std::vector<proto::FieldReportAck>& duplicate_acks) {
  const proto::Envelope& envelope = message.envelope;
  // Our own telemetry comes back through Oona; it is already aggregated locally.
  if (envelope.source() == publisher_->source() && envelope.instance() == publisher_->instance()) return;
  ++counters_.ingested_by_kind[static_cast<std::size_t>(message.topic.kind)];
  analyze(envelope);

  switch (message.topic.kind) {
    case proto::BodyKind::kTelemetry:
    case proto::BodyKind::kSystemState:
      counters_.points += aggregator_.ingest(envelope);
      [[fallthrough]];  // Telemetry packets may carry events too.
    case proto::BodyKind::kEvent:
    case proto::BodyKind::kEmergencySignal: {
      const std::size_t added = events_.ingest(envelope);
      counters_.events += added;
      if (added == 0) break;
      // Persist events at or above the configured severity, one record per event.
      auto persist = [&](const proto::TelemetryEvent& e) {
        if (e.level() < config_.persist_min_severity) return;
        proto::Envelope record = envelope;
        *record.mutable_event() = e;
        const std::string bytes = record.SerializeAsString();
        wal_dirty_ = true;
        if (auto s = wal_->append(kRecordEvent, bytes); !s.ok()) {
          ++counters_.wal_errors;
          problems_.log(spdlog::level::err, "wal_event", "cannot persist event: " + s.message());
        }
      };
      if (envelope.has_event()) persist(envelope.event());
      if (envelope.has_telemetry()) {
        for (const auto& e : envelope.telemetry().events()) persist(e);
      }
      if (envelope.has_emergency_signal()) persist(event_from_signal(envelope.emergency_signal()));
      break;
    }
    case proto::BodyKind::kFieldReport: {
      const std::string& id = envelope.field_report().report_id();
      if (id.empty()) {
        problems_.log(spdlog::level::warn, "report_without_id",
                      "field report without report_id from " + envelope.source() + "; ignored");
        break;
      }
      if (const StoredFieldReport* stored = reports_.find(id)) {
        ++counters_.reports_duplicate;
        proto::FieldReportAck ack;
        ack.set_report_id(id);
        ack.set_duplicate(true);
        ack.set_durable_at_unix_ns(stored->durable_at_unix_ns);  // When the first copy became durable.
        duplicate_acks.push_back(std::move(ack));
        break;
      }
      if (!batch_ids_.insert(id).second) {
        ++counters_.reports_duplicate;  // The same report twice in one batch: one ack will do.
        break;
      }
      pending.push_back(PendingReport{envelope});
      break;
    }
    case proto::BodyKind::kAck:
    case proto::BodyKind::kControl:
      break;  // Acks are for the outboxes; control belongs to Weatherlight.
  }
}

void Observer::commit_batch(std::vector<PendingReport>& pending,
                            std::vector<proto::FieldReportAck>& duplicate_acks) {
  batch_ids_.clear();
  for (auto& ack : duplicate_acks) publish_ack(std::move(ack), 0);
  duplicate_acks.clear();

  // Queue the new reports, then one fsync covers them and every event queued in this batch.
  std::vector<PendingReport*> queued;
  for (auto& p : pending) {
    const std::string bytes = p.envelope.SerializeAsString();
    wal_dirty_ = true;
    wal::Lsn lsn;
    if (auto s = wal_->append(kRecordFieldReport, bytes, &lsn); s.ok()) {
      p.wal_segment = lsn.position.segment;
      queued.push_back(&p);
    } else {
      std::lock_guard lock(mu_);
      ++counters_.wal_errors;
      problems_.log(spdlog::level::err, "wal_report", "cannot persist field report: " + s.message());
    }
  }
  if (!wal_dirty_) return;  // Pure telemetry: nothing to make durable, no fsync.
  wal_dirty_ = false;
  const wal::Status durable = wal_->flush();
  if (!durable.ok()) {
    std::lock_guard lock(mu_);
    ++counters_.wal_errors;
    problems_.log(spdlog::level::err, "wal_flush",
                  "WAL fsync failed, " + std::to_string(queued.size()) +
                      " field reports not acknowledged (their issuers will retry): " + durable.message());
    pending.clear();
    return;
  }
  const std::uint64_t durable_at = proto::now_unix_ns();
  {
    std::lock_guard lock(mu_);
    for (PendingReport* p : queued) {
      if (reports_.insert(StoredFieldReport{p->envelope.source(), durable_at, p->envelope.field_report(),
                                            p->wal_segment})) {
        ++counters_.reports_stored;
      }
    }
  }
  for (PendingReport* p : queued) {
    proto::FieldReportAck ack;
    ack.set_report_id(p->envelope.field_report().report_id());
    ack.set_durable_at_unix_ns(durable_at);
    publish_ack(std::move(ack), p->envelope.sent_unix_ns());
  }
  pending.clear();
}

void Observer::publish_ack(proto::FieldReportAck ack, std::uint64_t sent_unix_ns) {
  ack.set_acked_by(publisher_->instance());
  proto::Envelope envelope;
  envelope.set_severity(proto::SEVERITY_INFO);
  *envelope.mutable_field_report_ack() = std::move(ack);
  const bool sent = publisher_->publish(std::move(envelope));
  std::lock_guard lock(mu_);
  if (!sent) {
    ++counters_.acks_unsent;
    problems_.log(spdlog::level::warn, "ack_unsent", "could not hand an ack to Oona in time; the issuer will retry");
    return;
  }
  ++counters_.acks_sent;
  if (sent_unix_ns != 0) {
    const double latency_ms = static_cast<double>(proto::now_unix_ns() - sent_unix_ns) / 1e6;
    aggregator_.add("nissa", proto::make_point("nissa.ack_latency_ms", latency_ms, "ms", proto::METRIC_KIND_HISTOGRAM),
                    now_ms());
  }
}

void Observer::analyze(const proto::Envelope& envelope) {
  for_each_point(envelope, [&](const proto::MetricPoint& point, std::int64_t time_ms) {
    alerts_.observe(envelope.source(), point, time_ms, raised_);
    sessions_.add_point(point, time_ms);
  });
  if (envelope.has_telemetry()) {
    counters_.schema_violations += contracts_.check(envelope.source(), envelope.telemetry(), violations_);
  }
  const std::int64_t sent_ms = static_cast<std::int64_t>(envelope.sent_unix_ns() / 1'000'000);
  auto event = [&](const proto::TelemetryEvent& e) {
    sessions_.add_event(e, e.timestamp_unix_ns() != 0 ? static_cast<std::int64_t>(e.timestamp_unix_ns() / 1'000'000)
                                                      : sent_ms);
  };
  if (envelope.has_event()) event(envelope.event());
  if (envelope.has_telemetry()) {
    for (const auto& e : envelope.telemetry().events()) event(e);
  }
}

void Observer::persist_own(std::uint8_t type, const proto::Envelope& envelope) {
  proto::Envelope record = envelope;
  record.set_source(publisher_->source());
  record.set_instance(publisher_->instance());
  // Queued for the WAL's group-commit flusher; nobody waits for an alert to be durable.
  if (auto s = wal_->append(type, record.SerializeAsString()); !s.ok()) {
    ++counters_.wal_errors;
    problems_.log(spdlog::level::err, "wal_alert", "cannot persist an alert or violation: " + s.message());
  }
}

void Observer::publish_analytics() {
  std::vector<proto::Envelope> out;
  {
    std::lock_guard lock(mu_);
    if (raised_.empty() && violations_.empty()) return;
    const std::uint64_t now_ns = proto::now_unix_ns();
    auto add = [&](proto::TelemetryEvent e, std::optional<std::uint8_t> record_type) {
      const std::int64_t t = static_cast<std::int64_t>((e.timestamp_unix_ns() ? e.timestamp_unix_ns() : now_ns) / 1'000'000);
      events_.add(publisher_->source(), e, t);  // Our own envelopes are ignored when they come back.
      proto::Envelope envelope;
      envelope.set_severity(e.level());
      *envelope.mutable_event() = std::move(e);
      if (record_type) persist_own(*record_type, envelope);
      out.push_back(std::move(envelope));
    };
    for (const Alert& a : raised_) {
      problems_.log(a.severity >= proto::SEVERITY_HIGH ? spdlog::level::err : spdlog::level::warn,
                    "alert_" + a.rule, "alert " + a.rule + ": " + a.message);
      add(alert_event(a), kRecordAlert);
    }
    for (const SchemaViolation& v : violations_) {
      problems_.log(spdlog::level::warn, "schema_" + v.contract,
                    "schema contract " + v.contract + " violated by " + v.source + ": " + v.reason +
                        (v.key.empty() ? "" : " " + v.key));
      const proto::TelemetryEvent e = violation_event(v, now_ns);
      const bool persisted = e.level() >= config_.persist_min_severity;
      add(e, persisted ? std::optional<std::uint8_t>(kRecordEvent) : std::nullopt);
    }
    raised_.clear();
    violations_.clear();
  }
  // Emergency first, so a CRITICAL alert never waits behind a burst of warnings.
  std::stable_partition(out.begin(), out.end(),
                        [](const proto::Envelope& e) { return e.severity() >= proto::SEVERITY_HIGH; });
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
  alerts_.reconfigure(std::move(fresh.alerts));
  persist_own(kRecordAlertsCleared, proto::Envelope());
  contracts_.reconfigure(std::move(fresh.schema_contracts));
  sessions_.set_options(std::move(fresh.sessions));
  raised_.clear();
  ++counters_.reloads;
  result.message = "reloaded " + std::to_string(result.rules) + " alert rules and " +
                   std::to_string(result.contracts) + " schema contracts; alert baselines and history reset";
  spdlog::info("{}", result.message);
  return result;
}

std::string Observer::metrics_json() const {
  std::lock_guard lock(mu_);
  nlohmann::json j;
  j["points_total"] = counters_.points;
  j["events_total"] = counters_.events;
  j["series"] = aggregator_.series_count();
  j["series_refused_total"] = aggregator_.refused_total();
  j["field_reports_stored"] = reports_.size();
  j["field_reports_duplicate_total"] = counters_.reports_duplicate;
  j["acks_total"] = counters_.acks_sent;
  j["acks_unsent_total"] = counters_.acks_unsent;
  j["wal_errors_total"] = counters_.wal_errors;
  j["wal_segments_expired_total"] = counters_.wal_segments_expired;
  j["wal_corrupt_records_total"] = counters_.wal_corrupt_records;
  j["field_reports_expired_total"] = counters_.reports_expired;
  j["rejected_total"] = subscriber_->rejected_total();
  j["alert_rules"] = alerts_.rules().size();
  j["alerts_total"] = alerts_.log().total();
  j["alerts_published_total"] = counters_.alerts_published;
  j["alerts_unsent_total"] = counters_.alerts_unsent;
  j["alert_evaluations_total"] = alerts_.evaluations_total();
  j["schema_violations_total"] = contracts_.total();
  j["sessions"] = sessions_.sessions();
  j["reloads_total"] = counters_.reloads;
  return j.dump();
}

ObserverCounters Observer::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

void Observer::publish_own_telemetry() {
  std::uint64_t wal_bytes = 0;
  for (const auto& segment : wal::list_segments(wal_dir(config_))) wal_bytes += segment.size;

  proto::Envelope envelope;
  envelope.set_severity(proto::SEVERITY_INFO);
  auto* packet = envelope.mutable_telemetry();
  packet->set_source_subsystem("nissa");
  packet->set_timestamp_unix_ns(proto::now_unix_ns());
  packet->set_level(proto::SEVERITY_INFO);
  {
    std::lock_guard lock(mu_);
    const auto counter = proto::METRIC_KIND_COUNTER;
    const auto gauge = proto::METRIC_KIND_GAUGE;
    std::vector<proto::MetricPoint> points;
    for (std::size_t k = 0; k < counters_.ingested_by_kind.size(); ++k) {
      points.push_back(proto::make_point("nissa.ingested_total", static_cast<double>(counters_.ingested_by_kind[k]), "count",
                                 counter, {{"kind", std::string(proto::kind_name(static_cast<proto::BodyKind>(k)))}}));
    }
    for (std::size_t r = 0; r < proto::kDecodeErrorCount; ++r) {
      const auto reason = static_cast<proto::DecodeError>(r);
      points.push_back(proto::make_point("nissa.rejected_total", static_cast<double>(subscriber_->rejected(reason)), "count",
                                 counter, {{"reason", std::string(proto::decode_error_name(reason))}}));
    }
    points.push_back(proto::make_point("nissa.points_total", static_cast<double>(counters_.points), "count", counter));
    points.push_back(proto::make_point("nissa.events_total", static_cast<double>(counters_.events), "count", counter));
    points.push_back(proto::make_point("nissa.series", static_cast<double>(aggregator_.series_count()), "count", gauge));
    points.push_back(proto::make_point("nissa.series_refused_total", static_cast<double>(aggregator_.refused_total()),
                               "count", counter));
    points.push_back(proto::make_point("nissa.wal_bytes", static_cast<double>(wal_bytes), "bytes", gauge));
    points.push_back(proto::make_point("nissa.wal_errors_total", static_cast<double>(counters_.wal_errors), "count", counter));
    points.push_back(proto::make_point("nissa.wal_segments_expired_total",
                                      static_cast<double>(counters_.wal_segments_expired), "count", counter));
    points.push_back(proto::make_point("nissa.wal_corrupt_records_total",
                                      static_cast<double>(counters_.wal_corrupt_records), "count", counter));
    points.push_back(proto::make_point("nissa.field_reports_expired_total",
                                      static_cast<double>(counters_.reports_expired), "count", counter));
    points.push_back(proto::make_point("nissa.field_reports_stored", static_cast<double>(reports_.size()), "count", gauge));
    points.push_back(proto::make_point("nissa.field_reports_duplicate_total",
                               static_cast<double>(counters_.reports_duplicate), "count", counter));
    points.push_back(proto::make_point("nissa.acks_total", static_cast<double>(counters_.acks_sent), "count", counter));
    points.push_back(proto::make_point("nissa.acks_unsent_total", static_cast<double>(counters_.acks_unsent), "count", counter));
    points.push_back(proto::make_point("nissa.sequence_gaps_total", static_cast<double>(subscriber_->sequences().gaps()),
                               "count", counter));
    for (const auto& [rule_severity, n] : alerts_.raised_total()) {
      points.push_back(proto::make_point("nissa.alerts_total", static_cast<double>(n), "count", counter,
                                        {{"rule", rule_severity.first},
                                         {"severity", std::string(proto::severity_name(rule_severity.second))}}));
    }
    points.push_back(proto::make_point("nissa.alert_log_size", static_cast<double>(alerts_.log().alerts().size()),
                                      "count", gauge));
    points.push_back(proto::make_point("nissa.alert_rules", static_cast<double>(alerts_.rules().size()), "count", gauge));
    points.push_back(proto::make_point("nissa.alert_evaluations_total",
                                      static_cast<double>(alerts_.evaluations_total()), "count", counter));
    points.push_back(proto::make_point("nissa.alerts_unsent_total", static_cast<double>(counters_.alerts_unsent),
                                      "count", counter));
    for (const auto& [key, n] : contracts_.violations_total()) {
      points.push_back(proto::make_point("nissa.schema_violations_total", static_cast<double>(n), "count", counter,
                                        {{"contract", std::get<0>(key)},
                                         {"producer", std::get<1>(key)},
                                         {"reason", std::get<2>(key)},
                                         {"key", std::get<3>(key)}}));
    }
    points.push_back(proto::make_point("nissa.sessions", static_cast<double>(sessions_.sessions()), "count", gauge));
    points.push_back(proto::make_point("nissa.reloads_total", static_cast<double>(counters_.reloads), "count", counter));
    for (const auto reason : kHttpRefusals) {
      points.push_back(proto::make_point("nissa.http_refused_total", static_cast<double>(http_refusals_.total(reason)),
                                        "count", counter, {{"reason", std::string(http_refusal_name(reason))}}));
    }
    const std::int64_t t = now_ms();
    for (auto& p : points) {
      aggregator_.add("nissa", p, t);
      *packet->add_metrics() = std::move(p);
    }
  }
  if (!publisher_->publish(std::move(envelope))) {
    problems_.log(spdlog::level::warn, "telemetry_unsent", "could not hand nissa.* telemetry to Oona in time");
  }
}

void Observer::expire_segments() {
  if (config_.retention.count() <= 0) return;
  const auto cutoff = std::filesystem::file_time_type::clock::now() - config_.retention;
  const std::uint64_t current = wal_->current_segment();
  // Oldest first, stopping at the first one to keep: reports are forgotten as a prefix.
  for (const auto& segment : wal::list_segments(wal_dir(config_))) {
    if (segment.number >= current) break;
    std::error_code error;
    const auto written = std::filesystem::last_write_time(segment.path, error);
    if (error || written > cutoff) break;
    if (auto s = wal_->delete_segment(segment.number); !s.ok()) {
      problems_.log(spdlog::level::err, "wal_retention",
                    "cannot delete expired WAL segment " + std::to_string(segment.number) + ": " + s.message());
      break;
    }
    std::lock_guard lock(mu_);
    const std::size_t forgotten = reports_.forget_through_segment(segment.number);
    counters_.reports_expired += forgotten;
    ++counters_.wal_segments_expired;
    spdlog::info("retention: deleted WAL segment {} ({} field reports older than the retention period)",
                 segment.number, forgotten);
  }
}

void Observer::checkpoint() {
  // Captured a chunk of series per lock hold, so ingest (emergencies and acks included) and the
  // HTTP readers wait ~1 ms at a time rather than the whole capture; the bytes are made unlocked.
  // Series created meanwhile are left for the next checkpoint.
  constexpr std::size_t kSeriesPerLock = 1000;
  std::string bytes;
  {
    AggregatesSnapshot snapshot;
    std::size_t total = 0;
    {
      std::lock_guard lock(mu_);
      total = aggregator_.series_count();
    }
    for (std::size_t done = 0; done < total;) {
      std::lock_guard lock(mu_);
      const std::size_t end = std::min(total, done + kSeriesPerLock);
      snapshot.capture(aggregator_, done, end);
      done = end;
    }
    bytes = snapshot.serialize();
  }
  if (const auto s = wal::write_file_atomically(checkpoint_path(config_), bytes); !s.ok()) {
    problems_.log(spdlog::level::err, "checkpoint", "cannot write checkpoint: " + s.message());
  }
}

}  // namespace esper::nissa
