#include "weatherlight/restart_tracker.h"

#include <algorithm>

namespace esper::weatherlight {

RestartTracker::RestartTracker(BackoffConfig config, std::uint64_t seed)
    : config_(config), random_(seed), next_delay_(config.initial) {}

void RestartTracker::on_start(Clock::time_point now) {
  started_ = now;
  stable_ = false;
}

bool RestartTracker::on_running(Clock::time_point now) {
  if (stable_ || !started_ || now - *started_ < config_.stable_after) return false;
  stable_ = true;
  next_delay_ = config_.initial;
  restarts_.clear();
  return true;
}

std::optional<std::chrono::milliseconds> RestartTracker::on_exit(Clock::time_point now) {
  on_running(now);  // An exit after a stable run starts from the initial delay again.
  started_.reset();
  while (!restarts_.empty() && now - restarts_.front() > config_.crash_loop_window) restarts_.pop_front();
  restarts_.push_back(now);
  if (restarts_.size() > config_.crash_loop_limit) return std::nullopt;

  const auto base = next_delay_;
  const double factor =
      config_.jitter > 0 ? std::uniform_real_distribution<double>(1 - config_.jitter, 1 + config_.jitter)(random_) : 1;
  next_delay_ = std::min(config_.max, std::chrono::milliseconds(static_cast<std::int64_t>(
                                          static_cast<double>(base.count()) * config_.multiplier)));
  return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(base.count()) * factor));
}

}  // namespace esper::weatherlight
