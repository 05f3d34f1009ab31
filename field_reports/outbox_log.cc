#include "field_reports/outbox_log.h"

#include "field_reports/outbox_records.h"

namespace esper::field_reports {

void OutboxLog::apply(const wal::WalRecord& record) {
  ++by_type_[record.type];
  const std::string id(record.payload);
  switch (static_cast<OutboxRecord>(record.type)) {
    case OutboxRecord::kReportAppended: {
      proto::FieldReport report;
      if (!report.ParseFromArray(record.payload.data(), static_cast<int>(record.payload.size())) ||
          report.report_id().empty()) {
        ++unparseable_;
        return;
      }
      appended(report, record.position.segment);
      return;
    }
    case OutboxRecord::kReportSettled:
      if (!find(id)) ++unknown_ids_;
      settled(id);
      return;
    case OutboxRecord::kReportDropped:
      if (!find(id)) ++unknown_ids_;
      dropped(id);
      return;
    case OutboxRecord::kReportRequeued:
      if (!find(id)) ++unknown_ids_;
      requeued(id);
      return;
  }
  ++unparseable_;  // A type this version does not know.
}

void OutboxLog::appended(const proto::FieldReport& report, std::uint64_t segment) {
  auto [it, inserted] = entries_.try_emplace(report.report_id());
  if (!inserted) {
    // The same id again: a relocation (see the header). The first append's content and flags stand.
    if (!it->second.settled) relocated(report.report_id(), segment);
    return;
  }
  it->second.segment = segment;
  it->second.report = report;
  ++unsettled_by_segment_[segment];
}

void OutboxLog::settled(const std::string& id) {
  ReportEntry* entry = find_mutable(id);
  if (!entry || entry->settled) return;
  entry->settled = true;
  entry->dropped = false;
  entry->report.reset();
  auto it = unsettled_by_segment_.find(entry->segment);
  if (it != unsettled_by_segment_.end() && --it->second == 0) unsettled_by_segment_.erase(it);
}

void OutboxLog::dropped(const std::string& id) {
  if (ReportEntry* entry = find_mutable(id); entry && !entry->settled) entry->dropped = true;
}

void OutboxLog::requeued(const std::string& id) {
  if (ReportEntry* entry = find_mutable(id)) entry->dropped = false;
}

void OutboxLog::relocated(const std::string& id, std::uint64_t segment) {
  ReportEntry* entry = find_mutable(id);
  if (!entry || entry->settled || entry->segment == segment) return;
  auto it = unsettled_by_segment_.find(entry->segment);
  if (it != unsettled_by_segment_.end() && --it->second == 0) unsettled_by_segment_.erase(it);
  entry->segment = segment;
  ++unsettled_by_segment_[segment];
}

std::vector<std::string> OutboxLog::unsettled_in(std::uint64_t segment, bool* all_dropped) const {
  std::vector<std::string> ids;
  *all_dropped = true;
  if (unsettled_by_segment_.count(segment) == 0) return ids;
  for (const auto& [id, e] : entries_) {
    if (e.segment != segment || e.settled) continue;
    ids.push_back(id);
    if (!e.dropped) *all_dropped = false;
  }
  return ids;
}

const ReportEntry* OutboxLog::find(const std::string& id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

ReportEntry* OutboxLog::find_mutable(const std::string& id) {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

std::uint64_t OutboxLog::pending() const {
  std::uint64_t n = 0;
  for (const auto& [id, e] : entries_) n += (!e.settled && !e.dropped) ? 1 : 0;
  return n;
}

std::uint64_t OutboxLog::settled_count() const {
  std::uint64_t n = 0;
  for (const auto& [id, e] : entries_) n += e.settled ? 1 : 0;
  return n;
}

std::uint64_t OutboxLog::dropped_count() const {
  std::uint64_t n = 0;
  for (const auto& [id, e] : entries_) n += (!e.settled && e.dropped) ? 1 : 0;
  return n;
}

std::vector<std::uint64_t> OutboxLog::deletable_segments(const std::vector<std::uint64_t>& segments,
                                                         std::uint64_t current) const {
  std::vector<std::uint64_t> out;
  for (std::uint64_t segment : segments) {
    if (segment >= current || unsettled_by_segment_.count(segment) != 0) break;
    out.push_back(segment);
  }
  return out;
}

void OutboxLog::forget_segment(std::uint64_t segment) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = (it->second.segment == segment && it->second.settled) ? entries_.erase(it) : std::next(it);
  }
}

}  // namespace esper::field_reports
