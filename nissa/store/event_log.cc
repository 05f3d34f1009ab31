#include "nissa/store/event_log.h"

#include <algorithm>

namespace esper::nissa {
namespace {

std::int64_t ms_or(std::uint64_t ns, std::int64_t fallback_ms) {
  return ns != 0 ? static_cast<std::int64_t>(ns / 1'000'000) : fallback_ms;
}

}  // namespace

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

void EventLog::add(std::string source, proto::TelemetryEvent event, std::int64_t time_ms) {
  if (events_.size() >= capacity_) events_.pop_front();
  events_.push_back(StoredEvent{next_seq_++, std::move(source), time_ms, std::move(event)});
}

std::size_t EventLog::ingest(const proto::Envelope& envelope) {
  const std::int64_t sent_ms = ms_or(envelope.sent_unix_ns(), 0);
  std::size_t added = 0;
  auto add_one = [&](const proto::TelemetryEvent& e) {
    add(envelope.source(), e, ms_or(e.timestamp_unix_ns(), sent_ms));
    ++added;
  };
  if (envelope.has_event()) {
    add_one(envelope.event());
  } else if (envelope.has_telemetry()) {
    for (const auto& e : envelope.telemetry().events()) add_one(e);
  } else if (envelope.has_emergency_signal()) {
    add_one(event_from_signal(envelope.emergency_signal()));
  }
  return added;
}

std::vector<const StoredEvent*> EventLog::query(const EventQuery& q) const {
  std::vector<const StoredEvent*> out;
  // Newest first until the limit, then reversed, so a small limit does not scan everything.
  for (auto it = events_.rbegin(); it != events_.rend() && out.size() < q.limit; ++it) {
    if (it->time_ms < q.since_ms) continue;
    if (it->event.level() < q.min_severity) continue;
    if (q.source && it->source != *q.source) continue;
    out.push_back(&*it);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace esper::nissa
