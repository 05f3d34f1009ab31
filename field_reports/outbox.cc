#include "field_reports/outbox.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include "field_reports/outbox_records.h"
#include "field_reports/report_id.h"
#include "field_reports/requeue_request.h"
#include "wal/wal_quarantine.h"

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

wal::Status Outbox::replay() {
  wal::WalReadSummary summary;
  wal::Status s = wal::read_wal(options_.wal_dir, [&](const wal::WalRecord& record) { log_.apply(record); }, &summary);
  if (!s.ok()) return s;
  // The writer already truncated a torn tail; what is left is corruption, which costs only the
  // damaged records: copy it aside, say so once, count it.
  const wal::CorruptionReport corruption = wal::quarantine_corruption(options_.wal_dir, "field-report WAL", summary.problems);
  if (log_.unparseable() > 0) {
    spdlog::error("field-report WAL {}: {} records could not be parsed and were skipped",
                  options_.wal_dir.string(), log_.unparseable());
  }
  std::lock_guard lock(mu_);
  const auto start = now();
  std::vector<const proto::FieldReport*> unsettled;
  for (const auto& [id, entry] : log_.entries()) {
    if (!entry.settled && !entry.dropped && entry.report) unsettled.push_back(&*entry.report);
  }
  // Oldest first, so a restart resends in the original order.
  std::sort(unsettled.begin(), unsettled.end(), [](const auto* a, const auto* b) {
    return a->issued_at_unix_ns() < b->issued_at_unix_ns();
  });
  for (const auto* report : unsettled) queue_locked(*report, start);
  counters_.pending_total = pending_.size();
  counters_.wal_corrupt_records = corruption.corrupt_ranges;
  spdlog::info("field-report outbox {}: replayed {} records, {} reports pending, {} dropped",
               options_.wal_dir.string(), summary.records, pending_.size(), log_.dropped_count());
  return {};
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

OutboxClock::duration Outbox::backoff(std::uint32_t failures) const {
  auto delay = std::chrono::duration_cast<OutboxClock::duration>(options_.initial_backoff);
  const auto cap = std::chrono::duration_cast<OutboxClock::duration>(options_.max_backoff);
  for (std::uint32_t i = 0; i < failures && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

bool Outbox::fail_attempt_locked(Pending& p, std::vector<proto::TelemetryEvent>& events) {
  ++p.failures;
  ++counters_.retries_last_cycle;
  ++counters_.retries_cumulative;
  const std::string& id = p.report.report_id();
  const std::string count = std::to_string(p.failures);
  if (p.failures > options_.retry_cap) {
    events.push_back(make_event("field_report_drop", proto::SEVERITY_WARNING,
                                {{"report_id", id}, {"retry_count", count}}));
    ++counters_.dropped_total;
    return false;
  }
  events.push_back(make_event("field_report_retry", proto::SEVERITY_WARNING,
                              {{"report_id", id}, {"retry_count", count}}));
  return true;
}

void Outbox::publish_cycle() {
  take_requeue_requests();
  std::vector<proto::TelemetryEvent> events;

  const auto cycle_start = now();
  std::vector<proto::FieldReport> due;
  std::vector<std::string> to_drop;
  {
    std::lock_guard lock(mu_);
    counters_.published_last_cycle = 0;
    counters_.retries_last_cycle = 0;
    // Reports sent and still inside their ack timeout. At most max_in_flight may be: when acks are
    // slow (Nissa or Oona overloaded) the outbox then sends less instead of adding retries to the
    // queue that makes acks slow, which would never settle.
    std::size_t in_flight = 0;
    for (const auto& entry : pending_) in_flight += entry.second.awaiting_ack && entry.second.due > cycle_start;
    for (auto it = pending_.begin(); it != pending_.end();) {
      Pending& p = it->second;
      if (p.due > cycle_start) {
        ++it;
        continue;
      }
      if (p.awaiting_ack) {  // No ack in time.
        if (!fail_attempt_locked(p, events)) {
          to_drop.push_back(p.report.report_id());
          pending_index_.erase(p.report.report_id());
          it = pending_.erase(it);
          continue;
        }
        p.awaiting_ack = false;  // To be sent again, when the window has room.
      }
      if (in_flight + due.size() >= options_.max_in_flight) {  // Waits, untried, for a later cycle.
        ++it;
        continue;
      }
      p.report.set_retry_count(p.failures);
      due.push_back(p.report);
      ++it;
    }
  }

  // Publish without the lock: the publisher may deliver an ack (on_ack) from inside publish().
  std::vector<PublishResult> results;
  results.reserve(due.size());
  for (const auto& report : due) {
    results.push_back(publisher_.publish(report));
    // The bus pushed back (full, or Oona gone): the rest of this cycle's reports wait for the next
    // cycle untried, with no failed attempt counted, instead of each blocking for the publisher's
    // bound while acks queue up unread behind us.
    if (results.back() == PublishResult::kRefused) break;
  }

  {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < due.size(); ++i) {
      const std::string& id = due[i].report_id();
      if (i >= results.size()) {  // Not tried this cycle: due again at the next one.
        if (auto idx = pending_index_.find(id); idx != pending_index_.end()) pending_.at(idx->second).awaiting_ack = false;
        continue;
      }
      const bool accepted = results[i] == PublishResult::kAccepted;
      if (accepted) {
        ++counters_.published_last_cycle;
        ++counters_.published_cumulative;
      }
      auto idx = pending_index_.find(id);
      if (idx == pending_index_.end()) {
        if (!accepted) {  // Settled while we published; a refusal no longer matters.
          ++counters_.retries_last_cycle;
          ++counters_.retries_cumulative;
        }
        continue;
      }
      Pending& p = pending_.at(idx->second);
      if (accepted) {
        p.awaiting_ack = true;
        p.due = cycle_start + backoff(p.failures);
      } else if (fail_attempt_locked(p, events)) {
        p.awaiting_ack = false;
        p.due = cycle_start + backoff(p.failures);
      } else {
        to_drop.push_back(id);
        pending_.erase(idx->second);
        pending_index_.erase(idx);
      }
    }
    counters_.pending_total = pending_.size();
  }
  for (const auto& id : to_drop) write_drop(id);
  emit(events);
  run_retention();
}

void Outbox::write_drop(const std::string& id) {
  const wal::Status s = wal_->append_durable(to_byte(OutboxRecord::kReportDropped), id);
  std::lock_guard lock(mu_);
  if (!s.ok()) {
    // Without the record a restart retries the report again: harmless (Nissa deduplicates).
    ++counters_.wal_errors;
    spdlog::error("field-report outbox: could not record drop of {}: {}", id, s.message());
    return;
  }
  log_.dropped(id);
  retention_due_ = true;  // Its segment may now be relocated.
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
  const wal::Status s = wal_->append_durable(to_byte(OutboxRecord::kReportSettled), id);
  std::lock_guard lock(mu_);
  if (!s.ok()) {
    // The report stays pending; the ack to its next retry settles it.
    ++counters_.wal_errors;
    spdlog::error("field-report outbox: could not record ack of {}: {}", id, s.message());
    return;
  }
  log_.settled(id);
  ++counters_.settled_cumulative;
  if (auto idx = pending_index_.find(id); idx != pending_index_.end()) {
    pending_.erase(idx->second);
    pending_index_.erase(idx);
  }
  retention_due_ = true;
}

void Outbox::take_requeue_requests() {
  for (const RequeueRequest& request : read_requeue_requests(options_.wal_dir)) {
    std::vector<std::string> ids;
    std::unordered_set<std::string> seen;  // A request may name an id twice, or an id and "*".
    auto add = [&](const std::string& id) {
      if (seen.insert(id).second) ids.push_back(id);
    };
    {
      std::lock_guard lock(mu_);
      for (const auto& id : request.ids) {
        if (id == kRequeueAllDropped) {
          for (const auto& [known, entry] : log_.entries()) {
            if (entry.dropped && !entry.settled) add(known);
          }
          continue;
        }
        const ReportEntry* entry = log_.find(id);
        if (!entry || entry->settled || !entry->dropped) {
          spdlog::warn("field-report outbox: requeue of {} ignored: {}", id,
                       !entry ? "unknown report" : entry->settled ? "already settled" : "not dropped");
          continue;
        }
        add(id);
      }
    }
    bool all_written = true;
    for (const auto& id : ids) {
      const wal::Status s = wal_->append_durable(to_byte(OutboxRecord::kReportRequeued), id);
      std::lock_guard lock(mu_);
      if (!s.ok()) {
        ++counters_.wal_errors;
        spdlog::error("field-report outbox: could not requeue {}: {}; will retry", id, s.message());
        all_written = false;
        continue;
      }
      const ReportEntry* entry = log_.find(id);
      if (!entry || !entry->dropped || !entry->report) continue;
      log_.requeued(id);
      queue_locked(*entry->report, now());
      ++counters_.requeued_cumulative;
      spdlog::info("field-report outbox: requeued {}", id);
    }
    if (all_written) ::unlink(request.path.c_str());  // Else kept: picked up again next cycle.
  }
  std::lock_guard lock(mu_);
  counters_.pending_total = pending_.size();
}

void Outbox::run_retention() {
  {
    std::lock_guard lock(mu_);
    if (!retention_due_) return;
    retention_due_ = false;
  }
  delete_settled_segments();
  if (relocate_dropped_from_oldest_segment()) delete_settled_segments();
}

void Outbox::delete_settled_segments() {
  std::vector<std::uint64_t> deletable;
  {
    std::lock_guard lock(mu_);
    std::vector<std::uint64_t> numbers;
    for (const auto& s : wal::list_segments(options_.wal_dir)) numbers.push_back(s.number);
    deletable = log_.deletable_segments(numbers, wal_->current_segment());
  }
  for (std::uint64_t segment : deletable) {
    if (wal::Status s = wal_->delete_segment(segment); !s.ok()) {
      spdlog::warn("field-report outbox: retention could not delete segment {}: {}", segment, s.message());
      return;
    }
    std::lock_guard lock(mu_);
    log_.forget_segment(segment);
    ++deleted_segments_;
  }
}

bool Outbox::relocate_dropped_from_oldest_segment() {
  std::vector<proto::FieldReport> reports;
  {
    std::lock_guard lock(mu_);
    const auto segments = wal::list_segments(options_.wal_dir);
    if (segments.empty() || segments.front().number >= wal_->current_segment()) return false;
    bool all_dropped = false;
    const auto ids = log_.unsettled_in(segments.front().number, &all_dropped);
    // Pending reports settle or drop soon; only dropped ones would pin the segment for ever.
    if (ids.empty() || !all_dropped) return false;
    for (const auto& id : ids) {
      const ReportEntry* entry = log_.find(id);
      if (entry && entry->report) reports.push_back(*entry->report);
    }
  }
  std::vector<std::pair<std::string, std::uint64_t>> moved;
  for (const auto& report : reports) {
    wal::Lsn lsn;
    wal::Status s = wal_->append_durable(to_byte(OutboxRecord::kReportAppended), report.SerializeAsString(), &lsn);
    if (s.ok()) s = wal_->append_durable(to_byte(OutboxRecord::kReportDropped), report.report_id());
    if (!s.ok()) {
      std::lock_guard lock(mu_);
      ++counters_.wal_errors;
      spdlog::error("field-report outbox: could not relocate dropped report {}: {}", report.report_id(), s.message());
      break;
    }
    moved.emplace_back(report.report_id(), lsn.position.segment);
  }
  std::lock_guard lock(mu_);
  for (const auto& [id, segment] : moved) log_.relocated(id, segment);
  return !moved.empty();
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
