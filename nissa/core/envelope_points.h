// Every metric point an envelope carries, with the time Nissa files it under: the point's own
// timestamp, else its packet's (or system-state snapshot's), else the envelope's send time. The
// same rule as MetricAggregator::ingest, for the consumers that walk points themselves (alerts,
// session views).
#ifndef ESPER_NISSA_CORE_ENVELOPE_POINTS_H_
#define ESPER_NISSA_CORE_ENVELOPE_POINTS_H_

#include <cstdint>

#include "esper/envelope.pb.h"

namespace esper::nissa {

template <typename Visit>  // void(const proto::MetricPoint&, std::int64_t time_ms)
void for_each_point(const proto::Envelope& envelope, Visit&& visit) {
  auto ms = [](std::uint64_t ns) { return static_cast<std::int64_t>(ns / 1'000'000); };
  const std::int64_t sent_ms = ms(envelope.sent_unix_ns());
  auto all = [&](const auto& points, std::int64_t default_ms) {
    for (const auto& p : points) visit(p, p.timestamp_unix_ns() != 0 ? ms(p.timestamp_unix_ns()) : default_ms);
  };
  if (envelope.has_telemetry()) {
    const auto& packet = envelope.telemetry();
    all(packet.metrics(), packet.timestamp_unix_ns() != 0 ? ms(packet.timestamp_unix_ns()) : sent_ms);
  } else if (envelope.has_system_state()) {
    const auto& state = envelope.system_state();
    const std::int64_t t = state.timestamp_unix_ns() != 0 ? ms(state.timestamp_unix_ns()) : sent_ms;
    all(state.training_metrics(), t);
    for (const auto& seed : state.seed_states()) all(seed.metrics(), t);
  }
}

}  // namespace esper::nissa

#endif  // ESPER_NISSA_CORE_ENVELOPE_POINTS_H_
