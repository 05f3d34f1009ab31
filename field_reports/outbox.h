// The field-report outbox: every report is written to the WAL (durably) before anything else, sent
// on each publish cycle, retried with exponential backoff until Nissa's ack settles it, and dropped
// from memory (not from the WAL) after `retry_cap` retries. On open the WAL is replayed: reports
// neither settled nor dropped are pending again; requeue requests (requeue_request.h) bring dropped
// ones back. Corrupt bytes in the WAL cost only the records in them: replay goes on after them, and
// each damaged range is copied to the WAL's quarantine/ and logged once (wal_quarantine.h). A lost
// append is a report its issuer never sees settle; a lost settle record means one more send, which
// Nissa acknowledges as a duplicate. Retention deletes fully settled segments and relocates dropped
// reports that would otherwise keep old segments for ever (outbox_log.h).
//
// Attempts: a report is published at most 1 + retry_cap times. An attempt fails when the publisher
// refuses it or when no ack arrived within the backoff (initial_backoff * 2^failures, capped at
// max_backoff). Each failure that will be retried emits field_report_retry; the failure that
// exceeds the cap emits field_report_drop. Both carry retry_count = failed attempts so far.
//
// Counters, under the seed's names (docs/reference/training-system.md), exported by metric_points():
//   <prefix>.pending_total    reports kept in memory for retry after the last publish cycle
//   <prefix>.published_total  reports the publisher accepted in the last cycle
//   <prefix>.retries_total    publish attempts that failed in the last cycle
//   <prefix>.dropped_total    reports dropped after the retry cap, since start (cumulative)
//   <prefix>.wal_corrupt_records_total  corrupt ranges the WAL replay found on open (each costs
//                             only the records in it; quarantined and logged, see wal_quarantine.h)
// The cumulative published/retries totals are kept in OutboxCounters (not exported as metrics).
#ifndef ESPER_FIELD_REPORTS_OUTBOX_H_
#define ESPER_FIELD_REPORTS_OUTBOX_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "esper/field_report.pb.h"
#include "esper/telemetry.pb.h"
#include "field_reports/outbox_log.h"
#include "field_reports/outbox_records.h"
#include "field_reports/report_publisher.h"
#include "wal/wal_writer.h"
#include "logging/rate_limited_log.h"

namespace esper::field_reports {

using OutboxClock = std::chrono::steady_clock;

struct OutboxOptions {
  std::filesystem::path wal_dir;
  std::string source = "tamiyo";  // Prefix of report ids and event ids.
  wal::Durability durability = wal::Durability::kGroup;
  std::uint64_t segment_size = wal::kDefaultSegmentSize;
  std::uint32_t retry_cap = 5;
  std::size_t max_in_flight = 256;                // Reports sent and not yet acked or timed out.
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{60000};
  std::string metric_prefix = "tamiyo.field_reports";
  wal::FileOps* file_ops = nullptr;                    // Fault injection in tests.
  std::function<OutboxClock::time_point()> clock; // Empty: steady_clock::now.
};

struct OutboxCounters {
  std::uint64_t pending_total = 0;          // In memory after the last cycle.
  std::uint64_t published_last_cycle = 0;   // Exported as published_total.
  std::uint64_t retries_last_cycle = 0;     // Exported as retries_total.
  std::uint64_t dropped_total = 0;          // Cumulative since start.
  std::uint64_t published_cumulative = 0;
  std::uint64_t retries_cumulative = 0;
  std::uint64_t settled_cumulative = 0;
  std::uint64_t requeued_cumulative = 0;
  std::uint64_t unknown_acks = 0;           // Acks for ids this outbox does not know.
  std::uint64_t wal_errors = 0;             // Settle/drop/requeue records that could not be written.
  std::uint64_t wal_corrupt_records = 0;    // Corrupt ranges found by the replay on open.
};

using EventSink = std::function<void(const proto::TelemetryEvent&)>;

class Outbox {
 public:
  static std::unique_ptr<Outbox> open(OutboxOptions options, ReportPublisher& publisher, EventSink events,
                                      wal::Status* status);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Assigns a new report id (when report_id is empty; a given id must be new), writes the report
  // durably, queues it for the next cycle and emits field_report_synthesised. Fails (and keeps
  // nothing) when the WAL cannot make it durable.
  wal::Status append(proto::FieldReport report, std::string* report_id = nullptr);
  // Picks up requeue requests, sends what is due, retries/drops what timed out, runs retention.
  void publish_cycle();
  // Nissa's ack: the report is settled in the WAL and never sent again.
  void on_ack(const proto::FieldReportAck& ack);

  OutboxCounters counters() const;
  std::vector<proto::MetricPoint> metric_points() const;
  std::vector<std::string> pending_ids() const;  // In memory, oldest first.
  std::uint64_t deleted_segments() const;

 private:
  struct Pending {
    proto::FieldReport report;
    std::uint32_t failures = 0;
    bool awaiting_ack = false;
    OutboxClock::time_point due;
  };

  // What a publish cycle does once it has let go of the lock: emit events, write drop records.
  struct CycleEffects {
    std::vector<proto::TelemetryEvent> events;
    std::vector<std::string> to_drop;
  };

  Outbox(OutboxOptions options, ReportPublisher& publisher, EventSink events);
  // outbox_replay.cc: rebuilds the state from the WAL on open.
  wal::Status replay();
  // outbox_requeue.cc: brings back the dropped reports that requeue requests name.
  void take_requeue_requests();
  void queue_locked(const proto::FieldReport& report, OutboxClock::time_point due);
  // Writes a settle, drop or requeue record for `id`. A failure is counted and logged as "could not
  // <doing> <id>: <error><then>", and false returned: the caller then leaves its state as it was.
  bool write_id_record(OutboxRecord type, const std::string& id, const char* doing, const char* then = "");

  // outbox_publish.cc: the publish cycle's steps and its retry schedule.
  // Under mu_: the reports due at `cycle_start` that the in-flight window has room for.
  std::vector<proto::FieldReport> take_due_locked(OutboxClock::time_point cycle_start, CycleEffects& effects);
  // Without the lock: the publisher may deliver an ack (on_ack) from inside publish().
  std::vector<PublishResult> publish_due(const std::vector<proto::FieldReport>& due);
  // Under mu_: what each attempt's result means for its report.
  void settle_attempts_locked(const std::vector<proto::FieldReport>& due, const std::vector<PublishResult>& results,
                              OutboxClock::time_point cycle_start, CycleEffects& effects);
  OutboxClock::duration backoff(std::uint32_t failures) const;
  // Counts a failed attempt: true if the report goes on, false if it must be dropped.
  bool fail_attempt_locked(Pending& p, std::vector<proto::TelemetryEvent>& events);
  void write_drop(const std::string& id);

  // outbox_retention.cc.
  void run_retention();
  void delete_settled_segments();
  // Re-appends the dropped reports that alone keep the oldest segment alive (outbox_log.h).
  bool relocate_dropped_from_oldest_segment();

  proto::TelemetryEvent make_event(const char* name, proto::Severity level,
                                     std::map<std::string, std::string> attributes);
  void emit(const std::vector<proto::TelemetryEvent>& events);
  OutboxClock::time_point now() const;

  OutboxOptions options_;
  ReportPublisher& publisher_;
  EventSink events_;
  std::unique_ptr<wal::WalWriter> wal_;
  logging::RateLimitedLog bad_input_log_;

  mutable std::mutex mu_;
  OutboxLog log_;
  std::map<std::uint64_t, Pending> pending_;  // By queue order.
  std::unordered_map<std::string, std::uint64_t> pending_index_;
  std::uint64_t next_order_ = 0;
  OutboxCounters counters_;
  bool retention_due_ = true;
  std::uint64_t deleted_segments_ = 0;
};

}  // namespace esper::field_reports

#endif  // ESPER_FIELD_REPORTS_OUTBOX_H_
