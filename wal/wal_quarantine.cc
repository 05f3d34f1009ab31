#include "wal/wal_quarantine.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <spdlog/spdlog.h>

#include "wal/atomic_file.h"
#include "wal/corruption_acknowledgments.h"
#include "wal/private_files.h"

namespace esper::wal {
namespace {

Status read_range(const std::filesystem::path& path, std::uint64_t offset, std::uint64_t length, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_status(errno, "open " + path.string());
  out.resize(length);
  std::uint64_t done = 0;
  while (done < length) {
    const ssize_t n = ::pread(fd, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return errno_status(err, "read " + path.string());
    }
    if (n == 0) break;
    done += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  out.resize(done);
  return {};
}

}  // namespace

std::filesystem::path quarantine_dir(const std::filesystem::path& wal_dir) { return wal_dir / "quarantine"; }

std::filesystem::path quarantine_path(const std::filesystem::path& wal_dir, const WalProblem& problem) {
  return quarantine_dir(wal_dir) / (std::to_string(problem.segment) + "-" + std::to_string(problem.offset) + "-" +
                                    std::to_string(problem.length) + ".bad");
}

Status quarantine_range(const std::filesystem::path& wal_dir, const WalProblem& problem, bool* copied) {
  *copied = false;
  const auto path = quarantine_path(wal_dir, problem);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return {};
  if (Status s = create_private_directories(quarantine_dir(wal_dir)); !s.ok()) return s;
  std::string bytes;
  if (Status s = read_range(wal_dir / segment_file_name(problem.segment), problem.offset, problem.length, bytes);
      !s.ok()) {
    return s;
  }
  if (Status s = write_file_atomically(path, bytes); !s.ok()) return s;
  *copied = true;
  return {};
}

CorruptionReport quarantine_corruption(const std::filesystem::path& wal_dir, std::string_view wal_name,
                                       const std::vector<WalProblem>& problems) {
  CorruptionReport report;
  const auto acknowledgments = CorruptionAcknowledgments::load(wal_dir);
  std::uint64_t known_unacknowledged = 0;
  for (const WalProblem& problem : problems) {
    if (problem.is_tail()) continue;
    ++report.corrupt_ranges;
    report.corrupt_bytes += problem.length;
    if (acknowledgments.covers(problem)) ++report.acknowledged;
    bool copied = false;
    const Status s = quarantine_range(wal_dir, problem, &copied);
    if (!s.ok()) {
      spdlog::error("{} {}: corrupt bytes at {}; records after them were replayed; could not quarantine them: {}",
                    wal_name, wal_dir.string(), describe(problem), s.message());
      continue;
    }
    if (copied) {
      ++report.newly_found;
      spdlog::error("{} {}: corruption in segment {} at offset {}, {} bytes ({}); the record(s) there are "
                    "lost, every record after them was replayed; bytes copied to {}; see `esper-wal verify {}`",
                    wal_name, wal_dir.string(), problem.segment, problem.offset, problem.length, problem.what,
                    quarantine_path(wal_dir, problem).string(), wal_dir.string());
    } else if (!acknowledgments.covers(problem)) {
      ++known_unacknowledged;
    }
  }
  if (known_unacknowledged > 0) {
    spdlog::warn("{} {}: {} corrupt range(s) found on an earlier start are not acknowledged yet (in {}; "
                 "`esper-wal verify` lists them, `esper-wal acknowledge` records that they were looked at)",
                 wal_name, wal_dir.string(), known_unacknowledged, quarantine_dir(wal_dir).string());
  }
  return report;
}

}  // namespace esper::wal
