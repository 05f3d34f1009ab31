// Field reports in, acknowledgements out, under one rule: a report is acknowledged only once its
// record is durable (fsynced).
//
// During a batch, offer() sorts each report: one already in the store (a retry) gets a duplicate
// ack carrying the time the first copy became durable; a second copy within the batch is dropped
// (one ack will do); a new one is kept. commit() then appends the new ones to the journal, makes
// the journal durable with one fsync for the whole batch (group commit: it covers the events the
// batch appended too), and only then indexes the reports and returns their acks. If the fsync
// fails (disk full...), nothing of the batch is indexed or acknowledged; the issuers' outboxes
// retry, and the retries succeed once space returns.
#ifndef ESPER_NISSA_CORE_REPORT_INTAKE_H_
#define ESPER_NISSA_CORE_REPORT_INTAKE_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "esper/envelope.pb.h"
#include "logging/rate_limited_log.h"
#include "nissa/store/field_report_store.h"
#include "nissa/store/journal.h"

namespace esper::nissa {

struct ReportAck {
  proto::FieldReportAck ack;
  std::uint64_t sent_unix_ns = 0;  // The report's send time, for the ack latency; 0 for duplicates.
};

struct ReportIntakeCounters {
  std::uint64_t stored = 0;
  std::uint64_t duplicate = 0;
};

class ReportIntake {
 public:
  // `store_mu` guards `store` (the HTTP handlers read it).
  ReportIntake(Journal& journal, FieldReportStore& store, std::mutex& store_mu);

  // For each field-report envelope of the batch; called with `store_mu` held.
  void offer(const proto::Envelope& envelope);

  // Ends the batch: see the top of this file. Called without `store_mu` held. Returns the acks to
  // publish, duplicates first.
  std::vector<ReportAck> commit();

  // Read with `store_mu` held.
  const ReportIntakeCounters& counters() const { return counters_; }

 private:
  Journal& journal_;
  FieldReportStore& store_;
  std::mutex& store_mu_;
  std::vector<ReportAck> duplicate_acks_;
  std::vector<proto::Envelope> pending_;
  std::unordered_set<std::string> batch_ids_;  // Report ids kept in the current batch.
  ReportIntakeCounters counters_;
  logging::RateLimitedLog problems_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_CORE_REPORT_INTAKE_H_
