// Reads a WAL directory in order, segment by segment, record by record. Read-only: it opens files
// O_RDONLY and takes no lock, so it can run beside a live writer (it reads each segment up to the
// size it had when opened; an unfinished record at the end of the last segment is a torn tail, which
// a live writer makes normal).
//
// Damage costs only the damaged bytes: within a segment the reader skips a bad range and resumes at
// the next good record (segment_scanner.h says how it finds it), in every segment, the last one
// included, and past a damaged segment header. Each damaged range is reported with its segment,
// offset and length; the owner of the WAL copies it aside (wal_quarantine.h) and `esper-wal verify`
// keeps reporting it until an operator acknowledges it (corruption_acknowledgments.h). A torn tail
// is reported too: at the end of the last segment it is an unfinished write (the writer truncates
// it on open, a live writer makes it normal); in an older segment it is data missing in the middle
// of the log, so it counts as corrupt.
//
// Long reads report progress (bytes of the listed segment sizes, records, time) through
// WalReadOptions::on_progress, at most once per interval and once more at the end; the clock is
// read only every few thousand records so that it costs nothing measurable.
#ifndef ESPER_WAL_WAL_READER_H_
#define ESPER_WAL_WAL_READER_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "wal/segment_scanner.h"
#include "wal/wal_format.h"
#include "wal/wal_status.h"

namespace esper::wal {

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
  std::uint64_t length = 0;  // Damaged bytes from offset (to the end of the segment for a torn tail).
  ProblemKind kind = ProblemKind::kCorrupt;
  bool in_last_segment = false;
  std::string what;
  // A torn tail at the end of the last segment: a crash mid-write or a live writer mid-append.
  bool is_tail() const { return in_last_segment && kind == ProblemKind::kTornTail; }
};
// "segment 3 offset 4096 length 250: corrupt: payload checksum mismatch (...)"
std::string describe(const WalProblem& problem);

struct WalRecord {
  std::uint8_t type = 0;
  std::string_view payload;  // Valid during the callback only.
  RecordPosition position;
};

struct WalReadSummary {
  std::uint64_t segments = 0;
  std::uint64_t bytes = 0;    // Segment bytes read.
  std::uint64_t records = 0;  // Good records delivered.
  std::vector<WalProblem> problems;
};

struct WalReadProgress {
  std::uint64_t bytes_done = 0;   // Of bytes_total; reaches it exactly when done.
  std::uint64_t bytes_total = 0;  // The segments' sizes when the read started.
  std::uint64_t records = 0;
  std::uint64_t segments_done = 0;
  std::uint64_t segments_total = 0;
  std::chrono::steady_clock::duration elapsed{};
  bool done = false;
};

struct WalReadOptions {
  // Called at most once per progress_interval while reading, and once with done = true at the end.
  std::function<void(const WalReadProgress&)> on_progress;
  std::chrono::milliseconds progress_interval{1000};
};

// Reads a whole file as it is now into `buffer` (O_RDONLY).
Status read_segment_file(const std::filesystem::path& path, std::string& buffer);

// Calls `on_record` for every good record in log order. Fails only on I/O errors (unreadable
// directory or file); bad data is reported in the summary, never as a failure.
Status read_wal(const std::filesystem::path& dir,
                const std::function<void(const WalRecord&)>& on_record, WalReadSummary* summary,
                const WalReadOptions& options = {});

}  // namespace esper::wal

#endif  // ESPER_WAL_WAL_READER_H_
