#include "wal/wal_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace esper::wal {
Status read_segment_file(const std::filesystem::path& path, std::string& buffer) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status(errno, "open " + path.string());
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return errno_status(err, "stat " + path.string());
  }
  buffer.resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t n = ::read(fd, buffer.data() + done, buffer.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return errno_status(err, "read " + path.string());
    }
    if (n == 0) break;  // Truncated under us (compaction or repair): read what there was.
    done += static_cast<std::size_t>(n);
  }
  buffer.resize(done);
  ::close(fd);
  return {};
}

std::vector<SegmentFile> list_segments(const std::filesystem::path& dir) {
  std::vector<SegmentFile> segments;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const auto number = parse_segment_file_name(entry.path().filename().string());
    if (!number) continue;
    std::error_code size_ec;
    const auto size = entry.file_size(size_ec);
    segments.push_back(SegmentFile{*number, entry.path(), size_ec ? 0 : size});
  }
  std::sort(segments.begin(), segments.end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.number < b.number; });
  return segments;
}

std::string describe(const WalProblem& problem) {
  std::string kind = problem.is_tail() ? "tail in progress (torn tail)" : std::string(to_string(problem.kind));
  return describe(RecordPosition{problem.segment, problem.offset}) + " length " + std::to_string(problem.length) +
         ": " + kind + ": " + problem.what;
}

Status read_wal(const std::filesystem::path& dir,
                const std::function<void(const WalRecord&)>& on_record, WalReadSummary* summary,
                const WalReadOptions& options) {
  using Clock = std::chrono::steady_clock;
  // The clock is read only after this many records or bytes (whichever comes first).
  constexpr std::uint64_t kRecordsPerClockCheck = 4096;
  constexpr std::uint64_t kBytesPerClockCheck = 4u << 20;
  WalReadSummary local;
  WalReadSummary& out = summary ? *summary : local;
  out = WalReadSummary{};
  const auto segments = list_segments(dir);

  WalReadProgress progress;
  progress.segments_total = segments.size();
  for (const SegmentFile& segment : segments) progress.bytes_total += segment.size;
  const auto start = Clock::now();
  auto last_report = start;
  std::uint64_t segment_base = 0;  // Listed bytes of the segments before the current one.
  auto report = [&](std::uint64_t bytes_done, bool done) {
    const auto now = Clock::now();
    if (!done && now - last_report < options.progress_interval) return;
    last_report = now;
    // Listed sizes, so that the fraction never goes back when a live writer grows the last segment.
    progress.bytes_done = std::min(bytes_done, progress.bytes_total);
    progress.records = out.records;
    progress.elapsed = now - start;
    progress.done = done;
    options.on_progress(progress);
  };

  std::string buffer;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const SegmentFile& segment = segments[i];
    Status status = read_segment_file(segment.path, buffer);
    if (!status.ok()) {
      if (status.code() != ENOENT) return status;
      // Deleted by retention while we listed.
    } else {
      ++out.segments;
      out.bytes += buffer.size();
      std::uint64_t records_since_check = 0, checked_at = 0;
      const SegmentScan scan = scan_segment(buffer, [&](const ScannedRecord& record) {
        if (on_record) {
          on_record(WalRecord{record.type, record.payload, RecordPosition{segment.number, record.offset}});
        }
        ++out.records;
        if (!options.on_progress) return;
        const std::uint64_t in_segment = record.offset + kRecordHeaderSize + record.payload.size();
        if (++records_since_check >= kRecordsPerClockCheck || in_segment - checked_at >= kBytesPerClockCheck) {
          records_since_check = 0;
          checked_at = in_segment;
          report(segment_base + std::min(in_segment, segment.size), false);
        }
      });
      const bool last = i + 1 == segments.size();
      for (const ScanProblem& problem : scan.problems) {
        // A torn tail in an older segment means data is missing in the middle of the log.
        const ProblemKind kind = last ? problem.kind : ProblemKind::kCorrupt;
        out.problems.push_back(
            WalProblem{segment.number, problem.offset, problem.length, kind, last, problem.what});
      }
    }
    segment_base += segment.size;
    progress.segments_done = i + 1;
    if (options.on_progress) report(segment_base, false);
  }
  if (options.on_progress) report(progress.bytes_total, true);
  return {};
}

}  // namespace esper::wal
