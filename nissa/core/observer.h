// The Nissa process's core loop: receives every envelope from Oona (emergency lane first) in
// batches and walks each once (nissa/store/envelope_walk.h), feeding in that one pass
//   - the stores: aggregates (nissa/store/metric_aggregator.h) and the event log;
//   - the journal, for events at or above the persisted severity (nissa/store/journal.h);
//   - the analytics: alerts, session views, schema contracts (nissa/core/analytics_fanout.h);
//   - report intake, for field reports: de-duplication, group commit, acks only once durable
//     (nissa/core/report_intake.h).
// After each batch: one fsync for the batch (report intake's commit), then the acks and what the
// analytics concluded are published back on the bus (as events from "nissa", HIGH/CRITICAL on the
// emergency lane), added to the local event log (Nissa ignores its own envelopes coming back) and
// journaled, so /api/v1/alerts and the event log show the same history after a restart.
//
// At start the journal is replayed (reports into the store, events into the event log, alerts into
// the engine) and the last aggregates checkpoint restored; aggregates since that checkpoint are lost
// on a crash, which is why checkpoints are periodic and written again at clean shutdown. With each
// checkpoint, journal segments older than the retention period are deleted and their reports
// forgotten, so disk and memory stay bounded (a retry of a report that old would be stored again).
// Nissa's own counters are one table (nissa/core/self_telemetry.h) published as nissa.* telemetry
// and served as JSON on the Unix socket.
//
// reload() (SIGHUP, POST /api/v1/admin/reload) re-reads the config file's alerts, contracts and
// session options and resets the alert baselines and history.
//
// Exporters (nissa/export/export_stage.h), when configured, copy the aggregates on a thread of their
// own, a slice at a time under the same mutex, and send them from threads of their own.
//
// Threads: run() is the only writer. HTTP handlers read through read(), under the same mutex.
#ifndef ESPER_NISSA_CORE_OBSERVER_H_
#define ESPER_NISSA_CORE_OBSERVER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "daemon/supervisor_link.h"
#include "logging/rate_limited_log.h"
#include "nissa/core/analytics_fanout.h"
#include "nissa/core/nissa_config.h"
#include "nissa/core/report_intake.h"
#include "nissa/core/self_telemetry.h"
#include "nissa/export/export_stage.h"
#include "nissa/serve/http_refusals.h"
#include "nissa/store/event_log.h"
#include "nissa/store/field_report_store.h"
#include "nissa/store/journal.h"
#include "nissa/store/metric_aggregator.h"
#include "oona/bus_publisher.h"
#include "oona/bus_subscriber.h"
#include "signals/shutdown_signals.h"

namespace esper::nissa {

struct ReloadResult {
  bool ok = false;
  std::string message;  // The config error when !ok.
  std::size_t rules = 0;
  std::size_t contracts = 0;
};

class Observer {
 public:
  // Opens and replays the journal; throws std::runtime_error if it cannot be opened. `startup_status`
  // receives one-line progress of the replay; main passes it to systemd as STATUS=.
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
    return f(analytics_.view());
  }

  // Re-reads the config file; on success installs its alert rules (resetting baselines and alert
  // history), schema contracts and session options. Thread-safe. On failure nothing changes.
  ReloadResult reload();

  // Nissa's own counters as one flat JSON object (the Unix-socket metrics endpoint's payload).
  std::string metrics_json() const;

  bool ready() const { return ready_.load(); }
  // Where the HTTP server counts what it refuses; published as nissa.http_refused_total{reason}.
  HttpRefusals& http_refusals() { return http_refusals_; }
  const NissaConfig& config() const { return config_; }

 private:
  struct Counters {
    std::array<std::uint64_t, 7> ingested_by_kind{};  // Indexed by proto::BodyKind.
    std::uint64_t points = 0;
    std::uint64_t events = 0;
    std::uint64_t acks_sent = 0;
    std::uint64_t acks_unsent = 0;
    std::uint64_t wal_segments_expired = 0;
    std::uint64_t wal_corrupt_records = 0;
    std::uint64_t reports_expired = 0;
    std::uint64_t alerts_published = 0;
    std::uint64_t alerts_unsent = 0;
    std::uint64_t reloads = 0;
    std::uint64_t reload_failures = 0;
  };

  void replay(const std::function<void(const std::string&)>& startup_status);
  void handle(const oona::BusMessageView& message);
  void publish_acks(std::vector<ReportAck> acks);
  std::vector<proto::Envelope> record_conclusions();
  void publish_conclusions(std::vector<proto::Envelope> out);
  // The table of Nissa's own metrics; under mu_.
  SelfTelemetry self_telemetry() const;
  void publish_own_telemetry();
  void checkpoint();
  void expire_segments();
  // Starts the exporters `export:` turns on (none: no stage, no thread).
  void start_export();

  NissaConfig config_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<oona::BusSubscriber> subscriber_;
  std::unique_ptr<oona::BusPublisher> publisher_;
  logging::RateLimitedLog problems_;

  mutable std::mutex mu_;  // Guards the stores, the analytics and counters_.
  MetricAggregator aggregator_;
  EventLog events_;
  FieldReportStore reports_;
  std::unique_ptr<ReportIntake> intake_;
  AnalyticsFanout analytics_;
  Counters counters_;

  std::unique_ptr<ExportStage> export_stage_;  // Reads the aggregates through mu_; started by run().

  std::atomic<bool> ready_{false};
  HttpRefusals http_refusals_;  // Atomic counters: written by the HTTP threads, no lock.
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_CORE_OBSERVER_H_
