// The outbox's state as the WAL records it: for every report id, where it was appended and whether
// it is settled or dropped. Built by replaying the log in order (apply), then kept up to date by the
// live outbox as it appends. Shared by the outbox and `esper-wal` (stat, requeue, compact).
//
// Retention rule: segments are deleted oldest first, and only while every report APPENDED in the
// segment is settled. A settle/drop/requeue record always follows its report's append, so deleting a
// prefix of segments never leaves a settle record's report behind (which would resurrect it).
//
// Relocation: a dropped report would pin its segment (and so every later one) for ever. The live
// outbox therefore re-appends the reports that pin the oldest segment, when all of them are dropped,
// at the end of the log (a second kReportAppended for the same id, then kReportDropped again), after
// which the old segment is deletable. Replay treats a second append of an unsettled id as "moved
// here" (flags unchanged), so a crash between relocation and deletion is harmless. `esper-wal
// compact` never relocates (it does not write into a live log): it only deletes the settled prefix.
#ifndef ESPER_FIELD_REPORTS_OUTBOX_LOG_H_
#define ESPER_FIELD_REPORTS_OUTBOX_LOG_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "esper/field_report.pb.h"
#include "wal/wal_reader.h"

namespace esper::field_reports {

struct ReportEntry {
  std::uint64_t segment = 0;  // Where its kReportAppended record is.
  bool settled = false;
  bool dropped = false;       // Cleared by a requeue.
  std::optional<proto::FieldReport> report;  // Kept only while unsettled.
};

class OutboxLog {
 public:
  // Applies one replayed record. Records that do not parse are counted, never fatal.
  void apply(const wal::WalRecord& record);

  // Live updates (the record has been written).
  void appended(const proto::FieldReport& report, std::uint64_t segment);
  void settled(const std::string& id);
  void dropped(const std::string& id);
  void requeued(const std::string& id);
  void relocated(const std::string& id, std::uint64_t segment);  // Re-appended in `segment`.

  const ReportEntry* find(const std::string& id) const;
  const std::unordered_map<std::string, ReportEntry>& entries() const { return entries_; }

  std::uint64_t pending() const;  // Unsettled and not dropped.
  std::uint64_t settled_count() const;
  std::uint64_t dropped_count() const;  // Dropped and unsettled.
  const std::array<std::uint64_t, 256>& records_by_type() const { return by_type_; }
  std::uint64_t unparseable() const { return unparseable_; }
  std::uint64_t unknown_ids() const { return unknown_ids_; }  // Records naming an id never appended.

  // Segments (from `segments`, never `current` or later) that retention may delete.
  std::vector<std::uint64_t> deletable_segments(const std::vector<std::uint64_t>& segments,
                                                std::uint64_t current) const;
  // Unsettled reports appended in `segment`, and whether all of them are dropped.
  std::vector<std::string> unsettled_in(std::uint64_t segment, bool* all_dropped) const;
  // Forgets reports appended in `segment` (after it was deleted).
  void forget_segment(std::uint64_t segment);

 private:
  ReportEntry* find_mutable(const std::string& id);

  std::unordered_map<std::string, ReportEntry> entries_;
  std::map<std::uint64_t, std::uint64_t> unsettled_by_segment_;
  std::array<std::uint64_t, 256> by_type_{};
  std::uint64_t unparseable_ = 0;
  std::uint64_t unknown_ids_ = 0;
};

}  // namespace esper::field_reports

#endif  // ESPER_FIELD_REPORTS_OUTBOX_LOG_H_
