// The corrupt ranges of a WAL as esper-wal shows them (stat counts them, verify lists them,
// acknowledge records them): split by whether an operator acknowledged them
// (wal/corruption_acknowledgments.h), each with the copy its owner made in quarantine/, if any.
// A torn tail at the end of the last segment is no corruption: a live writer makes it normal.
#ifndef ESPER_FIELD_REPORTS_WAL_INSPECT_CORRUPTION_H_
#define ESPER_FIELD_REPORTS_WAL_INSPECT_CORRUPTION_H_

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "wal/wal_reader.h"

namespace esper::field_reports {

struct CorruptRanges {
  // Point into the summary given to the constructor.
  std::vector<const wal::WalProblem*> unacknowledged, acknowledged;
  const wal::WalProblem* tail = nullptr;

  CorruptRanges(const std::filesystem::path& dir, const wal::WalReadSummary& summary);
  std::size_t total() const { return unacknowledged.size() + acknowledged.size(); }
  bool is_acknowledged(const wal::WalProblem& problem) const;
};

// " (copy in DIR/quarantine/...)" when the owner made a copy of the range, else "".
std::string quarantine_note(const std::filesystem::path& dir, const wal::WalProblem& problem);

}  // namespace esper::field_reports

#endif  // ESPER_FIELD_REPORTS_WAL_INSPECT_CORRUPTION_H_
