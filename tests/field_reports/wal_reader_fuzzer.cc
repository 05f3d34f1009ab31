// libFuzzer target for the WAL reader: arbitrary bytes as a segment file. The scanner must never
// crash, read out of bounds or loop, and what it reports must be consistent: records lie inside the
// input, back to back, and a problem sits exactly where the good records end.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "field_reports/segment_scanner.h"
#include "field_reports/wal_format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace fr = esper::field_reports;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::uint64_t expected_offset = fr::kSegmentHeaderSize;
  const fr::SegmentScan scan = fr::scan_segment(bytes, [&](const fr::ScannedRecord& r) {
    if (r.offset != expected_offset || r.type == 0) std::abort();
    if (r.payload.data() < bytes.data() || r.payload.data() + r.payload.size() > bytes.data() + bytes.size()) {
      std::abort();
    }
    expected_offset += fr::kRecordHeaderSize + r.payload.size();
  });
  if (scan.valid_end > size) std::abort();
  if (scan.records > 0 && scan.valid_end != expected_offset) std::abort();
  if (scan.problem && scan.problem->offset != scan.valid_end && scan.problem->offset != 0) std::abort();
  if (!scan.problem && scan.valid_end != size) std::abort();
  return 0;
}
