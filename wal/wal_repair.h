// Repair of a WAL directory when a writer opens it: puts right what a crash can leave behind, and
// says where appends go on.
//
// A crash can leave two things. A segment half-created under its temporary name (".tmp", never
// renamed into place) is deleted. A torn tail at the end of the last segment (an unfinished write
// after the last good record, see segment_scanner.h) is truncated: no record in it was ever
// acknowledged, since a record is reported durable only after the write and fsync that cover it.
//
// Nothing else is cut. Corrupt bytes (written completely, failing a check) stay where they are:
// segments are append-only, the records that follow them still replay, and new records are appended
// after them. A last segment whose header is damaged is left as it is too, and appends go to a new
// segment after it. Quarantining and reporting corrupt ranges is the owner's job, done when it
// replays (wal_quarantine.h), so the report below names only what repair acted on. Repair never
// fails because of bad data; only I/O errors make it fail.
#ifndef ESPER_WAL_WAL_REPAIR_H_
#define ESPER_WAL_WAL_REPAIR_H_

#include <cstdint>
#include <filesystem>
#include <vector>

#include "wal/file_ops.h"
#include "wal/wal_reader.h"
#include "wal/wal_status.h"

namespace esper::wal {

// What opening found and fixed.
struct RepairReport {
  // What opening acted on in the last segment: a torn tail it truncated, or a damaged segment
  // header it started a new segment after.
  std::vector<WalProblem> problems;
  std::uint64_t truncated_bytes = 0;
};

// Where the writer appends once the WAL is repaired.
struct AppendPoint {
  std::uint64_t segment = 1;
  // True: `segment` exists and its good bytes end at `offset`. False: the writer creates `segment`
  // (an empty WAL, or one whose last segment has a damaged header).
  bool exists = false;
  std::uint64_t offset = 0;
};

// Repairs the WAL in `dir` (a missing or empty directory needs nothing) and says where appends go.
// The caller must be the WAL's one writer (it holds the LOCK): repair truncates the last segment.
// Truncation goes through `ops`, so tests can make it fail.
Status repair_wal(const std::filesystem::path& dir, FileOps& ops, RepairReport* report, AppendPoint* append_at);

}  // namespace esper::wal

#endif  // ESPER_WAL_WAL_REPAIR_H_
