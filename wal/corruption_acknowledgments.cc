#include "wal/corruption_acknowledgments.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "wal/atomic_file.h"

namespace esper::wal {

std::filesystem::path acknowledgments_path(const std::filesystem::path& wal_dir) {
  return wal_dir / "acknowledged_corruption";
}

CorruptionAcknowledgments CorruptionAcknowledgments::load(const std::filesystem::path& wal_dir) {
  CorruptionAcknowledgments acks;
  std::ifstream in(acknowledgments_path(wal_dir));
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    AcknowledgedRange range;
    if (fields >> range.segment >> range.offset >> range.length) acks.ranges_.push_back(range);
  }
  return acks;
}

bool CorruptionAcknowledgments::covers(const WalProblem& problem) const {
  const AcknowledgedRange wanted{problem.segment, problem.offset, problem.length};
  return std::find(ranges_.begin(), ranges_.end(), wanted) != ranges_.end();
}

Status CorruptionAcknowledgments::add(const std::filesystem::path& wal_dir, const std::vector<WalProblem>& problems) {
  for (const WalProblem& problem : problems) {
    if (!covers(problem)) ranges_.push_back(AcknowledgedRange{problem.segment, problem.offset, problem.length});
  }
  std::set<std::uint64_t> existing;
  for (const SegmentFile& segment : list_segments(wal_dir)) existing.insert(segment.number);
  std::erase_if(ranges_, [&](const AcknowledgedRange& r) { return existing.count(r.segment) == 0; });
  std::sort(ranges_.begin(), ranges_.end(), [](const AcknowledgedRange& a, const AcknowledgedRange& b) {
    return std::tie(a.segment, a.offset, a.length) < std::tie(b.segment, b.offset, b.length);
  });
  std::string text;
  for (const AcknowledgedRange& r : ranges_) {
    text += std::to_string(r.segment) + " " + std::to_string(r.offset) + " " + std::to_string(r.length) + "\n";
  }
  return write_file_atomically(acknowledgments_path(wal_dir), text);
}

}  // namespace esper::wal
