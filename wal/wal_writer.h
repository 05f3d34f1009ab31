// The WAL writer: appends records (type byte + payload, see wal_format.h) to numbered segment files
// with one of three durability modes:
//   kFsync  every append writes and fdatasyncs before it returns (one fsync per record);
//   kGroup  append() queues the record and returns at once; a background flusher writes everything
//           queued and fdatasyncs once for all of it. wait_durable(lsn) returns only after the fsync
//           that covers the record, so many concurrent appenders share one fsync;
//   kNone   append() writes (page cache) and returns; no fsync. For data that may be lost.
//
// Opening takes the LOCK file (one live writer per WAL) and repairs what a crash left (wal_repair.h):
// a torn tail is truncated; corrupt bytes never are, and new records are appended after them. A
// last segment whose header is damaged is left as it is and a new segment started after it.
// Opening never refuses because of bad data; only I/O errors (or another live writer) make it fail.
// Quarantining and reporting corrupt ranges is the owner's job (wal_quarantine.h), done when it
// replays.
//
// Errors (ENOSPC, EIO...) from write or fsync fail every record that was not yet durable, with a
// message naming segment and offset; the partial bytes are truncated away before the next write, so
// nothing already durable is disturbed, and appends succeed again once the fault clears. After an
// fsync error the failed records are removed too (truncate + fsync), since the kernel may have
// dropped their dirty pages: a record is reported durable only after an fsync that succeeded.
//
// Lsn.seq is a per-writer sequence number (it restarts with each open); Lsn.position says where the
// record lives on disk, which is what retention needs.
#ifndef ESPER_WAL_WAL_WRITER_H_
#define ESPER_WAL_WAL_WRITER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "wal/file_ops.h"
#include "wal/wal_format.h"
#include "wal/wal_reader.h"
#include "wal/wal_repair.h"
#include "wal/wal_status.h"
#include "logging/rate_limited_log.h"

namespace esper::wal {

enum class Durability { kFsync, kGroup, kNone };
std::optional<Durability> parse_durability(std::string_view name);  // "fsync", "group", "none"
std::string_view to_string(Durability durability);

struct WalWriterOptions {
  std::filesystem::path dir;
  std::uint64_t segment_size = kDefaultSegmentSize;
  Durability durability = Durability::kGroup;
  // kGroup: how long the flusher waits after the first queued record before writing, to gather
  // more. Zero is usually best: appends that arrive during one fsync share the next.
  std::chrono::microseconds group_window{0};
  FileOps* file_ops = nullptr;  // nullptr: posix_file_ops().
};

struct Lsn {
  std::uint64_t seq = 0;
  RecordPosition position;
};

class WalWriter {
 public:
  struct Stats {
    std::uint64_t records = 0;        // Made durable (or written, in kNone).
    std::uint64_t syncs = 0;          // fdatasync calls that succeeded.
    std::uint64_t failed_records = 0; // Rejected because a write or sync failed.
  };

  // Opens (creating if needed) the WAL in options.dir, repairing it; what repair did goes to
  // *repair. nullptr and *status on failure.
  static std::unique_ptr<WalWriter> open(WalWriterOptions options, Status* status,
                                         RepairReport* repair = nullptr);
  ~WalWriter();  // Writes and syncs whatever is queued, then closes.
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  // Appends one record. kFsync: durable when this returns ok. kNone: written. kGroup: queued;
  // call wait_durable(*lsn) before telling anyone it is safe.
  Status append(std::uint8_t type, std::string_view payload, Lsn* lsn = nullptr);
  // Blocks until the record is durable (ok) or failed (the write/sync error).
  Status wait_durable(const Lsn& lsn);
  Status append_durable(std::uint8_t type, std::string_view payload, Lsn* lsn = nullptr);
  // Makes everything appended so far durable. Reports the failures of records not yet settled when
  // it is called: one the flusher already failed is missed, so a caller that acknowledges what it
  // appended uses flush_since().
  Status flush();
  // Makes everything appended so far durable, and fails if any record from seq `first_seq` on
  // failed, even one whose failure the flusher settled before this call.
  Status flush_since(std::uint64_t first_seq);

  // Deletes a whole segment (never the one being written) and fsyncs the directory.
  Status delete_segment(std::uint64_t segment);
  std::uint64_t current_segment() const;
  Durability durability() const { return options_.durability; }
  const std::filesystem::path& dir() const { return options_.dir; }
  Stats stats() const;

 private:
  // Bytes queued for one segment.
  struct Chunk {
    std::uint64_t segment = 0;
    std::string bytes;
    std::uint64_t last_seq = 0;
  };
  struct FailedRange {
    std::uint64_t first, last;
    Status status;
  };
  struct WriteResult {
    Status status;
    std::uint64_t durable_seq = 0;  // Highest seq made durable by this write.
  };

  explicit WalWriter(WalWriterOptions options);
  Status open_files(RepairReport* repair);
  Status create_segment(std::uint64_t segment);
  // Under mu_: assigns seq and position, queues the bytes.
  Lsn enqueue_locked(std::uint8_t type, std::string_view payload);
  // Takes the queue (under io_mu_), writes it, syncs if `sync`, and settles seqs.
  Status write_queued(bool sync);
  WriteResult write_chunks(std::vector<Chunk>& chunks, bool sync);
  void settle_locked(std::uint64_t first_seq, const WriteResult& result);
  std::optional<Status> failure_of_locked(std::uint64_t seq) const;
  void flusher_loop();

  WalWriterOptions options_;
  FileOps* ops_;
  int dir_fd_ = -1;
  int lock_fd_ = -1;

  // I/O state: touched only with io_mu_ held.
  std::mutex io_mu_;
  int fd_ = -1;
  std::uint64_t fd_segment_ = 0;
  std::uint64_t fd_size_ = 0;  // Bytes known good in fd_segment_ (synced, in kFsync/kGroup).
  bool needs_truncate_ = false;

  // Queue and sequence state: mu_. Lock order: io_mu_ before mu_.
  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // Flusher: something queued or stopping.
  std::condition_variable done_cv_;  // Waiters: durable_seq_ advanced.
  std::vector<Chunk> queue_;
  std::uint64_t queue_first_seq_ = 1;
  std::uint64_t next_seq_ = 1;
  std::uint64_t settled_seq_ = 0;  // Every seq <= this is durable or failed.
  std::vector<FailedRange> failed_;
  RecordPosition tail_;            // Where the next record goes (logical).
  bool stopping_ = false;
  Stats stats_;

  logging::RateLimitedLog error_log_;  // A full disk fails every append: log it, not each one.
  std::thread flusher_;
};

}  // namespace esper::wal

#endif  // ESPER_WAL_WAL_WRITER_H_
