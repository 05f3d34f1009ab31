// Requeue requests: how `esper-wal requeue` asks the owning service to bring dropped reports back
// without writing into a WAL that a live process may be appending to. The tool writes a small text
// file (one report id per line, or the single line "*" for every dropped report) to
// DIR/requeue/<time>-<random>.req via a temporary name, fsync and rename. The outbox reads requests
// on start and at each publish cycle, appends a kReportRequeued record for each dropped id, and then
// deletes the file.
#ifndef ESPER_FIELD_REPORTS_REQUEUE_REQUEST_H_
#define ESPER_FIELD_REPORTS_REQUEUE_REQUEST_H_

#include <filesystem>
#include <string>
#include <vector>

#include "wal/wal_status.h"

namespace esper::field_reports {

inline constexpr const char* kRequeueAllDropped = "*";

std::filesystem::path requeue_dir(const std::filesystem::path& wal_dir);

// Writes a request for `ids` (or {kRequeueAllDropped}). Returns the request file in *path.
wal::Status write_requeue_request(const std::filesystem::path& wal_dir, const std::vector<std::string>& ids,
                             std::filesystem::path* path = nullptr);

struct RequeueRequest {
  std::filesystem::path path;
  std::vector<std::string> ids;  // May hold kRequeueAllDropped.
};
// Pending requests, oldest first (by name).
std::vector<RequeueRequest> read_requeue_requests(const std::filesystem::path& wal_dir);

}  // namespace esper::field_reports

#endif  // ESPER_FIELD_REPORTS_REQUEUE_REQUEST_H_
