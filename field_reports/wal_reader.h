// Reads a WAL directory in order, segment by segment, record by record. Read-only: it opens files
// O_RDONLY and takes no lock, so it can run beside a live writer (it reads each segment up to the
// size it had when opened; an unfinished record at the end of the last segment is a torn tail, which
// a live writer makes normal).
//
// Within a segment, reading stops at the first bad record and the problem is recorded with its
// segment and offset. By default the reader then goes on with the NEXT segment: a corrupt record in
// an old segment must not hide everything written after it (the writer keeps appending to later
// segments after a restart, and those records must replay). ReadMode::kStopAtFirstProblem stops
// the whole read instead.
#ifndef ESPER_FIELD_REPORTS_WAL_READER_H_
#define ESPER_FIELD_REPORTS_WAL_READER_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "field_reports/segment_scanner.h"
#include "field_reports/wal_format.h"
#include "field_reports/wal_status.h"

namespace esper::field_reports {

struct SegmentFile {
  std::uint64_t number = 0;
  std::filesystem::path path;
  std::uint64_t size = 0;
};

// The segment files of `dir`, by number. Missing directory: empty.
std::vector<SegmentFile> list_segments(const std::filesystem::path& dir);

struct WalProblem {
  std::uint64_t segment = 0;
  std::uint64_t offset = 0;
  ProblemKind kind = ProblemKind::kCorrupt;
  bool in_last_segment = false;
  std::string what;
  // A torn tail at the end of the last segment: a crash mid-write or a live writer mid-append.
  bool is_tail() const { return in_last_segment && kind == ProblemKind::kTornTail; }
};
std::string describe(const WalProblem& problem);  // "segment 3 offset 4096: corrupt: ..."

struct WalRecord {
  std::uint8_t type = 0;
  std::string_view payload;  // Valid during the callback only.
  RecordPosition position;
};

enum class ReadMode { kSkipToNextSegment, kStopAtFirstProblem };

struct WalReadSummary {
  std::uint64_t segments = 0;
  std::uint64_t bytes = 0;    // Segment bytes read.
  std::uint64_t records = 0;  // Good records delivered.
  std::vector<WalProblem> problems;
};

// Reads a whole file as it is now into `buffer` (O_RDONLY).
Status read_segment_file(const std::filesystem::path& path, std::string& buffer);

// Calls `on_record` for every good record in log order. Fails only on I/O errors (unreadable
// directory or file); bad data is reported in the summary, never as a failure.
Status read_wal(const std::filesystem::path& dir,
                const std::function<void(const WalRecord&)>& on_record, WalReadSummary* summary,
                ReadMode mode = ReadMode::kSkipToNextSegment);

}  // namespace esper::field_reports

#endif  // ESPER_FIELD_REPORTS_WAL_READER_H_
