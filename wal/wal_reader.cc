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

namespace {

// Feeds WalReadOptions::on_progress: at most once per interval while reading, and once more at the
// end. The clock is read only after kRecordsPerClockCheck records or kBytesPerClockCheck bytes
// (whichever comes first), so that it costs nothing measurable.
class ReadProgressReporter {
 public:
  ReadProgressReporter(const std::vector<SegmentFile>& segments, const WalReadOptions& options)
      : options_(options), start_(Clock::now()), last_report_(start_) {
    progress_.segments_total = segments.size();
    for (const SegmentFile& segment : segments) progress_.bytes_total += segment.size;
  }

  // A record ending `in_segment` bytes into the current segment was read; `records` so far.
  void after_record(std::uint64_t in_segment, std::uint64_t segment_size, std::uint64_t records) {
    if (!options_.on_progress) return;
    if (++records_since_check_ >= kRecordsPerClockCheck || in_segment - checked_at_ >= kBytesPerClockCheck) {
      records_since_check_ = 0;
      checked_at_ = in_segment;
      report(segment_base_ + std::min(in_segment, segment_size), records, false);
    }
  }
  void after_segment(std::uint64_t segment_size, std::uint64_t records) {
    segment_base_ += segment_size;
    ++progress_.segments_done;
    records_since_check_ = 0;
    checked_at_ = 0;
    if (options_.on_progress) report(segment_base_, records, false);
  }
  void finish(std::uint64_t records) {
    if (options_.on_progress) report(progress_.bytes_total, records, true);
  }

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr std::uint64_t kRecordsPerClockCheck = 4096;
  static constexpr std::uint64_t kBytesPerClockCheck = 4u << 20;

  void report(std::uint64_t bytes_done, std::uint64_t records, bool done) {
    const auto now = Clock::now();
    if (!done && now - last_report_ < options_.progress_interval) return;
    last_report_ = now;
    // Listed sizes, so that the fraction never goes back when a live writer grows the last segment.
    progress_.bytes_done = std::min(bytes_done, progress_.bytes_total);
    progress_.records = records;
    progress_.elapsed = now - start_;
    progress_.done = done;
    options_.on_progress(progress_);
  }

  const WalReadOptions& options_;
  WalReadProgress progress_;
  const Clock::time_point start_;
  Clock::time_point last_report_;
  std::uint64_t segment_base_ = 0;  // Listed bytes of the segments before the current one.
  std::uint64_t records_since_check_ = 0;
  std::uint64_t checked_at_ = 0;  // Offset in the current segment of the last clock check.
};

// Delivers the good records of one segment's bytes and adds its problems to `out`.
void read_segment(const SegmentFile& segment, std::string_view bytes, bool last,
                  const std::function<void(const WalRecord&)>& on_record, WalReadSummary& out,
                  ReadProgressReporter& progress) {
  ++out.segments;
  out.bytes += bytes.size();
  const SegmentScan scan = scan_segment(bytes, [&](const ScannedRecord& record) {
    if (on_record) on_record(WalRecord{record.type, record.payload, RecordPosition{segment.number, record.offset}});
    ++out.records;
    progress.after_record(record.offset + kRecordHeaderSize + record.payload.size(), segment.size, out.records);
  });
  for (const ScanProblem& problem : scan.problems) {
    // A torn tail in an older segment means data is missing in the middle of the log.
    const ProblemKind kind = last ? problem.kind : ProblemKind::kCorrupt;
    out.problems.push_back(WalProblem{segment.number, problem.offset, problem.length, kind, last, problem.what});
  }
}

}  // namespace

Status read_wal(const std::filesystem::path& dir,
                const std::function<void(const WalRecord&)>& on_record, WalReadSummary* summary,
                const WalReadOptions& options) {
  WalReadSummary local;
  WalReadSummary& out = summary ? *summary : local;
  out = WalReadSummary{};
  const auto segments = list_segments(dir);
  ReadProgressReporter progress(segments, options);
  std::string buffer;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const SegmentFile& segment = segments[i];
    if (Status status = read_segment_file(segment.path, buffer); status.ok()) {
      read_segment(segment, buffer, i + 1 == segments.size(), on_record, out, progress);
    } else if (status.code() != ENOENT) {  // ENOENT: deleted by retention while we listed.
      return status;
    }
    progress.after_segment(segment.size, out.records);
  }
  progress.finish(out.records);
  return {};
}

}  // namespace esper::wal
