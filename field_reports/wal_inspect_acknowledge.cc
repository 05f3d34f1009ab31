// `esper-wal acknowledge`: records that corrupt ranges were looked at, in the WAL's acknowledgment
// list (wal/corruption_acknowledgments.h), so that verify no longer fails on them. The ranges are
// given as verify prints them ("SEGMENT:OFFSET"), or all at once with --all. Only the list is
// written: the damaged bytes stay where they are.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "field_reports/wal_inspect.h"
#include "field_reports/wal_inspect_corruption.h"
#include "field_reports/wal_inspect_reading.h"
#include "wal/corruption_acknowledgments.h"

namespace esper::field_reports {
namespace {

// The corrupt range that "SEGMENT:OFFSET" names; nullopt (and a message) when the text does not
// parse or verify lists no such range.
std::optional<wal::WalProblem> find_range(const std::string& range, const wal::WalReadSummary& summary,
                                          std::ostream& err) {
  std::uint64_t segment = 0, offset = 0;
  char colon = 0;
  std::istringstream in(range);
  if (!(in >> segment >> colon >> offset) || colon != ':' || !in.eof()) {
    err << "esper-wal acknowledge: '" << range << "' is not SEGMENT:OFFSET\n";
    return std::nullopt;
  }
  const auto match = std::find_if(summary.problems.begin(), summary.problems.end(), [&](const wal::WalProblem& p) {
    return !p.is_tail() && p.segment == segment && p.offset == offset;
  });
  if (match == summary.problems.end()) {
    err << "esper-wal acknowledge: no corrupt range at segment " << segment << " offset " << offset
        << " (`esper-wal verify` lists them)\n";
    return std::nullopt;
  }
  return *match;
}

// The ranges to acknowledge: every unacknowledged one when `all`, else those `ranges` name. False
// (and a message) when one of them names no corrupt range.
bool choose_ranges(const std::vector<std::string>& ranges, bool all, const wal::WalReadSummary& summary,
                   const CorruptRanges& corruption, std::vector<wal::WalProblem>& chosen, std::ostream& err) {
  if (all) {
    for (const wal::WalProblem* p : corruption.unacknowledged) chosen.push_back(*p);
    return true;
  }
  for (const std::string& range : ranges) {
    const auto problem = find_range(range, summary, err);
    if (!problem) return false;
    chosen.push_back(*problem);
  }
  return true;
}

}  // namespace

int wal_acknowledge(const std::filesystem::path& dir, const std::vector<std::string>& ranges, bool all,
                    std::ostream& out, std::ostream& err, const ProgressOutput& progress) {
  if (!check_wal_dir(dir, err)) return kExitError;
  if (all == !ranges.empty()) {
    err << "esper-wal acknowledge: give --all or SEGMENT:OFFSET ranges (as verify prints them)\n";
    return kExitError;
  }
  wal::WalReadSummary summary;
  if (!read_whole_wal(dir, "reading", nullptr, summary, err, &progress)) return kExitError;
  const CorruptRanges corruption(dir, summary);
  std::vector<wal::WalProblem> chosen;
  if (!choose_ranges(ranges, all, summary, corruption, chosen, err)) return kExitError;
  if (chosen.empty()) {
    out << "nothing to acknowledge: " << corruption.acknowledged.size() << " corrupt ranges, all acknowledged\n";
    return kExitOk;
  }
  auto acks = wal::CorruptionAcknowledgments::load(dir);
  if (const wal::Status s = acks.add(dir, chosen); !s.ok()) {
    err << "esper-wal: " << s.message() << '\n';
    return kExitError;
  }
  for (const wal::WalProblem& p : chosen) out << "acknowledged " << describe(p) << '\n';
  out << "recorded in " << wal::acknowledgments_path(dir).string() << "; the damaged bytes stay where they are\n";
  return kExitOk;
}

}  // namespace esper::field_reports
