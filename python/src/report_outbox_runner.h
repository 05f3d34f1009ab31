// A producer's field reports, for the Python package: the crash-safe outbox of
// field_reports/outbox.h (its WAL in <state_dir>/field_reports), the reports published through the
// producer's ServiceRuntime (so on its bus connection, reliable lane), and a thread of its own that
// reads Nissa's acks (reliable.ack.*) and runs the outbox's publish cycle. Tamiyo drives the same
// outbox from its decision loop (producers/tamiyo/report_outbox.h); a Python program has no loop we
// can borrow, hence the thread.
#ifndef ESPER_PYTHON_SRC_REPORT_OUTBOX_RUNNER_H_
#define ESPER_PYTHON_SRC_REPORT_OUTBOX_RUNNER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "field_reports/outbox.h"
#include "oona/bus_publisher.h"
#include "oona/bus_subscriber.h"
#include "producers/service_runtime.h"
#include "producers/tamiyo/bus_report_publisher.h"

namespace esper::python {

struct ReportOutboxRunnerOptions {
  std::filesystem::path state_dir;  // Made private (0700) if missing; refused if others may write it.
  std::uint32_t retry_cap = 5;
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{60000};
  std::chrono::milliseconds cycle{100};  // Publish-cycle period.
};

class ReportOutboxRunner {
 public:
  // Opens (and replays) the WAL and starts the thread. Throws std::runtime_error when the WAL cannot
  // be opened.
  ReportOutboxRunner(const ReportOutboxRunnerOptions& options, producers::ServiceRuntime& runtime,
                     const oona::BusPublisherOptions& bus);
  ~ReportOutboxRunner();  // stop()
  ReportOutboxRunner(const ReportOutboxRunner&) = delete;
  ReportOutboxRunner& operator=(const ReportOutboxRunner&) = delete;

  // Writes `report` to the WAL and returns once it is durable (fsynced), with its id. Throws
  // std::runtime_error when it could not be made durable (nothing is kept then).
  std::string append(proto::FieldReport report);

  std::vector<std::string> pending_ids() const { return outbox_->pending_ids(); }
  field_reports::OutboxCounters counters() const { return outbox_->counters(); }

  // Stops the thread (one last publish cycle first). Idempotent.
  void stop();

 private:
  void run();

  ReportOutboxRunnerOptions options_;
  producers::ServiceRuntime& runtime_;
  tamiyo::BusReportPublisher publisher_;
  std::unique_ptr<field_reports::Outbox> outbox_;
  oona::BusSubscriberOptions ack_options_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace esper::python

#endif  // ESPER_PYTHON_SRC_REPORT_OUTBOX_RUNNER_H_
