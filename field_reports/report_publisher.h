// What the outbox needs from the bus: hand over one field report, and learn whether it was taken.
// A refused report (backpressure, rate limit, closed socket) is NOT published: the outbox counts it
// as a failed attempt and retries it. The bus client implements this; tests use fakes.
#ifndef ESPER_FIELD_REPORTS_REPORT_PUBLISHER_H_
#define ESPER_FIELD_REPORTS_REPORT_PUBLISHER_H_

#include "esper/field_report.pb.h"

namespace esper::field_reports {

enum class PublishResult { kAccepted, kRefused };

class ReportPublisher {
 public:
  virtual ~ReportPublisher() = default;
  // Must not call back into the Outbox synchronously except through on_ack (which is allowed).
  virtual PublishResult publish(const proto::FieldReport& report) = 0;
};

}  // namespace esper::field_reports

#endif  // ESPER_FIELD_REPORTS_REPORT_PUBLISHER_H_
