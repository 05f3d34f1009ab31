#include "nissa/store/event_log.h"

#include <algorithm>

#include "nissa/store/envelope_walk.h"

namespace esper::nissa {

void EventLog::add(std::string source, proto::TelemetryEvent event, std::int64_t time_ms) {
  if (events_.size() >= capacity_) events_.pop_front();
  events_.push_back(StoredEvent{next_seq_++, std::move(source), time_ms, std::move(event)});
}

std::size_t EventLog::ingest(const proto::Envelope& envelope) {
  std::size_t added = 0;
  walk_envelope(
      envelope, [](const proto::MetricPoint&, std::int64_t) {},
      [&](const proto::TelemetryEvent& e, std::int64_t time_ms) {
        add(envelope.source(), e, time_ms);
        ++added;
      });
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
