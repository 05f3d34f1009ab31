// The subcommands of `esper-wal`, as functions that write to a stream and return the exit code, so
// tests can run them without a process. All but `compact` are read-only: they open segment files
// O_RDONLY, take no lock, and treat an unfinished record at the end of the last segment as "tail in
// progress" (a live writer mid-append), not as corruption. `requeue` writes only a request file
// (requeue_request.h); `compact` deletes only whole segments that retention allows, never the last.
#ifndef ESPER_FIELD_REPORTS_WAL_INSPECT_H_
#define ESPER_FIELD_REPORTS_WAL_INSPECT_H_

#include <filesystem>
#include <ostream>
#include <string>

namespace esper::field_reports {

// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitProblems = 1;  // verify found corruption.
inline constexpr int kExitError = 2;     // I/O error, bad arguments, unknown report.

int wal_stat(const std::filesystem::path& dir, std::ostream& out, std::ostream& err);
int wal_dump(const std::filesystem::path& dir, bool json, std::ostream& out, std::ostream& err);
int wal_verify(const std::filesystem::path& dir, std::ostream& out, std::ostream& err);
// `report_id` empty: every dropped report.
int wal_requeue(const std::filesystem::path& dir, const std::string& report_id, std::ostream& out,
                std::ostream& err);
int wal_compact(const std::filesystem::path& dir, std::ostream& out, std::ostream& err);

}  // namespace esper::field_reports

#endif  // ESPER_FIELD_REPORTS_WAL_INSPECT_H_
