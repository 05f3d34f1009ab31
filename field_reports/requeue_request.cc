#include "field_reports/requeue_request.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>

#include "field_reports/report_id.h"

namespace esper::field_reports {
namespace {

Status fsync_path(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return errno_status(errno, "open " + path.string());
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return errno_status(err, "fsync " + path.string());
  return {};
}

}  // namespace

std::filesystem::path requeue_dir(const std::filesystem::path& wal_dir) { return wal_dir / "requeue"; }

Status write_requeue_request(const std::filesystem::path& wal_dir, const std::vector<std::string>& ids,
                             std::filesystem::path* path) {
  const auto dir = requeue_dir(wal_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::error(ec.value(), "create " + dir.string() + ": " + ec.message());
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  // new_report_id gives 128 random bits: two tools running at once never pick the same name.
  const std::string name = std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()) +
                           "-" + new_report_id("req");
  const auto final_path = dir / (name + ".req");
  const auto tmp_path = dir / (name + ".tmp");
  {
    std::ofstream out(tmp_path, std::ios::trunc);
    for (const auto& id : ids) out << id << '\n';
    out.flush();
    if (!out) return Status::error(EIO, "write " + tmp_path.string());
  }
  if (Status s = fsync_path(tmp_path, O_RDONLY); !s.ok()) return s;
  if (::rename(tmp_path.c_str(), final_path.c_str()) != 0) return errno_status(errno, "rename " + tmp_path.string());
  if (Status s = fsync_path(dir, O_RDONLY | O_DIRECTORY); !s.ok()) return s;
  if (path) *path = final_path;
  return {};
}

std::vector<RequeueRequest> read_requeue_requests(const std::filesystem::path& wal_dir) {
  std::vector<RequeueRequest> requests;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(requeue_dir(wal_dir), ec)) {
    if (entry.path().extension() != ".req") continue;
    RequeueRequest request{entry.path(), {}};
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (!line.empty()) request.ids.push_back(line);
    }
    requests.push_back(std::move(request));
  }
  std::sort(requests.begin(), requests.end(),
            [](const RequeueRequest& a, const RequeueRequest& b) { return a.path < b.path; });
  return requests;
}

}  // namespace esper::field_reports
