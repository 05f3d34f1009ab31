// Requeue requests picked up by the live outbox (on open and at each publish cycle): for every
// dropped report a request names (requeue_request.h), a kReportRequeued record is written and the
// report is pending again, with a fresh retry count. A request file is deleted once all its records
// are written; otherwise it is kept and picked up again at the next cycle.
#include <unistd.h>

#include <string>
#include <unordered_set>
#include <vector>

#include <spdlog/spdlog.h>

#include "field_reports/outbox.h"
#include "field_reports/requeue_request.h"

namespace esper::field_reports {
namespace {

// The ids of dropped reports that `request` names, each once ("*" naming every dropped report).
std::vector<std::string> dropped_ids_requested(const RequeueRequest& request, const OutboxLog& log) {
  std::vector<std::string> ids;
  std::unordered_set<std::string> seen;  // A request may name an id twice, or an id and "*".
  auto add = [&](const std::string& id) {
    if (seen.insert(id).second) ids.push_back(id);
  };
  for (const auto& id : request.ids) {
    if (id == kRequeueAllDropped) {
      for (const auto& [known, entry] : log.entries()) {
        if (entry.dropped && !entry.settled) add(known);
      }
      continue;
    }
    const ReportEntry* entry = log.find(id);
    if (!entry || entry->settled || !entry->dropped) {
      spdlog::warn("field-report outbox: requeue of {} ignored: {}", id,
                   !entry ? "unknown report" : entry->settled ? "already settled" : "not dropped");
      continue;
    }
    add(id);
  }
  return ids;
}

}  // namespace

void Outbox::take_requeue_requests() {
  for (const RequeueRequest& request : read_requeue_requests(options_.wal_dir)) {
    std::vector<std::string> ids;
    {
      std::lock_guard lock(mu_);
      ids = dropped_ids_requested(request, log_);
    }
    bool all_written = true;
    for (const auto& id : ids) {
      if (!write_id_record(OutboxRecord::kReportRequeued, id, "requeue", "; will retry")) {
        all_written = false;
        continue;
      }
      std::lock_guard lock(mu_);
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

}  // namespace esper::field_reports
