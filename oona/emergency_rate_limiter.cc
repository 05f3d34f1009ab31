#include "oona/emergency_rate_limiter.h"

#include <algorithm>

namespace esper::oona {

bool EmergencyRateLimiter::allow(std::string_view source, Clock::time_point now) {
  auto it = buckets_.find(std::string(source));
  if (it == buckets_.end()) {
    it = buckets_.emplace(std::string(source), Bucket{burst_, now}).first;
  }
  Bucket& bucket = it->second;
  const std::chrono::duration<double> elapsed = now - bucket.refilled;
  if (elapsed.count() > 0) {
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed.count() * rate_);
    bucket.refilled = now;
  }
  if (bucket.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  return true;
}

}  // namespace esper::oona
