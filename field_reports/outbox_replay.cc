// The outbox's state rebuilt from its WAL on open: every record is applied to the log
// (outbox_log.h), and the reports neither settled nor dropped are pending again, oldest first, so a
// restart resends in the original order. The writer already truncated a torn tail; what is left is
// corruption, which costs only the damaged records: each range is copied aside, logged once and
// counted (wal_quarantine.h).
#include <algorithm>
#include <vector>

#include <spdlog/spdlog.h>

#include "field_reports/outbox.h"
#include "wal/wal_quarantine.h"

namespace esper::field_reports {

wal::Status Outbox::replay() {
  wal::WalReadSummary summary;
  wal::Status s = wal::read_wal(options_.wal_dir, [&](const wal::WalRecord& record) { log_.apply(record); }, &summary);
  if (!s.ok()) return s;
  const wal::CorruptionReport corruption =
      wal::quarantine_corruption(options_.wal_dir, "field-report WAL", summary.problems);
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

}  // namespace esper::field_reports
