// The events Nissa has seen, newest last, bounded: when full the oldest is forgotten (the WAL keeps
// the persisted ones). Events arrive as Event bodies, inside telemetry packets, or as emergency
// signals; all are stored as TelemetryEvents with their source.
#ifndef ESPER_NISSA_STORE_EVENT_LOG_H_
#define ESPER_NISSA_STORE_EVENT_LOG_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "esper/envelope.pb.h"

namespace esper::nissa {

struct StoredEvent {
  std::uint64_t seq = 0;      // Arrival order in this log, from 1.
  std::string source;
  std::int64_t time_ms = 0;   // Event time (ms since the Unix epoch).
  proto::TelemetryEvent event;
};

struct EventQuery {
  std::int64_t since_ms = 0;                            // Events at or after this time.
  proto::Severity min_severity = proto::SEVERITY_DEBUG;
  std::optional<std::string> source;
  std::size_t limit = 1000;                             // Newest `limit` matching events.
};

class EventLog {
 public:
  explicit EventLog(std::size_t capacity = 100'000) : capacity_(capacity) {}

  void add(std::string source, proto::TelemetryEvent event, std::int64_t time_ms);
  // Every event an envelope carries (event body, telemetry packet events, emergency signal).
  // Returns how many were added.
  std::size_t ingest(const proto::Envelope& envelope);

  // Matching events, oldest first.
  std::vector<const StoredEvent*> query(const EventQuery& query) const;

  std::uint64_t total() const { return next_seq_ - 1; }
  std::size_t size() const { return events_.size(); }

 private:
  std::size_t capacity_;
  std::deque<StoredEvent> events_;
  std::uint64_t next_seq_ = 1;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_STORE_EVENT_LOG_H_
