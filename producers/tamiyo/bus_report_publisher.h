// The outbox's ReportPublisher on the producer runtime: a field report goes out at once (never
// through the telemetry buffer) on the reliable lane; a report the bus refuses within its send
// bound is a failed attempt the outbox retries.
#ifndef ESPER_PRODUCERS_TAMIYO_BUS_REPORT_PUBLISHER_H_
#define ESPER_PRODUCERS_TAMIYO_BUS_REPORT_PUBLISHER_H_

#include "field_reports/report_publisher.h"
#include "producers/service_runtime.h"

namespace esper::tamiyo {

class BusReportPublisher : public field_reports::ReportPublisher {
 public:
  explicit BusReportPublisher(producers::ServiceRuntime& runtime) : runtime_(runtime) {}
  field_reports::PublishResult publish(const proto::FieldReport& report) override {
    proto::Envelope envelope;
    envelope.set_severity(proto::SEVERITY_INFO);
    *envelope.mutable_field_report() = report;
    return runtime_.publish(std::move(envelope)) ? field_reports::PublishResult::kAccepted
                                                 : field_reports::PublishResult::kRefused;
  }

 private:
  producers::ServiceRuntime& runtime_;
};

}  // namespace esper::tamiyo

#endif  // ESPER_PRODUCERS_TAMIYO_BUS_REPORT_PUBLISHER_H_
