// `esper-wal verify`: checks every checksum of the WAL and lists each corrupt range (segment,
// offset, length, and its quarantine copy if the owner made one). It fails (kExitProblems) until
// each range is acknowledged (wal_inspect_acknowledge.cc); acknowledged ranges are listed as such
// and no longer fail it. A torn tail at the end of the last segment is only a note: a live writer
// is mid-append.
#include <string>

#include "field_reports/wal_inspect.h"
#include "field_reports/wal_inspect_corruption.h"
#include "field_reports/wal_inspect_reading.h"

namespace esper::field_reports {
namespace {

void list_problems(const std::filesystem::path& dir, const wal::WalReadSummary& summary,
                   const CorruptRanges& corruption, std::ostream& out) {
  for (const auto& problem : summary.problems) {
    if (problem.is_tail()) {
      out << "note: " << describe(problem) << '\n';
    } else if (corruption.is_acknowledged(problem)) {
      out << "acknowledged: " << describe(problem) << quarantine_note(dir, problem) << '\n';
    } else {
      out << "CORRUPT " << describe(problem) << quarantine_note(dir, problem) << '\n';
    }
  }
}

void print_verdict(const std::filesystem::path& dir, const wal::WalReadSummary& summary,
                   const CorruptRanges& corruption, std::ostream& out) {
  const std::size_t bad = corruption.unacknowledged.size();
  out << (bad ? "FAILED" : "OK") << ": " << summary.segments << " segments, " << summary.records
      << " records checked, " << bad << " problems";
  if (!corruption.acknowledged.empty()) out << " (" << corruption.acknowledged.size() << " acknowledged)";
  if (summary.records == 0 && bad == 0) out << " (an empty WAL: no record has been written yet)";
  out << '\n';
  if (bad) {
    out << "every record outside these ranges is intact; once they have been looked at, record it with "
        << "`esper-wal acknowledge " << dir.string();
    for (const wal::WalProblem* p : corruption.unacknowledged) out << ' ' << p->segment << ':' << p->offset;
    out << "` (or --all)\n";
  }
}

}  // namespace

int wal_verify(const std::filesystem::path& dir, std::ostream& out, std::ostream& err, const ProgressOutput& progress) {
  if (!check_wal_dir(dir, err)) return kExitError;
  wal::WalReadSummary summary;
  if (!read_whole_wal(dir, "verifying", nullptr, summary, err, &progress)) return kExitError;
  const CorruptRanges corruption(dir, summary);
  list_problems(dir, summary, corruption, out);
  print_verdict(dir, summary, corruption, out);
  return corruption.unacknowledged.empty() ? kExitOk : kExitProblems;
}

}  // namespace esper::field_reports
