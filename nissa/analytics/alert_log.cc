#include "nissa/analytics/alert_log.h"

#include <algorithm>

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

void AlertLog::resolve(std::uint64_t id, std::int64_t time_ms) {
  // Ids increase along the log.
  const auto it = std::lower_bound(alerts_.begin(), alerts_.end(), id, [](const Alert& a, std::uint64_t v) { return a.id < v; });
  if (it == alerts_.end() || it->id != id || it->state != AlertState::kFiring) return;
  it->state = AlertState::kResolved;
  it->resolved_ms = time_ms;
}

std::vector<const Alert*> AlertLog::select(const AlertFilter& filter) const {
  std::deque<const Alert*> selected;
  for (const Alert& a : alerts_) {
    if (a.id <= filter.since_id || a.severity < filter.min_severity) continue;
    if (!filter.rule.empty() && a.rule != filter.rule) continue;
    if (filter.state && a.state != *filter.state) continue;
    selected.push_back(&a);
    if (selected.size() > filter.limit) selected.pop_front();
  }
  return {selected.begin(), selected.end()};
}

}  // namespace esper::nissa
