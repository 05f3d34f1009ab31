// Parses one segment image (the bytes of a segment file) record by record, stopping at the first
// record that is not good and saying where and why. Pure: no I/O, so the fuzzer drives it directly.
#ifndef ESPER_FIELD_REPORTS_SEGMENT_SCANNER_H_
#define ESPER_FIELD_REPORTS_SEGMENT_SCANNER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace esper::field_reports {

enum class ProblemKind {
  kTornTail,  // The data ends mid-record (or only zeros follow): an unfinished write.
  kCorrupt,   // Bytes that were written completely but fail a check.
};
std::string_view to_string(ProblemKind kind);

struct ScanProblem {
  ProblemKind kind;
  std::uint64_t offset;  // Where the bad record (or segment header) starts.
  std::string what;      // e.g. "payload checksum mismatch (length 256, type 1)".
};

struct ScannedRecord {
  std::uint8_t type;
  std::string_view payload;  // Points into the scanned bytes.
  std::uint64_t offset;      // Of the record header.
};

struct SegmentScan {
  std::uint64_t valid_end = 0;  // End of the last good record (or of the segment header).
  std::uint64_t records = 0;
  std::optional<ScanProblem> problem;
};

SegmentScan scan_segment(std::string_view bytes,
                         const std::function<void(const ScannedRecord&)>& on_record);

}  // namespace esper::field_reports

#endif  // ESPER_FIELD_REPORTS_SEGMENT_SCANNER_H_
