// libFuzzer target for the WAL reader: arbitrary bytes as a segment file. The scanner must never
// crash, read out of bounds or loop, and what it reports must be consistent: every record it
// delivers passes both checks, and the segment header (when good), the records and the problems
// tile the input exactly, in order, with at most one torn tail, at the end, where appending resumes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "wal/segment_scanner.h"
#include "wal/wal_format.h"
#include "wal/wal_record_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fr = esper::wal;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  struct Piece {
    std::uint64_t offset, length;
  };
  std::vector<Piece> pieces;
  const fr::SegmentScan scan = fr::scan_segment(bytes, [&](const fr::ScannedRecord& r) {
    if (r.type == 0) std::abort();
    if (r.payload.data() < bytes.data() || r.payload.data() + r.payload.size() > bytes.data() + bytes.size()) {
      std::abort();
    }
    const char* header = bytes.data() + r.offset;
    if (fr::load_u32(header + 8) != fr::payload_check(r.payload) ||
        fr::load_u32(header + 12) != fr::header_check(header)) {
      std::abort();
    }
    pieces.push_back({r.offset, fr::kRecordHeaderSize + r.payload.size()});
  });
  if (pieces.size() != scan.records) std::abort();
  for (const auto& p : scan.problems) pieces.push_back({p.offset, p.length});
  std::sort(pieces.begin(), pieces.end(), [](const Piece& a, const Piece& b) { return a.offset < b.offset; });
  std::uint64_t expected = scan.header_ok ? fr::kSegmentHeaderSize : 0;
  for (const auto& p : pieces) {
    if (p.offset != expected) std::abort();
    expected += p.length;
  }
  if (expected != size) std::abort();
  if (!scan.header_ok && (scan.problems.empty() || scan.problems.front().offset != 0)) std::abort();
  for (std::size_t i = 0; i + 1 < scan.problems.size(); ++i) {
    if (scan.problems[i].kind == fr::ProblemKind::kTornTail) std::abort();
  }
  const fr::ScanProblem* torn = scan.torn_tail();
  if (scan.append_offset != (torn ? torn->offset : size)) std::abort();
  if (torn && torn->offset + torn->length != size) std::abort();
  return 0;
}
