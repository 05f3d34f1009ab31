// The one walk over what an envelope carries: every metric point and every event, each with the
// time Nissa files it under. Everything Nissa keeps or concludes from an envelope (aggregates,
// events, alerts, session views, the journal) is fed from one walk, so the time rule lives here:
//
//   a point   its own timestamp, else its packet's (or system-state snapshot's), else the
//             envelope's send time;
//   an event  its own timestamp, else the envelope's send time.
//
// Events arrive as an event body, inside a telemetry packet, or as an emergency signal (turned
// into the event it describes).
#ifndef ESPER_NISSA_STORE_ENVELOPE_WALK_H_
#define ESPER_NISSA_STORE_ENVELOPE_WALK_H_

#include <cstdint>

#include "esper/envelope.pb.h"

namespace esper::nissa {

inline std::int64_t unix_ns_to_ms(std::uint64_t ns) { return static_cast<std::int64_t>(ns / 1'000'000); }

// A timestamp in ns if set, else `fallback_ms`.
inline std::int64_t filed_time_ms(std::uint64_t own_unix_ns, std::int64_t fallback_ms) {
  return own_unix_ns != 0 ? unix_ns_to_ms(own_unix_ns) : fallback_ms;
}

// The event an emergency signal describes (id, reason, level, attributes plus its origin).
proto::TelemetryEvent event_from_signal(const proto::EmergencySignal& signal);

// on_point(const proto::MetricPoint&, std::int64_t time_ms); on_event(const proto::TelemetryEvent&,
// std::int64_t time_ms).
template <typename OnPoint, typename OnEvent>
void walk_envelope(const proto::Envelope& envelope, OnPoint&& on_point, OnEvent&& on_event) {
  const std::int64_t sent_ms = unix_ns_to_ms(envelope.sent_unix_ns());
  auto points = [&](const auto& list, std::int64_t fallback_ms) {
    for (const auto& p : list) on_point(p, filed_time_ms(p.timestamp_unix_ns(), fallback_ms));
  };
  auto event = [&](const proto::TelemetryEvent& e) { on_event(e, filed_time_ms(e.timestamp_unix_ns(), sent_ms)); };
  switch (envelope.body_case()) {
    case proto::Envelope::kTelemetry: {
      const auto& packet = envelope.telemetry();
      points(packet.metrics(), filed_time_ms(packet.timestamp_unix_ns(), sent_ms));
      for (const auto& e : packet.events()) event(e);
      break;
    }
    case proto::Envelope::kSystemState: {
      const auto& state = envelope.system_state();
      const std::int64_t t = filed_time_ms(state.timestamp_unix_ns(), sent_ms);
      points(state.training_metrics(), t);
      for (const auto& seed : state.seed_states()) points(seed.metrics(), t);
      break;
    }
    case proto::Envelope::kEvent:
      event(envelope.event());
      break;
    case proto::Envelope::kEmergencySignal:
      event(event_from_signal(envelope.emergency_signal()));
      break;
    default:
      break;  // Field reports, acks and control carry neither.
  }
}

}  // namespace esper::nissa

#endif  // ESPER_NISSA_STORE_ENVELOPE_WALK_H_
