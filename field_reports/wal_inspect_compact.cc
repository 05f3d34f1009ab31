// `esper-wal compact`: deletes the leading segments of an outbox WAL whose reports are all settled,
// by the outbox's retention rule (outbox_log.h), never the last segment (a live writer may be
// appending to it). It never relocates dropped reports, since it does not write into a live log.
// Nissa's WAL is refused: Nissa deletes its own segments by age.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <system_error>
#include <vector>

#include "field_reports/outbox_log.h"
#include "field_reports/wal_inspect.h"
#include "field_reports/wal_inspect_reading.h"
#include "nissa/store/journal_records.h"

namespace esper::field_reports {
namespace {

// Deletes `segments` of `dir` and fsyncs the directory; adds the bytes freed to `bytes`. False (and
// a message) on the first failure.
bool delete_segments(const std::filesystem::path& dir, const std::vector<std::uint64_t>& segments,
                     std::uint64_t& bytes, std::ostream& err) {
  for (const auto number : segments) {
    const auto path = dir / wal::segment_file_name(number);
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      err << "esper-wal: delete " << path.string() << ": " << std::strerror(errno) << '\n';
      return false;
    }
    bytes += ec ? 0 : size;
  }
  if (segments.empty()) return true;
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    err << "esper-wal: fsync " << dir.string() << ": " << std::strerror(errno) << '\n';
    if (fd >= 0) ::close(fd);
    return false;
  }
  ::close(fd);
  return true;
}

}  // namespace

int wal_compact(const std::filesystem::path& dir, std::ostream& out, std::ostream& err,
                const ProgressOutput& progress) {
  if (!check_wal_dir(dir, err)) return kExitError;
  OutboxLog log;
  wal::WalReadSummary summary;
  std::uint64_t nissa_records = 0;
  const bool ok = read_whole_wal(dir, "reading", [&](const wal::WalRecord& r) {
    if (nissa::is_journal_record(r.type)) {
      ++nissa_records;
    } else {
      log.apply(r);
    }
  }, summary, err, &progress);
  if (!ok) return kExitError;
  if (nissa_records > 0) {
    // Nissa's records settle nothing in the outbox's sense: every segment would look deletable.
    err << "esper-wal compact: " << dir.string() << " is Nissa's WAL; Nissa deletes its own segments by age "
        << "(persistence.retention), compact is for outbox WALs\n";
    return kExitError;
  }
  const auto segments = wal::list_segments(dir);
  if (segments.empty()) {
    out << "no segments\n";
    return kExitOk;
  }
  std::vector<std::uint64_t> numbers;
  for (const auto& s : segments) numbers.push_back(s.number);
  // The last segment may be in use by a live writer: never touched.
  const auto deletable = log.deletable_segments(numbers, segments.back().number);
  std::uint64_t bytes = 0;
  if (!delete_segments(dir, deletable, bytes, err)) return kExitError;
  out << "deleted " << deletable.size() << " settled segments (" << bytes << " bytes); "
      << segments.size() - deletable.size() << " kept\n";
  return kExitOk;
}

}  // namespace esper::field_reports
