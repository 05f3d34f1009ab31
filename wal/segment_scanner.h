// Parses one segment image (the bytes of a segment file) record by record and says which byte ranges
// are not good records, and why. Pure: no I/O, so the fuzzer drives it directly.
//
// Damage costs only the damaged bytes. At a bad record (or a bad segment header) the scanner looks
// for the next position, byte by byte, where a complete valid record starts: a header that passes
// its check and the type/reserved/length rules, and a payload that passes its checksum. Records are
// not aligned, so every offset is a candidate; the two 32-bit checks make a false match
// vanishingly unlikely. If it finds one, the bytes in between are one corrupt range and scanning
// resumes there. If it finds none, the damage reaches the end of the segment: a torn tail when it
// looks like an unfinished write (fewer than 16 bytes, a valid header whose payload runs past the
// end, or zero bytes from somewhere inside the first damaged record to the end, which is space a
// crash allocated before the data reached it), otherwise a corrupt range up to where such a torn
// tail starts (or to the end).
//
// So records, problems and the 16-byte segment header (when it is good) tile the segment exactly,
// in order; at most one problem is a torn tail, and it is the last.
#ifndef ESPER_WAL_SEGMENT_SCANNER_H_
#define ESPER_WAL_SEGMENT_SCANNER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace esper::wal {

enum class ProblemKind {
  kTornTail,  // The data ends mid-record (or only zeros follow): an unfinished write.
  kCorrupt,   // Bytes that were written completely but fail a check.
};
std::string_view to_string(ProblemKind kind);

struct ScanProblem {
  ProblemKind kind;
  std::uint64_t offset;  // Where the damage starts: a record header, or 0 for the segment header.
  std::uint64_t length;  // Damaged bytes: up to the next good record, or to the end of the segment.
  std::string what;      // e.g. "payload checksum mismatch (length 256, type 1)".
};

struct ScannedRecord {
  std::uint8_t type;
  std::string_view payload;  // Points into the scanned bytes.
  std::uint64_t offset;      // Of the record header.
};

struct SegmentScan {
  bool header_ok = false;         // The 16-byte segment header is intact.
  std::uint64_t records = 0;
  std::vector<ScanProblem> problems;  // In offset order; a torn tail, if any, is the last.
  // The segment without its torn tail: where a writer may append (the whole size if no torn tail).
  std::uint64_t append_offset = 0;

  const ScanProblem* torn_tail() const {
    return !problems.empty() && problems.back().kind == ProblemKind::kTornTail ? &problems.back() : nullptr;
  }
};

SegmentScan scan_segment(std::string_view bytes,
                         const std::function<void(const ScannedRecord&)>& on_record);

}  // namespace esper::wal

#endif  // ESPER_WAL_SEGMENT_SCANNER_H_
