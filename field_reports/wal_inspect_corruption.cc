#include "field_reports/wal_inspect_corruption.h"

#include <algorithm>
#include <system_error>

#include "wal/corruption_acknowledgments.h"
#include "wal/wal_quarantine.h"

namespace esper::field_reports {

CorruptRanges::CorruptRanges(const std::filesystem::path& dir, const wal::WalReadSummary& summary) {
  const auto acks = wal::CorruptionAcknowledgments::load(dir);
  for (const wal::WalProblem& problem : summary.problems) {
    if (problem.is_tail()) {
      tail = &problem;
    } else {
      (acks.covers(problem) ? acknowledged : unacknowledged).push_back(&problem);
    }
  }
}

bool CorruptRanges::is_acknowledged(const wal::WalProblem& problem) const {
  return std::find(acknowledged.begin(), acknowledged.end(), &problem) != acknowledged.end();
}

std::string quarantine_note(const std::filesystem::path& dir, const wal::WalProblem& problem) {
  std::error_code ec;
  const auto path = wal::quarantine_path(dir, problem);
  return std::filesystem::exists(path, ec) ? " (copy in " + path.string() + ")" : std::string();
}

}  // namespace esper::field_reports
