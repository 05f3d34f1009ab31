// `esper-wal requeue`: asks the service that owns an outbox WAL to resend dropped reports (one by id,
// or every dropped one). The tool never writes into a WAL that a live process may be appending to:
// it leaves a request file (requeue_request.h) that the outbox picks up on its next publish cycle or
// start.
#include <string>
#include <vector>

#include "field_reports/outbox_log.h"
#include "field_reports/requeue_request.h"
#include "field_reports/wal_inspect.h"
#include "field_reports/wal_inspect_reading.h"

namespace esper::field_reports {

int wal_requeue(const std::filesystem::path& dir, const std::string& report_id, std::ostream& out,
                std::ostream& err) {
  if (!check_wal_dir(dir, err)) return kExitError;
  OutboxLog log;
  wal::WalReadSummary summary;
  if (!read_whole_wal(dir, "reading", [&](const wal::WalRecord& r) { log.apply(r); }, summary, err, nullptr)) {
    return kExitError;
  }
  std::vector<std::string> ids;
  if (report_id.empty()) {
    if (log.dropped_count() == 0) {
      out << "no dropped reports to requeue\n";
      return kExitOk;
    }
    ids.push_back(kRequeueAllDropped);
    out << "requeueing " << log.dropped_count() << " dropped reports\n";
  } else {
    const ReportEntry* entry = log.find(report_id);
    if (!entry) {
      err << "esper-wal: no report " << report_id << " in " << dir.string() << '\n';
      return kExitError;
    }
    if (entry->settled) {
      err << "esper-wal: report " << report_id << " is already settled (acknowledged)\n";
      return kExitError;
    }
    if (!entry->dropped) out << "report " << report_id << " is already pending; requesting anyway\n";
    ids.push_back(report_id);
  }
  std::filesystem::path request;
  if (const wal::Status s = write_requeue_request(dir, ids, &request); !s.ok()) {
    err << "esper-wal: " << s.message() << '\n';
    return kExitError;
  }
  out << "request written to " << request.string()
      << "; the owning service picks it up on its next publish cycle or start\n";
  return kExitOk;
}

}  // namespace esper::field_reports
