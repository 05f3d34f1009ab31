// The outbox itself: opening (the WAL, then replay and requeue requests), appending reports,
// settling them on Nissa's ack, and what it exports. The publish cycle, replay, requeue requests and
// retention have files of their own (outbox_publish.cc, outbox_replay.cc, outbox_requeue.cc,
// outbox_retention.cc).
#include "field_reports/outbox.h"

#include <cerrno>

#include <spdlog/spdlog.h>

#include "field_reports/report_id.h"

namespace esper::field_reports {
namespace {

std::uint64_t unix_now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace

Outbox::Outbox(OutboxOptions options, ReportPublisher& publisher, EventSink events)
    : options_(std::move(options)), publisher_(publisher), events_(std::move(events)) {}

Outbox::~Outbox() = default;

std::unique_ptr<Outbox> Outbox::open(OutboxOptions options, ReportPublisher& publisher, EventSink events,
                                     wal::Status* status) {
  wal::Status local;
  wal::Status& out = status ? *status : local;
  std::unique_ptr<Outbox> outbox(new Outbox(std::move(options), publisher, std::move(events)));
  wal::WalWriterOptions wal_options;
  wal_options.dir = outbox->options_.wal_dir;
  wal_options.durability = outbox->options_.durability;
  wal_options.segment_size = outbox->options_.segment_size;
  wal_options.file_ops = outbox->options_.file_ops;
  outbox->wal_ = wal::WalWriter::open(wal_options, &out);
  if (!outbox->wal_) return nullptr;
  out = outbox->replay();
  if (!out.ok()) return nullptr;
  outbox->take_requeue_requests();
  return outbox;
}

OutboxClock::time_point Outbox::now() const { return options_.clock ? options_.clock() : OutboxClock::now(); }

void Outbox::queue_locked(const proto::FieldReport& report, OutboxClock::time_point due) {
  const std::uint64_t order = next_order_++;
  Pending& p = pending_[order];
  p.report = report;
  p.due = due;
  pending_index_[report.report_id()] = order;
}

wal::Status Outbox::append(proto::FieldReport report, std::string* report_id) {
  if (report.report_id().empty()) {
    report.set_report_id(new_report_id(options_.source));
  } else {
    std::lock_guard lock(mu_);
    if (log_.find(report.report_id())) {
      return wal::Status::error(EEXIST, "report id " + report.report_id() + " was already used");
    }
  }
  if (report.issued_at_unix_ns() == 0) report.set_issued_at_unix_ns(unix_now_ns());
  report.set_retry_count(0);
  const std::string bytes = report.SerializeAsString();
  wal::Lsn lsn;
  if (wal::Status s = wal_->append_durable(to_byte(OutboxRecord::kReportAppended), bytes, &lsn); !s.ok()) {
    return s;
  }
  proto::TelemetryEvent event = make_event(
      "field_report_synthesised", proto::SEVERITY_INFO,
      {{"report_id", report.report_id()},
       {"command_id", report.command_id()},
       {"target_epochs", std::to_string(report.target_epochs())}});
  {
    std::lock_guard lock(mu_);
    log_.appended(report, lsn.position.segment);
    queue_locked(report, now());
  }
  if (report_id) *report_id = report.report_id();
  emit({event});
  return {};
}

void Outbox::on_ack(const proto::FieldReportAck& ack) {
  const std::string& id = ack.report_id();
  {
    std::lock_guard lock(mu_);
    const ReportEntry* entry = log_.find(id);
    if (!entry) {
      ++counters_.unknown_acks;
      bad_input_log_.log(spdlog::level::warn, "unknown_ack", "field-report outbox: ack for unknown report " + id);
      return;
    }
    if (entry->settled) return;  // A duplicate ack.
  }
  // Without the record the report stays pending; the ack to its next retry settles it.
  if (!write_id_record(OutboxRecord::kReportSettled, id, "record ack of")) return;
  std::lock_guard lock(mu_);
  log_.settled(id);
  ++counters_.settled_cumulative;
  if (auto idx = pending_index_.find(id); idx != pending_index_.end()) {
    pending_.erase(idx->second);
    pending_index_.erase(idx);
  }
  retention_due_ = true;
}

bool Outbox::write_id_record(OutboxRecord type, const std::string& id, const char* doing, const char* then) {
  const wal::Status s = wal_->append_durable(to_byte(type), id);
  if (s.ok()) return true;
  std::lock_guard lock(mu_);
  ++counters_.wal_errors;
  spdlog::error("field-report outbox: could not {} {}: {}{}", doing, id, s.message(), then);
  return false;
}

proto::TelemetryEvent Outbox::make_event(const char* name, proto::Severity level,
                                           std::map<std::string, std::string> attributes) {
  proto::TelemetryEvent event;
  event.set_event_id(new_report_id(options_.source + "-event"));
  event.set_description(name);
  event.set_level(level);
  for (auto& [k, v] : attributes) (*event.mutable_attributes())[k] = std::move(v);
  event.set_timestamp_unix_ns(unix_now_ns());
  return event;
}

void Outbox::emit(const std::vector<proto::TelemetryEvent>& events) {
  if (!events_) return;
  for (const auto& event : events) events_(event);
}

OutboxCounters Outbox::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

std::vector<proto::MetricPoint> Outbox::metric_points() const {
  const OutboxCounters c = counters();
  std::vector<proto::MetricPoint> points;
  auto add = [&](const char* name, std::uint64_t value, proto::MetricKind kind) {
    proto::MetricPoint& p = points.emplace_back();
    p.set_name(options_.metric_prefix + "." + name);
    p.set_value(static_cast<double>(value));
    p.set_unit("count");
    p.set_kind(kind);
  };
  add("pending_total", c.pending_total, proto::METRIC_KIND_GAUGE);
  add("published_total", c.published_last_cycle, proto::METRIC_KIND_GAUGE);
  add("retries_total", c.retries_last_cycle, proto::METRIC_KIND_GAUGE);
  add("dropped_total", c.dropped_total, proto::METRIC_KIND_COUNTER);
  add("wal_corrupt_records_total", c.wal_corrupt_records, proto::METRIC_KIND_COUNTER);
  return points;
}

std::vector<std::string> Outbox::pending_ids() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> ids;
  for (const auto& [order, p] : pending_) ids.push_back(p.report.report_id());
  return ids;
}

std::uint64_t Outbox::deleted_segments() const {
  std::lock_guard lock(mu_);
  return deleted_segments_;
}

}  // namespace esper::field_reports
