// The production EnvelopeSink: hands envelopes to Oona through the bus publisher, which derives the
// lane (HIGH/CRITICAL events take the emergency sockets) and bounds how long it may block.
#ifndef ESPER_PRODUCERS_BUS_ENVELOPE_SINK_H_
#define ESPER_PRODUCERS_BUS_ENVELOPE_SINK_H_

#include "oona/bus_publisher.h"
#include "producers/telemetry_buffer.h"

namespace esper::producers {

class BusEnvelopeSink : public EnvelopeSink {
 public:
  explicit BusEnvelopeSink(oona::BusPublisher& bus) : bus_(bus) {}
  bool publish(proto::Envelope envelope) override { return bus_.publish(std::move(envelope)); }
  bool publish_telemetry(std::string_view packet, proto::Severity level) override {
    return bus_.publish_telemetry(packet, level);
  }

 private:
  oona::BusPublisher& bus_;
};

}  // namespace esper::producers

#endif  // ESPER_PRODUCERS_BUS_ENVELOPE_SINK_H_
