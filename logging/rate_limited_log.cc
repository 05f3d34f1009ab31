#include "logging/rate_limited_log.h"

namespace esper::logging {

bool RateLimitedLog::log(spdlog::level::level_enum level, std::string_view key,
                         std::string_view message, Clock::time_point now) {
  std::uint64_t suppressed = 0;
  {
    std::lock_guard lock(mu_);
    auto [it, inserted] = keys_.try_emplace(std::string(key));
    KeyState& state = it->second;
    if (!inserted && now - state.last < interval_) {
      ++state.suppressed;
      return false;
    }
    state.last = now;
    suppressed = state.suppressed;
    state.suppressed = 0;
  }
  if (suppressed > 0) {
    spdlog::log(level, "{} ({} similar suppressed)", message, suppressed);
  } else {
    spdlog::log(level, "{}", message);
  }
  return true;
}

}  // namespace esper::logging
