// How every esper-wal command reaches the WAL it is pointed at: first a check that the path is a
// WAL at all, then one pass over all of it that shows its progress on stderr (wal_progress_display.h)
// for the commands that read the whole WAL. Errors are written to `err`, prefixed "esper-wal: ".
#ifndef ESPER_FIELD_REPORTS_WAL_INSPECT_READING_H_
#define ESPER_FIELD_REPORTS_WAL_INSPECT_READING_H_

#include <filesystem>
#include <functional>
#include <ostream>
#include <string>

#include "field_reports/wal_inspect.h"
#include "wal/wal_reader.h"

namespace esper::field_reports {

// A WAL directory always holds at least one segment (its writer creates the first on open), so a
// directory without one is a mistake worth naming: most often the state directory above the WAL.
// False (and a message) when `dir` is missing, not a directory, or holds no segment.
bool check_wal_dir(const std::filesystem::path& dir, std::ostream& err);

// Reads the WAL, showing progress as "<what> <dir>" unless `progress` is null; false (and a
// message) on I/O error.
bool read_whole_wal(const std::filesystem::path& dir, const std::string& what,
                    const std::function<void(const wal::WalRecord&)>& on_record, wal::WalReadSummary& summary,
                    std::ostream& err, const ProgressOutput* progress);

}  // namespace esper::field_reports

#endif  // ESPER_FIELD_REPORTS_WAL_INSPECT_READING_H_
