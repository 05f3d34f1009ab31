// The outbox's ReportPublisher on the bus: a field report goes out at once (never through a
// telemetry buffer) as an envelope of its own, which the bus client sends on the reliable lane; a
// report the bus refuses within its send bound is a failed attempt the outbox retries. `send` is
// the bus client's publish: the producer runtime's in Tamiyo, a bare oona::BusPublisher's in tests.
#ifndef ESPER_PRODUCERS_TAMIYO_BUS_REPORT_PUBLISHER_H_
#define ESPER_PRODUCERS_TAMIYO_BUS_REPORT_PUBLISHER_H_

#include <functional>
#include <utility>

#include "esper/envelope.pb.h"
#include "field_reports/report_publisher.h"

namespace esper::tamiyo {

class BusReportPublisher : public field_reports::ReportPublisher {
 public:
  // Publishes one envelope; false when the bus refused it.
  using Send = std::function<bool(proto::Envelope)>;

  explicit BusReportPublisher(Send send) : send_(std::move(send)) {}

  field_reports::PublishResult publish(const proto::FieldReport& report) override {
    proto::Envelope envelope;
    envelope.set_severity(proto::SEVERITY_INFO);
    *envelope.mutable_field_report() = report;
    return send_(std::move(envelope)) ? field_reports::PublishResult::kAccepted
                                      : field_reports::PublishResult::kRefused;
  }

 private:
  Send send_;
};

}  // namespace esper::tamiyo

#endif  // ESPER_PRODUCERS_TAMIYO_BUS_REPORT_PUBLISHER_H_
