// Quarantine: copies of a WAL's corrupt byte ranges, kept beside it as
// DIR/quarantine/<segment>-<offset>-<length>.bad, so the damaged bytes can be examined (a record
// recovered by hand, a disk fault diagnosed) whatever later happens to their segment: retention
// may delete it, and nothing else ever rewrites it.
//
// The WAL's owner quarantines what its replay found: Nissa at start, the outbox on open (esper-wal
// only reads). Copying is idempotent: a range whose file already exists is not copied again, and
// that is also how the owner logs each range once, when it first finds it, rather than on every
// restart. A torn tail at the end of the last segment is not corruption (the writer truncates it).
#ifndef ESPER_WAL_WAL_QUARANTINE_H_
#define ESPER_WAL_WAL_QUARANTINE_H_

#include <cstdint>
#include <filesystem>
#include <string_view>
#include <vector>

#include "wal/wal_reader.h"
#include "wal/wal_status.h"

namespace esper::wal {

std::filesystem::path quarantine_dir(const std::filesystem::path& wal_dir);
// DIR/quarantine/<segment>-<offset>-<length>.bad
std::filesystem::path quarantine_path(const std::filesystem::path& wal_dir, const WalProblem& problem);

// Copies the problem's bytes from its segment unless they are already there. *copied: whether
// this call made the copy.
Status quarantine_range(const std::filesystem::path& wal_dir, const WalProblem& problem, bool* copied);

struct CorruptionReport {
  std::uint64_t corrupt_ranges = 0;  // Every corrupt range the replay found (the metric).
  std::uint64_t corrupt_bytes = 0;
  std::uint64_t newly_found = 0;     // Quarantined (and logged) by this call.
  std::uint64_t acknowledged = 0;    // By an operator, earlier.
};

// What an owner does with its replay's problems: quarantines every corrupt range, logs each at
// error level the first time (naming `wal_name`, segment, offset and length), and one warning for
// those found on an earlier start that nobody has acknowledged yet.
CorruptionReport quarantine_corruption(const std::filesystem::path& wal_dir, std::string_view wal_name,
                                       const std::vector<WalProblem>& problems);

}  // namespace esper::wal

#endif  // ESPER_WAL_WAL_QUARANTINE_H_
