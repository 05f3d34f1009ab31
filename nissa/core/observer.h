// The Nissa process's core: receives every envelope from Oona (emergency lane first), aggregates
// metrics, keeps events, persists what must survive, and acknowledges field reports once durable.
//
// Field reports follow one rule: acknowledged only after fsync. Each loop iteration takes a batch
// of envelopes, queues the new reports (and the events to persist) in the WAL, makes the WAL durable
// with one fsync for the whole batch (group commit), and only then adds the reports to the index and
// publishes their acks. A report whose id is already indexed (a retry) is acknowledged again as a
// duplicate and never stored twice. If the fsync fails (disk full...), nothing of the batch is
// acknowledged or indexed; the issuers' outboxes retry and the retries succeed once space returns.
//
// At start the WAL is replayed (reports into the index, events into the event log), with progress on
// a terminal, in the log and in systemd's status, and the last
// aggregates checkpoint is restored; aggregates since that checkpoint are lost on a crash, which is
// why checkpoints are periodic and written again at clean shutdown. Corrupt bytes in the WAL cost
// only the records in them: replay goes on after each damaged range, copies it to wal/quarantine/,
// logs it once and counts it (nissa.wal_corrupt_records_total); `esper-wal verify` keeps failing on
// it until an operator acknowledges it. With each checkpoint, WAL
// segments whose last write is older than the retention period are deleted and their reports
// forgotten, so disk and memory stay bounded (a retry of a report that old would be stored again).
//
// Analytics ride on the same loop: every metric point goes through the alert engine
// (nissa/analytics/alert_engine.h) and the session views (nissa/analytics/session_views.h), every telemetry packet is
// checked against the schema contracts (nissa/analytics/schema_contract.h). Alerts and schema violations are
// published back on the bus after each batch as events from "nissa" (HIGH/CRITICAL on the emergency
// lane) and added to the local event log, since Nissa ignores its own envelopes coming back. They
// are written to the WAL too (alerts as alert records, violations at the persisted severity as
// events; a reload writes an alerts-cleared record), so /api/v1/alerts and the event log show the
// same history after a restart.
// reload() (SIGHUP, POST /api/v1/admin/reload) re-reads the config file's alerts, contracts and
// session options and resets the alert baselines and history.
//
// Threads: run() is the only writer. HTTP handlers read through read(), under the same mutex.
#ifndef ESPER_NISSA_CORE_OBSERVER_H_
#define ESPER_NISSA_CORE_OBSERVER_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include <google/protobuf/arena.h>

#include "daemon/supervisor_link.h"
#include "wal/wal_writer.h"
#include "logging/rate_limited_log.h"
#include "nissa/analytics/alert_engine.h"
#include "nissa/store/event_log.h"
#include "nissa/store/field_report_store.h"
#include "nissa/serve/http_refusals.h"
#include "nissa/store/journal_records.h"
#include "nissa/store/metric_aggregator.h"
#include "nissa/core/nissa_config.h"
#include "nissa/analytics/schema_contract.h"
#include "nissa/analytics/session_views.h"
#include "oona/bus_publisher.h"
#include "oona/bus_subscriber.h"
#include "signals/shutdown_signals.h"

namespace esper::nissa {

struct ObserverCounters {
  std::array<std::uint64_t, 7> ingested_by_kind{};  // Indexed by proto::BodyKind.
  std::uint64_t points = 0;
  std::uint64_t events = 0;
  std::uint64_t reports_stored = 0;
  std::uint64_t reports_duplicate = 0;
  std::uint64_t acks_sent = 0;
  std::uint64_t acks_unsent = 0;
  std::uint64_t wal_errors = 0;
  std::uint64_t wal_segments_expired = 0;  // Deleted by retention.
  std::uint64_t wal_corrupt_records = 0;   // Corrupt ranges the replay at start found (quarantined).
  std::uint64_t reports_expired = 0;       // Forgotten with them.
  std::uint64_t replayed_reports = 0;
  std::uint64_t replayed_events = 0;
  std::uint64_t replayed_alerts = 0;
  std::uint64_t alerts_published = 0;
  std::uint64_t alerts_unsent = 0;  // Raised (and logged) but not handed to Oona in time.
  std::uint64_t schema_violations = 0;
  std::uint64_t reloads = 0;
  std::uint64_t reload_failures = 0;
};

// Read access to the analytics state, for the HTTP handlers.
struct Analytics {
  const AlertEngine& alerts;
  const SchemaContractChecker& contracts;
  const SessionViews& sessions;
};

struct ReloadResult {
  bool ok = false;
  std::string message;  // The config error when !ok.
  std::size_t rules = 0;
  std::size_t contracts = 0;
};

class Observer {
 public:
  // Opens and replays the WAL; throws std::runtime_error if it cannot be opened. `startup_status`
  // receives one-line progress of the replay ("replaying WAL: 41% (...)"); main passes it to
  // systemd as STATUS=.
  explicit Observer(NissaConfig config, std::function<void(const std::string&)> startup_status = {});
  ~Observer();
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  // Serves until `signals` delivers SIGINT or SIGTERM; then writes a final checkpoint.
  // `on_tick` runs after each publication of Nissa's own telemetry (main pings systemd's watchdog
  // from there, so a wedged loop stops the pings). `supervisor`, if given, is answered from the
  // same loop, so Weatherlight sees it turn (daemon/supervisor_link.h).
  void run(signals::ShutdownSignals& signals, const std::function<void()>& on_tick = {},
           daemon::SupervisorLink* supervisor = nullptr);

  // Calls f(aggregator, events, reports) with the state locked; for the HTTP handlers.
  template <typename F>
  auto read(F&& f) const {
    std::lock_guard lock(mu_);
    return f(aggregator_, events_, reports_);
  }

  template <typename F>
  auto read_analytics(F&& f) const {
    std::lock_guard lock(mu_);
    return f(Analytics{alerts_, contracts_, sessions_});
  }

  // Re-reads the config file; on success installs its alert rules (resetting baselines and alert
  // history), schema contracts and session options. Thread-safe. On failure nothing changes.
  ReloadResult reload();

  // Nissa's own counters as one flat JSON object (the Unix-socket metrics endpoint's payload).
  std::string metrics_json() const;

  bool ready() const { return ready_.load(); }
  ObserverCounters counters() const;
  // Where the HTTP server counts what it refuses; published as nissa.http_refused_total{reason}.
  HttpRefusals& http_refusals() { return http_refusals_; }
  const NissaConfig& config() const { return config_; }

 private:
  struct PendingReport {
    proto::Envelope envelope;
    std::uint64_t wal_segment = 0;  // Where its record went, once appended.
  };

  void replay(const std::function<void(const std::string&)>& startup_status);
  void handle(const oona::BusMessageView& message, std::vector<PendingReport>& pending,
              std::vector<proto::FieldReportAck>& duplicate_acks);
  void commit_batch(std::vector<PendingReport>& pending,
                    std::vector<proto::FieldReportAck>& duplicate_acks);
  void publish_ack(proto::FieldReportAck ack, std::uint64_t sent_unix_ns);
  void publish_own_telemetry();
  void checkpoint();
  void expire_segments();  // Retention: deletes WAL segments older than config_.retention.
  void analyze(const proto::Envelope& envelope);  // Alerts, contracts, session views.
  void publish_analytics();                         // What analyze() raised, onto the bus.
  // Appends Nissa's own event (an alert, a violation, an alerts-cleared mark) to the WAL. Under mu_.
  void persist_own(std::uint8_t type, const proto::Envelope& envelope);

  NissaConfig config_;
  std::unique_ptr<wal::WalWriter> wal_;
  std::unique_ptr<oona::BusSubscriber> subscriber_;
  std::unique_ptr<oona::BusPublisher> publisher_;
  logging::RateLimitedLog problems_;

  mutable std::mutex mu_;  // Guards the three stores and counters_.
  MetricAggregator aggregator_;
  EventLog events_;
  FieldReportStore reports_;
  ObserverCounters counters_;
  AlertEngine alerts_;
  SchemaContractChecker contracts_;
  SessionViews sessions_;
  std::vector<Alert> raised_;                 // Raised in the current batch, to publish.
  std::vector<SchemaViolation> violations_;   // Found in the current batch, to publish.

  google::protobuf::Arena arena_;  // Each batch is decoded onto it; reset after the batch.
  std::unordered_set<std::string> batch_ids_;  // Report ids queued in the current batch.
  bool wal_dirty_ = false;  // Something was appended to the WAL in the current batch.
  std::atomic<bool> ready_{false};
  HttpRefusals http_refusals_;  // Atomic counters: written by the HTTP threads, no lock.
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_CORE_OBSERVER_H_
