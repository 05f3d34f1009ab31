#include "nissa/analytics/alert_log.h"

namespace esper::nissa {

void AlertLog::add(Alert alert) {
  ++total_;
  if (alerts_.size() >= capacity_) {
    alerts_.pop_front();
    ++dropped_;
  }
  alerts_.push_back(std::move(alert));
}

void AlertLog::clear() {
  alerts_.clear();
  total_ = 0;
  dropped_ = 0;
}

std::vector<const Alert*> AlertLog::select(const AlertFilter& filter) const {
  std::deque<const Alert*> selected;
  for (const Alert& a : alerts_) {
    if (a.id <= filter.since_id || a.severity < filter.min_severity) continue;
    if (!filter.rule.empty() && a.rule != filter.rule) continue;
    selected.push_back(&a);
    if (selected.size() > filter.limit) selected.pop_front();
  }
  return {selected.begin(), selected.end()};
}

}  // namespace esper::nissa
