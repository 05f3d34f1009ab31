// The alerts raised since start (or since the last reconfiguration), newest last, bounded: when
// full the oldest is forgotten. Served as JSON at /api/v1/alerts:
//
//   GET /api/v1/alerts ?since_id=<id> &min_severity=warning &rule=<name> &limit=<n>
//   -> {"alerts": [{"id", "kind", "rule", "event", "severity", "source", "metric", "series",
//                   "attributes", "value", "baseline", "score", "time_ms", "message"}...],
//       "total": <raised since reset>, "dropped": <forgotten because the log was full>}
#ifndef ESPER_NISSA_ALERT_LOG_H_
#define ESPER_NISSA_ALERT_LOG_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "nissa/alert.h"
#include "nissa/query_api.h"

namespace esper::nissa {

class AlertLog {
 public:
  explicit AlertLog(std::size_t capacity = 1000) : capacity_(capacity == 0 ? 1 : capacity) {}

  void add(Alert alert);
  void clear();  // Forgets every alert; ids keep increasing.

  const std::deque<Alert>& alerts() const { return alerts_; }
  std::uint64_t total() const { return total_; }
  std::uint64_t dropped() const { return dropped_; }

  // The /api/v1/alerts reply; 400 for an unknown parameter or a bad value.
  QueryReply query(const QueryParams& params) const;

 private:
  std::size_t capacity_;
  std::deque<Alert> alerts_;
  std::uint64_t total_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_ALERT_LOG_H_
