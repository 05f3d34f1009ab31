// An operator's acknowledgment that a corrupt range of a WAL has been looked at. `esper-wal verify`
// fails on every corrupt range until it is acknowledged (`esper-wal acknowledge`), and lists it as
// acknowledged afterwards. The damaged bytes stay where they are (segments are append-only; the
// owner keeps a copy in quarantine/); only this list changes.
//
// The list is DIR/acknowledged_corruption, one range per line: "<segment> <offset> <length>",
// rewritten whole (atomic_file.h) on each change. A range is acknowledged only with the same
// segment, offset AND length: if more damage makes it grow, it needs looking at again.
#ifndef ESPER_WAL_CORRUPTION_ACKNOWLEDGMENTS_H_
#define ESPER_WAL_CORRUPTION_ACKNOWLEDGMENTS_H_

#include <cstdint>
#include <filesystem>
#include <vector>

#include "wal/wal_reader.h"
#include "wal/wal_status.h"

namespace esper::wal {

struct AcknowledgedRange {
  std::uint64_t segment = 0;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  friend bool operator==(const AcknowledgedRange&, const AcknowledgedRange&) = default;
};

std::filesystem::path acknowledgments_path(const std::filesystem::path& wal_dir);

class CorruptionAcknowledgments {
 public:
  // The list in `wal_dir` (empty if there is none; lines that do not parse are ignored).
  static CorruptionAcknowledgments load(const std::filesystem::path& wal_dir);

  bool covers(const WalProblem& problem) const;
  const std::vector<AcknowledgedRange>& ranges() const { return ranges_; }

  // Adds `problem`s not yet listed and writes the list; ranges of segments that no longer exist
  // (deleted by retention or compaction) are dropped from it.
  Status add(const std::filesystem::path& wal_dir, const std::vector<WalProblem>& problems);

 private:
  std::vector<AcknowledgedRange> ranges_;
};

}  // namespace esper::wal

#endif  // ESPER_WAL_CORRUPTION_ACKNOWLEDGMENTS_H_
