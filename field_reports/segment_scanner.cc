#include "field_reports/segment_scanner.h"

#include <algorithm>

#include "field_reports/wal_format.h"
#include "field_reports/wal_record_codec.h"

namespace esper::field_reports {
namespace {

bool all_zero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == '\0'; });
}

std::optional<ScanProblem> check_segment_header(std::string_view bytes) {
  if (bytes.size() < kSegmentHeaderSize) {
    return ScanProblem{ProblemKind::kCorrupt, 0, "segment shorter than its header"};
  }
  if (bytes.substr(0, kSegmentMagic.size()) != kSegmentMagic) {
    return ScanProblem{ProblemKind::kCorrupt, 0, "bad segment magic"};
  }
  if (load_u32(bytes.data() + 8) != kFormatVersion) {
    return ScanProblem{ProblemKind::kCorrupt, 0, "unknown segment format version"};
  }
  if (load_u32(bytes.data() + 12) != 0) {
    return ScanProblem{ProblemKind::kCorrupt, 0, "non-zero reserved bytes in segment header"};
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(ProblemKind kind) {
  return kind == ProblemKind::kTornTail ? "torn tail" : "corrupt";
}

SegmentScan scan_segment(std::string_view bytes,
                         const std::function<void(const ScannedRecord&)>& on_record) {
  SegmentScan scan;
  if (auto problem = check_segment_header(bytes)) {
    scan.problem = std::move(problem);
    return scan;
  }
  std::uint64_t offset = kSegmentHeaderSize;
  scan.valid_end = offset;
  while (offset < bytes.size()) {
    const std::string_view rest = bytes.substr(offset);
    auto fail = [&](ProblemKind kind, std::string what) {
      // Zeros to end of file are space a crash allocated before the data reached it.
      if (kind == ProblemKind::kCorrupt && all_zero(rest)) kind = ProblemKind::kTornTail;
      scan.problem = ScanProblem{kind, offset, std::move(what)};
    };
    if (rest.size() < kRecordHeaderSize) {
      fail(ProblemKind::kTornTail, "partial record header (" + std::to_string(rest.size()) + " bytes)");
      break;
    }
    const char* header = rest.data();
    const std::uint32_t length = load_u32(header);
    const auto type = static_cast<std::uint8_t>(header[4]);
    if (load_u32(header + 12) != header_check(header)) {
      fail(ProblemKind::kCorrupt, "record header checksum mismatch");
      break;
    }
    if (type == 0 || header[5] != 0 || header[6] != 0 || header[7] != 0 || length > kMaxPayload) {
      fail(ProblemKind::kCorrupt, "invalid record header (type " + std::to_string(type) +
                                      ", length " + std::to_string(length) + ")");
      break;
    }
    if (rest.size() - kRecordHeaderSize < length) {
      fail(ProblemKind::kTornTail, "record of " + std::to_string(length) + " bytes cut at " +
                                       std::to_string(rest.size() - kRecordHeaderSize));
      break;
    }
    const std::string_view payload = rest.substr(kRecordHeaderSize, length);
    if (load_u32(header + 8) != payload_check(payload)) {
      fail(ProblemKind::kCorrupt, "payload checksum mismatch (type " + std::to_string(type) +
                                      ", length " + std::to_string(length) + ")");
      break;
    }
    if (on_record) on_record(ScannedRecord{type, payload, offset});
    offset += kRecordHeaderSize + length;
    scan.valid_end = offset;
    ++scan.records;
  }
  return scan;
}

}  // namespace esper::field_reports
