#include "wal/segment_scanner.h"

#include "wal/wal_format.h"
#include "wal/wal_record_codec.h"

namespace esper::wal {
namespace {

constexpr std::uint64_t kNone = ~std::uint64_t{0};

std::optional<std::string> check_segment_header(std::string_view bytes) {
  if (bytes.size() < kSegmentHeaderSize) return "segment shorter than its header";
  if (bytes.substr(0, kSegmentMagic.size()) != kSegmentMagic) return "bad segment magic";
  if (load_u32(bytes.data() + 8) != kFormatVersion) return "unknown segment format version";
  if (load_u32(bytes.data() + 12) != 0) return "non-zero reserved bytes in segment header";
  return std::nullopt;
}

enum class Verdict {
  kGood,
  kPartialHeader,    // Fewer than 16 bytes left.
  kBadHeaderCheck,
  kBadHeaderFields,  // Checked header, but type 0, reserved bytes set or length over the limit.
  kCut,              // Valid header; its payload runs past the end.
  kBadPayload,       // Valid header; the payload fails its check.
};

struct RecordCheck {
  Verdict verdict;
  std::uint32_t length = 0;
  std::uint8_t type = 0;

  bool header_valid() const { return verdict == Verdict::kGood || verdict == Verdict::kCut || verdict == Verdict::kBadPayload; }
  std::string what(std::uint64_t available) const {
    switch (verdict) {
      case Verdict::kGood: return "good";
      case Verdict::kPartialHeader: return "partial record header (" + std::to_string(available) + " bytes)";
      case Verdict::kBadHeaderCheck: return "record header checksum mismatch";
      case Verdict::kBadHeaderFields:
        return "invalid record header (type " + std::to_string(type) + ", length " + std::to_string(length) + ")";
      case Verdict::kCut:
        return "record of " + std::to_string(length) + " bytes cut at " + std::to_string(available - kRecordHeaderSize);
      case Verdict::kBadPayload:
        return "payload checksum mismatch (type " + std::to_string(type) + ", length " + std::to_string(length) + ")";
    }
    return "unknown";
  }
};

RecordCheck check_record(std::string_view bytes, std::uint64_t at) {
  const std::uint64_t available = bytes.size() - at;
  if (available < kRecordHeaderSize) return {Verdict::kPartialHeader};
  const char* header = bytes.data() + at;
  RecordCheck check{Verdict::kGood, load_u32(header), static_cast<std::uint8_t>(header[4])};
  if (load_u32(header + 12) != header_check(header)) {
    check.verdict = Verdict::kBadHeaderCheck;
  } else if (check.type == 0 || header[5] != 0 || header[6] != 0 || header[7] != 0 || check.length > kMaxPayload) {
    check.verdict = Verdict::kBadHeaderFields;
  } else if (available - kRecordHeaderSize < check.length) {
    check.verdict = Verdict::kCut;
  } else if (load_u32(header + 8) != payload_check(bytes.substr(at + kRecordHeaderSize, check.length))) {
    check.verdict = Verdict::kBadPayload;
  }
  return check;
}

// The first offset >= from where a complete good record starts, or kNone. *first_cut: the first
// offset where a valid header's payload runs past the end (kNone if none was seen).
std::uint64_t find_record(std::string_view bytes, std::uint64_t from, std::uint64_t* first_cut) {
  *first_cut = kNone;
  if (bytes.size() < kRecordHeaderSize) return kNone;
  const char* data = bytes.data();
  for (std::uint64_t at = from; at + kRecordHeaderSize <= bytes.size(); ++at) {
    // Cheap rejections first: most offsets fail on the type or reserved bytes without hashing.
    if (data[at + 4] == 0 || data[at + 5] != 0 || data[at + 6] != 0 || data[at + 7] != 0) continue;
    if (load_u32(data + at) > kMaxPayload) continue;
    const RecordCheck check = check_record(bytes, at);
    if (check.verdict == Verdict::kGood) return at;
    if (check.verdict == Verdict::kCut && *first_cut == kNone) *first_cut = at;
  }
  return kNone;
}

// Records the damage that starts at `at` (a record that failed `check`, or the segment header when
// `check` is nullopt) and returns where scanning resumes: the next good record, or the end.
std::uint64_t skip_damage(std::string_view bytes, std::uint64_t at, const std::optional<RecordCheck>& check,
                          std::string what, std::uint64_t nonzero_end, SegmentScan& scan) {
  const std::uint64_t size = bytes.size();
  auto add = [&](ProblemKind kind, std::uint64_t from, std::uint64_t to, std::string why) {
    scan.problems.push_back(ScanProblem{kind, from, to - from, std::move(why)});
  };
  // Records start after the segment header even when the header is damaged.
  const std::uint64_t search_from = check ? at + 1 : std::min<std::uint64_t>(kSegmentHeaderSize, size);
  std::uint64_t next = kNone;
  std::uint64_t first_cut = kNone;
  if (check && check->verdict == Verdict::kBadPayload) {
    // The header is intact, so its length says where the next record should start.
    const std::uint64_t end = at + kRecordHeaderSize + check->length;
    if (end < size && check_record(bytes, end).verdict == Verdict::kGood) next = end;
  }
  if (next == kNone) next = find_record(bytes, search_from, &first_cut);
  if (next != kNone) {
    add(ProblemKind::kCorrupt, at, next, std::move(what));
    return next;
  }

  // Nothing good follows: the damage reaches the end. An unfinished write, or corruption?
  if (check) {
    const std::uint64_t extent = kRecordHeaderSize + (check->header_valid() ? check->length : 0);
    const bool zero_filled = nonzero_end < size && nonzero_end < at + extent;
    if (check->verdict == Verdict::kPartialHeader || check->verdict == Verdict::kCut || zero_filled) {
      add(ProblemKind::kTornTail, at, size, std::move(what));
      return size;
    }
  }
  // Corrupt, perhaps followed by an unfinished write (a cut record, or zeros to the end).
  std::uint64_t torn = first_cut;
  if (nonzero_end < size) torn = std::min(torn, std::max(nonzero_end, search_from));
  if (torn <= at || torn >= size) torn = size;
  add(ProblemKind::kCorrupt, at, torn, std::move(what));
  if (torn < size) add(ProblemKind::kTornTail, torn, size, "unfinished write after damaged bytes");
  return size;
}

}  // namespace

std::string_view to_string(ProblemKind kind) {
  return kind == ProblemKind::kTornTail ? "torn tail" : "corrupt";
}

SegmentScan scan_segment(std::string_view bytes,
                         const std::function<void(const ScannedRecord&)>& on_record) {
  SegmentScan scan;
  const std::uint64_t size = bytes.size();
  std::uint64_t nonzero_end = size;  // Zero bytes from here to the end.
  while (nonzero_end > 0 && bytes[nonzero_end - 1] == '\0') --nonzero_end;

  std::uint64_t offset = kSegmentHeaderSize;
  if (auto what = check_segment_header(bytes)) {
    offset = skip_damage(bytes, 0, std::nullopt, std::move(*what), nonzero_end, scan);
  } else {
    scan.header_ok = true;
  }
  while (offset < size) {
    const RecordCheck check = check_record(bytes, offset);
    if (check.verdict != Verdict::kGood) {
      offset = skip_damage(bytes, offset, check, check.what(size - offset), nonzero_end, scan);
      continue;
    }
    if (on_record) on_record(ScannedRecord{check.type, bytes.substr(offset + kRecordHeaderSize, check.length), offset});
    offset += kRecordHeaderSize + check.length;
    ++scan.records;
  }
  const ScanProblem* torn = scan.torn_tail();
  scan.append_offset = torn ? torn->offset : size;
  return scan;
}

}  // namespace esper::wal
