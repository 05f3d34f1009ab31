// Tamiyo's field reports: the crash-safe outbox of field_reports/outbox.h, its WAL in
// <state dir>/field_reports, publishing each report at once through the producer runtime, and a
// subscriber to the acks Nissa sends back on the bus (reliable.ack.*), which settle them. Reports
// not acked in time are published again, with backoff, until the retry cap drops them.
#ifndef ESPER_PRODUCERS_TAMIYO_REPORT_OUTBOX_H_
#define ESPER_PRODUCERS_TAMIYO_REPORT_OUTBOX_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "field_reports/outbox.h"
#include "oona/bus_subscriber.h"
#include "producers/service_runtime.h"
#include "producers/tamiyo/bus_report_publisher.h"

namespace esper::tamiyo {

struct ReportOutboxOptions {
  std::filesystem::path state_dir;  // Private to the user: unsent reports are in there.
  std::uint32_t retry_cap = 5;      // Retries of a report before it is dropped from memory.
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{60000};
};

class ReportOutbox {
 public:
  // Opens the outbox for `runtime`'s service and subscribes to the acks on `bus`. nullptr, with
  // what went wrong in `error`, when the WAL cannot be opened; throws when state_dir is not a
  // private directory (daemon/private_directory.h).
  static std::unique_ptr<ReportOutbox> open(const ReportOutboxOptions& options, producers::ServiceRuntime& runtime,
                                            const oona::BusPublisherOptions& bus, std::string* error);

  // Settles the reports whose acks have arrived.
  void take_acks();

  // Publishes what is due (first attempts and retries) and records the outbox's metrics in the
  // runtime's buffer. Returns how many reports have been settled in all.
  std::uint64_t publish_cycle();

  // Writes one report to the WAL; it goes out at the next cycle.
  wal::Status append(proto::FieldReport report, std::string* id) { return outbox_->append(std::move(report), id); }

  // Nothing in flight: every report is settled or dropped.
  bool all_settled() const { return outbox_->pending_ids().empty(); }

 private:
  explicit ReportOutbox(producers::ServiceRuntime& runtime);

  producers::ServiceRuntime& runtime_;
  BusReportPublisher publisher_;
  std::unique_ptr<field_reports::Outbox> outbox_;
  std::optional<oona::BusSubscriber> acks_;  // Once the outbox is open.
};

}  // namespace esper::tamiyo

#endif  // ESPER_PRODUCERS_TAMIYO_REPORT_OUTBOX_H_
