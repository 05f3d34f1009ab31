#include "wal/wal_repair.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include <spdlog/spdlog.h>

#include "wal/segment_scanner.h"

namespace esper::wal {
namespace {

// Segments half-created by a crash never made it to their final name.
void remove_unfinished_segments(const std::filesystem::path& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".tmp") std::filesystem::remove(entry.path(), ec);
  }
}

// Cuts the last segment back to `length`, its good bytes, and makes that durable.
Status truncate_segment(const std::filesystem::path& path, std::uint64_t length, FileOps& ops) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno_status(errno, "open " + path.string());
  Status status;
  if (ops.ftruncate(fd, static_cast<off_t>(length)) != 0 || ops.fdatasync(fd) != 0) {
    status = errno_status(errno, "truncate torn tail of " + path.string());
  }
  ::close(fd);
  return status;
}

}  // namespace

Status repair_wal(const std::filesystem::path& dir, FileOps& ops, RepairReport* report, AppendPoint* append_at) {
  *append_at = AppendPoint{};
  remove_unfinished_segments(dir);
  const auto segments = list_segments(dir);
  if (segments.empty()) return {};

  const SegmentFile& last = segments.back();
  std::string bytes;
  if (Status s = read_segment_file(last.path, bytes); !s.ok()) return s;
  const SegmentScan scan = scan_segment(bytes, nullptr);
  if (!scan.header_ok) {
    // The header is written before the rename that makes a segment visible, so this is damage,
    // not a torn write. The records after it still replay (the reader resynchronises); appending
    // to a segment whose header is bad would only put new records behind damage, so carry on in a
    // fresh segment and leave this one as it is for the owner to quarantine.
    const ScanProblem& problem = scan.problems.front();
    report->problems.push_back(
        WalProblem{last.number, problem.offset, problem.length, ProblemKind::kCorrupt, true, problem.what});
    spdlog::error("WAL {}: last segment {} has a bad header ({}); starting segment {} after it", dir.string(),
                  last.number, problem.what, last.number + 1);
    *append_at = AppendPoint{last.number + 1, false, 0};
    return {};
  }
  // Only a torn tail is cut off. Corrupt ranges stay where they are (segments are append-only and
  // the owner quarantines them); new records go after them and readers resynchronise on those.
  *append_at = AppendPoint{last.number, true, scan.append_offset};
  const ScanProblem* torn = scan.torn_tail();
  if (!torn) return {};
  report->problems.push_back(
      WalProblem{last.number, torn->offset, torn->length, ProblemKind::kTornTail, true, torn->what});
  report->truncated_bytes = bytes.size() - scan.append_offset;
  spdlog::warn("WAL {}: repairing {}: torn tail ({}); truncating {} bytes, keeping {} records before it",
               dir.string(), describe(RecordPosition{last.number, torn->offset}), torn->what,
               report->truncated_bytes, scan.records);
  return truncate_segment(last.path, scan.append_offset, ops);
}

}  // namespace esper::wal
