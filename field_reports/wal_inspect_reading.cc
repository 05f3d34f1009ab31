#include "field_reports/wal_inspect_reading.h"

#include <system_error>

#include "wal/wal_progress_display.h"

namespace esper::field_reports {
namespace {

wal::WalProgressDisplay progress_display(const std::string& what, std::ostream& err, const ProgressOutput& progress) {
  return wal::WalProgressDisplay(
      what, progress.terminal ? &err : nullptr, [&err](const std::string& line) { err << "esper-wal: " << line << '\n'; },
      progress.log_every);
}

}  // namespace

bool check_wal_dir(const std::filesystem::path& dir, std::ostream& err) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    err << "esper-wal: " << dir.string() << " does not exist\n";
    return false;
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    err << "esper-wal: " << dir.string() << " is not a directory\n";
    return false;
  }
  if (!wal::list_segments(dir).empty()) return true;
  err << "esper-wal: " << dir.string() << " is not a WAL: it holds no segment files";
  for (const char* below : {"wal", "field_reports"}) {
    if (!wal::list_segments(dir / below).empty()) {
      err << " (did you mean " << (dir / below).string() << "?)";
      break;
    }
  }
  err << '\n';
  return false;
}

bool read_whole_wal(const std::filesystem::path& dir, const std::string& what,
                    const std::function<void(const wal::WalRecord&)>& on_record, wal::WalReadSummary& summary,
                    std::ostream& err, const ProgressOutput* progress) {
  wal::Status s;
  if (progress) {
    wal::WalProgressDisplay display = progress_display(what + " " + dir.string(), err, *progress);
    s = wal::read_wal(dir, on_record, &summary, display.read_options());
  } else {
    s = wal::read_wal(dir, on_record, &summary);
  }
  if (!s.ok()) err << "esper-wal: " << s.message() << '\n';
  return s.ok();
}

}  // namespace esper::field_reports
