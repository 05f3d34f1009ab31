#include "nissa/store/journal.h"

#include <unistd.h>

#include <iostream>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "logging/log_setup.h"
#include "wal/wal_progress_display.h"
#include "wal/wal_quarantine.h"
#include "wal/wal_reader.h"

namespace esper::nissa {

Journal::Journal(JournalOptions options) : options_(std::move(options)) {
  wal::WalWriterOptions wal_options;
  wal_options.dir = options_.dir;
  wal_options.durability = wal::Durability::kGroup;
  wal_options.segment_size = options_.segment_size;
  wal_options.file_ops = options_.file_ops;
  wal::Status status;
  wal::RepairReport repair;
  wal_ = wal::WalWriter::open(wal_options, &status, &repair);
  if (!wal_) throw std::runtime_error("cannot open WAL " + options_.dir.string() + ": " + status.message());
  for (const auto& problem : repair.problems) {
    spdlog::warn("WAL repaired at start: {}", wal::describe(problem));
  }
  if (repair.truncated_bytes > 0) {
    spdlog::warn("WAL: truncated a torn tail of {} bytes; every record before it is kept", repair.truncated_bytes);
  }
}

Journal::~Journal() = default;

JournalReplaySummary Journal::replay(const JournalReplayHandlers& handlers,
                                     const std::function<void(const std::string&)>& status) {
  // A large WAL takes a while: show how far replay has got, so that start-up does not look hung.
  const bool terminal = ::isatty(STDERR_FILENO) == 1 && !logging::stderr_is_journal();
  wal::WalProgressDisplay progress("replaying WAL", terminal ? &std::cerr : nullptr,
                                   [](const std::string& line) { spdlog::info("{}", line); });
  if (status) progress.set_status_sink(status);
  wal::WalReadSummary read;
  const auto read_status = wal::read_wal(
      options_.dir,
      [&](const wal::WalRecord& record) {
        proto::Envelope envelope;
        if (!envelope.ParseFromArray(record.payload.data(), static_cast<int>(record.payload.size()))) {
          spdlog::warn("WAL record at segment {} offset {} is not an envelope; skipped", record.position.segment,
                       record.position.offset);
          return;
        }
        if (record.type == kRecordFieldReport && envelope.has_field_report()) {
          if (handlers.field_report) handlers.field_report(envelope, record.position.segment);
        } else if (record.type == kRecordEvent) {
          if (handlers.event) handlers.event(envelope);
        } else if (record.type == kRecordAlert && envelope.has_event()) {
          if (handlers.alert) handlers.alert(envelope);
        } else if (record.type == kRecordAlertsCleared) {
          if (handlers.alerts_cleared) handlers.alerts_cleared();
        }
      },
      &read, progress.read_options());
  if (!read_status.ok()) throw std::runtime_error("cannot replay WAL: " + read_status.message());
  // Corruption cost only the damaged records (the reader went on after each range): keep a copy of
  // the bytes, say so once, and count it so that it shows on dashboards.
  const auto corruption = wal::quarantine_corruption(options_.dir, "Nissa's WAL", read.problems);
  return JournalReplaySummary{read.records, read.segments, corruption.corrupt_ranges, corruption.acknowledged};
}

bool Journal::append(std::uint8_t type, const std::string& payload, wal::Lsn* lsn, const char* what) {
  if (const auto s = wal_->append(type, payload, lsn); !s.ok()) {
    ++errors_;
    problems_.log(spdlog::level::err, what, std::string("cannot persist ") + what + ": " + s.message());
    return false;
  }
  return true;
}

void Journal::join_batch(std::optional<std::uint64_t> seq) {
  std::lock_guard lock(batch_mu_);
  dirty_ = true;
  if (seq && !batch_first_seq_) batch_first_seq_ = seq;
}

bool Journal::append_field_report(const proto::Envelope& envelope, std::uint64_t* segment) {
  wal::Lsn lsn;
  const bool queued = append(kRecordFieldReport, envelope.SerializeAsString(), &lsn, "field report");
  join_batch(queued ? std::optional(lsn.seq) : std::nullopt);
  if (!queued) return false;
  *segment = lsn.position.segment;
  return true;
}

bool Journal::append_event(const proto::Envelope& carrier, const proto::TelemetryEvent& event) {
  proto::Envelope record = carrier;
  *record.mutable_event() = event;
  wal::Lsn lsn;
  const bool queued = append(kRecordEvent, record.SerializeAsString(), &lsn, "event");
  join_batch(queued ? std::optional(lsn.seq) : std::nullopt);
  return queued;
}

bool Journal::append_own(std::uint8_t type, const proto::Envelope& envelope) {
  return append(type, envelope.SerializeAsString(), nullptr, "alert or violation");
}

wal::Status Journal::commit() {
  std::optional<std::uint64_t> first;
  {
    std::lock_guard lock(batch_mu_);
    if (!dirty_) return {};  // Pure telemetry: nothing to make durable, no fsync.
    dirty_ = false;
    first = std::exchange(batch_first_seq_, std::nullopt);
  }
  // From the batch's first record: the flusher may have written, and failed, it already.
  wal::Status status = first ? wal_->flush_since(*first) : wal_->flush();
  if (!status.ok()) ++errors_;
  return status;
}

void Journal::expire(std::chrono::milliseconds retention, const std::function<void(std::uint64_t)>& deleted) {
  if (retention.count() <= 0) return;
  const auto cutoff = std::filesystem::file_time_type::clock::now() - retention;
  const std::uint64_t current = wal_->current_segment();
  for (const auto& segment : wal::list_segments(options_.dir)) {
    if (segment.number >= current) break;
    std::error_code error;
    const auto written = std::filesystem::last_write_time(segment.path, error);
    if (error || written > cutoff) break;
    if (const auto s = wal_->delete_segment(segment.number); !s.ok()) {
      ++errors_;
      problems_.log(spdlog::level::err, "wal_retention",
                    "cannot delete expired WAL segment " + std::to_string(segment.number) + ": " + s.message());
      break;
    }
    deleted(segment.number);
  }
}

std::uint64_t Journal::bytes() const {
  std::uint64_t total = 0;
  for (const auto& segment : wal::list_segments(options_.dir)) total += segment.size;
  return total;
}

}  // namespace esper::nissa
