// The subcommands of `esper-wal`, as functions that write to a stream and return the exit code, so
// tests can run them without a process. One file each: wal_inspect_stat.cc, _dump, _verify,
// _acknowledge, _requeue and _compact; what they share is in wal_inspect_reading.h (reaching the
// WAL), wal_inspect_corruption.h (corrupt ranges) and wal_record_decoding.h (every WAL's records).
//
// All but `compact` and `acknowledge` are read-only: they open segment files O_RDONLY, take no lock,
// and treat an unfinished record at the end of the last segment as "tail in progress" (a live
// writer mid-append), not as corruption. `requeue` writes only a request file (requeue_request.h);
// `acknowledge` only the acknowledgment list (corruption_acknowledgments.h); `compact` deletes only
// whole segments that retention allows, never the last.
//
// The tool knows whose WAL it reads: records of Nissa's types (nissa/store/journal_records.h) make it
// Nissa's, and `stat` then counts stored field reports, events, schema violations, alerts and
// alerts-cleared marks; otherwise it is an outbox's and `stat` counts reports pending, settled and
// dropped. Both decode records the same way `dump` does.
//
// Corruption: `verify` lists every corrupt range (segment, offset, length, and its quarantine copy
// if the owner made one) and fails until each is acknowledged; acknowledged ranges are listed as
// such and no longer fail it. The commands that read the whole WAL (stat, verify, compact,
// acknowledge) show their progress on stderr (wal_progress_display.h).
#ifndef ESPER_FIELD_REPORTS_WAL_INSPECT_H_
#define ESPER_FIELD_REPORTS_WAL_INSPECT_H_

#include <chrono>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace esper::field_reports {

// Exit codes, in the convention of every Esper command (cli/command_line.h).
inline constexpr int kExitOk = 0;
inline constexpr int kExitProblems = 1;  // verify found corruption that is not acknowledged.
inline constexpr int kExitError = 2;     // I/O error, bad arguments, unknown report or range.

// How progress reaches `err`: one updating line on a terminal, else a line every `log_every` and a
// last one at the end.
struct ProgressOutput {
  bool terminal = false;
  std::chrono::milliseconds log_every{5000};
};

int wal_stat(const std::filesystem::path& dir, std::ostream& out, std::ostream& err,
             const ProgressOutput& progress = {});
int wal_dump(const std::filesystem::path& dir, bool json, std::ostream& out, std::ostream& err);
int wal_verify(const std::filesystem::path& dir, std::ostream& out, std::ostream& err,
               const ProgressOutput& progress = {});
// `report_id` empty: every dropped report.
int wal_requeue(const std::filesystem::path& dir, const std::string& report_id, std::ostream& out,
                std::ostream& err);
int wal_compact(const std::filesystem::path& dir, std::ostream& out, std::ostream& err,
                const ProgressOutput& progress = {});
// Records that corrupt ranges were looked at: `ranges` as "SEGMENT:OFFSET" (as verify prints
// them), or every corrupt range when `all`.
int wal_acknowledge(const std::filesystem::path& dir, const std::vector<std::string>& ranges, bool all,
                    std::ostream& out, std::ostream& err, const ProgressOutput& progress = {});

}  // namespace esper::field_reports

#endif  // ESPER_FIELD_REPORTS_WAL_INSPECT_H_
