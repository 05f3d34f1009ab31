// What Weatherlight tells the rest of the pipeline: lifecycle events (a service started, exited,
// became unhealthy, crash-looped) and its own telemetry (weatherlight.* metrics), published on the
// bus through Oona. Optional: without a publisher, events are only logged.
#ifndef ESPER_WEATHERLIGHT_SUPERVISOR_REPORTER_H_
#define ESPER_WEATHERLIGHT_SUPERVISOR_REPORTER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "esper/envelope.pb.h"
#include "oona/bus_publisher.h"

namespace esper::weatherlight {

class SupervisorReporter {
 public:
  // `bus` may be null: nothing is published.
  explicit SupervisorReporter(std::unique_ptr<oona::BusPublisher> bus);

  // HIGH and CRITICAL travel on the emergency lane (the bus publisher derives the lane).
  void event(proto::Severity severity, const std::string& name, std::map<std::string, std::string> attributes);
  void metrics(std::vector<proto::MetricPoint> points);

  std::uint64_t unsent() const;

 private:
  std::unique_ptr<oona::BusPublisher> bus_;
  std::uint64_t event_seq_ = 0;
  std::uint64_t packet_seq_ = 0;
};

}  // namespace esper::weatherlight

#endif  // ESPER_WEATHERLIGHT_SUPERVISOR_REPORTER_H_
