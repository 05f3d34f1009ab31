#include "field_reports/requeue_request.h"

#include <algorithm>
#include <chrono>
#include <fstream>

#include "wal/atomic_file.h"
#include "wal/private_files.h"
#include "field_reports/report_id.h"

namespace esper::field_reports {

std::filesystem::path requeue_dir(const std::filesystem::path& wal_dir) { return wal_dir / "requeue"; }

wal::Status write_requeue_request(const std::filesystem::path& wal_dir, const std::vector<std::string>& ids,
                             std::filesystem::path* path) {
  const auto dir = requeue_dir(wal_dir);
  if (wal::Status s = wal::create_private_directories(dir); !s.ok()) return s;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  // new_report_id gives 128 random bits: two tools running at once never pick the same name.
  const std::string name = std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()) +
                           "-" + new_report_id("req");
  const auto final_path = dir / (name + ".req");
  std::string text;
  for (const auto& id : ids) text += id + '\n';
  if (wal::Status s = wal::write_file_atomically(final_path, text); !s.ok()) return s;
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
