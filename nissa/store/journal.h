// Nissa's journal: its WAL (state_dir/wal) written in Nissa's record types (journal_records.h).
//
//   open      creates the directory (0700) and repairs a torn tail left by a crash (logged);
//   replay    hands every record back in order at start, with progress on a terminal, in the log
//             and to a status sink; corrupt bytes cost only the records in them: each damaged
//             range is copied to wal/quarantine/, logged once and counted;
//   append_*  queue records for the group-commit flusher without waiting;
//   commit    makes everything the current batch queued durable with one fsync (nothing to do,
//             no fsync);
//   expire    retention: deletes segments whose last write is older than the retention period,
//             oldest first, so what they held is forgotten as a prefix.
//
// Not thread-safe: Nissa's loop is its only user.
#ifndef ESPER_NISSA_STORE_JOURNAL_H_
#define ESPER_NISSA_STORE_JOURNAL_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "esper/envelope.pb.h"
#include "logging/rate_limited_log.h"
#include "nissa/store/journal_records.h"
#include "wal/file_ops.h"
#include "wal/wal_writer.h"

namespace esper::nissa {

struct JournalOptions {
  std::filesystem::path dir;
  std::uint64_t segment_size = wal::kDefaultSegmentSize;
  wal::FileOps* file_ops = nullptr;  // Fault injection in tests; the real file system by default.
};

// What replay hands back, by record type. Each may be left empty.
struct JournalReplayHandlers {
  std::function<void(const proto::Envelope&, std::uint64_t segment)> field_report;
  std::function<void(const proto::Envelope&)> event;
  std::function<void(const proto::Envelope&)> alert;
  std::function<void()> alerts_cleared;
};

struct JournalReplaySummary {
  std::uint64_t records = 0;
  std::uint64_t segments = 0;
  std::uint64_t corrupt_ranges = 0;  // Every damaged range found (nissa.wal_corrupt_records_total).
  std::uint64_t acknowledged = 0;    // Of those, acknowledged by an operator (esper-wal).
};

class Journal {
 public:
  // Throws std::runtime_error when the WAL cannot be opened.
  explicit Journal(JournalOptions options);
  ~Journal();

  // Throws std::runtime_error when the WAL cannot be read at all. `status` receives one-line
  // progress ("replaying WAL: 41% (...)").
  JournalReplaySummary replay(const JournalReplayHandlers& handlers,
                              const std::function<void(const std::string&)>& status = {});

  // A field report; `segment` receives the WAL segment its record went to.
  bool append_field_report(const proto::Envelope& envelope, std::uint64_t* segment);
  // One event an envelope carried, as an envelope with that event as its body.
  bool append_event(const proto::Envelope& carrier, const proto::TelemetryEvent& event);
  // Nissa's own record (an alert, a violation, an alerts-cleared mark). Nobody waits for it: it is
  // durable with the next commit or the flusher's next fsync, whichever comes first.
  bool append_own(std::uint8_t type, const proto::Envelope& envelope);

  // One fsync for everything appended by append_field_report/append_event since the last commit.
  wal::Status commit();

  // Deletes segments older than `retention` (never the one being written), oldest first, calling
  // `deleted(segment)` after each. Stops at the first segment to keep or that cannot be deleted.
  void expire(std::chrono::milliseconds retention, const std::function<void(std::uint64_t segment)>& deleted);

  std::uint64_t bytes() const;  // On disk, every segment.
  std::uint64_t errors() const { return errors_; }  // Appends, fsyncs and deletions that failed.

 private:
  bool append(std::uint8_t type, const std::string& payload, wal::Lsn* lsn, const char* what);

  // Counts a record the current batch waits on (its seq, when it was queued).
  void join_batch(std::optional<std::uint64_t> seq);

  JournalOptions options_;
  std::unique_ptr<wal::WalWriter> wal_;
  // The current batch: appended under the observer's lock, committed outside it.
  std::mutex batch_mu_;
  bool dirty_ = false;  // Something the current batch waits on was appended since the last commit.
  // Its first record's seq: a failure the flusher settled before commit() still fails the commit.
  std::optional<std::uint64_t> batch_first_seq_;
  std::uint64_t errors_ = 0;
  logging::RateLimitedLog problems_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_STORE_JOURNAL_H_
