// The alerts raised since start (or since the last reconfiguration), newest last, bounded: when
// full the oldest is forgotten. Served at /api/v1/alerts (nissa/serve/analytics_queries.h).
#ifndef ESPER_NISSA_ANALYTICS_ALERT_LOG_H_
#define ESPER_NISSA_ANALYTICS_ALERT_LOG_H_

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nissa/analytics/alert.h"
#include "esper/severity.pb.h"

namespace esper::nissa {

struct AlertFilter {
  std::uint64_t since_id = 0;  // Only alerts with a larger id.
  proto::Severity min_severity = proto::SEVERITY_DEBUG;
  std::string rule;            // Empty: every rule.
  std::optional<AlertState> state;  // Unset: every state.
  std::size_t limit = 1000;    // The newest this many of those that match.
};

class AlertLog {
 public:
  explicit AlertLog(std::size_t capacity = 1000) : capacity_(capacity == 0 ? 1 : capacity) {}

  void add(Alert alert);
  void clear();  // Forgets every alert; ids keep increasing.
  // Marks alert `id` resolved at `time_ms`; nothing if it was forgotten (the log was full).
  void resolve(std::uint64_t id, std::int64_t time_ms);

  const std::deque<Alert>& alerts() const { return alerts_; }
  std::uint64_t total() const { return total_; }
  std::uint64_t dropped() const { return dropped_; }

  // The alerts that match, oldest first.
  std::vector<const Alert*> select(const AlertFilter& filter) const;

 private:
  std::size_t capacity_;
  std::deque<Alert> alerts_;
  std::uint64_t total_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_ANALYTICS_ALERT_LOG_H_
