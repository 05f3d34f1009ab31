// The outbox's retention, run after a publish cycle that settled or dropped something: it deletes
// the leading segments whose reports are all settled, and relocates the dropped reports that alone
// keep the oldest segment alive to the end of the log, so that a dropped report never pins its
// segment (and every later one) for ever. outbox_log.h gives the rules and why a crash between
// relocation and deletion is harmless.
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "field_reports/outbox.h"

namespace esper::field_reports {

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

}  // namespace esper::field_reports
