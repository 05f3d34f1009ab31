#include "nissa/store/envelope_walk.h"

namespace esper::nissa {

proto::TelemetryEvent event_from_signal(const proto::EmergencySignal& signal) {
  proto::TelemetryEvent event;
  event.set_event_id(signal.signal_id());
  event.set_description(signal.reason());
  event.set_level(signal.level());
  *event.mutable_attributes() = signal.attributes();
  if (!signal.origin().empty()) (*event.mutable_attributes())["origin"] = signal.origin();
  event.set_timestamp_unix_ns(signal.timestamp_unix_ns());
  return event;
}

}  // namespace esper::nissa
