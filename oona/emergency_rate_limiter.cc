#include "oona/emergency_rate_limiter.h"

#include <algorithm>

namespace esper::oona {

EmergencyRateLimiter::EmergencyRateLimiter(double rate_per_second, double burst, double total_rate,
                                           double total_burst, std::size_t max_sources)
    : rate_(rate_per_second),
      burst_(burst),
      total_rate_(total_rate),
      total_burst_(total_burst),
      max_sources_(std::max<std::size_t>(1, max_sources)),
      total_{total_burst, Clock::time_point{}, {}} {}

void EmergencyRateLimiter::refill(Bucket& bucket, double rate, double burst, Clock::time_point now) {
  const std::chrono::duration<double> elapsed = now - bucket.refilled;
  if (elapsed.count() > 0) {
    bucket.tokens = std::min(burst, bucket.tokens + elapsed.count() * rate);
    bucket.refilled = now;
  }
}

bool EmergencyRateLimiter::allow(std::string_view source, Clock::time_point now) {
  auto it = buckets_.find(std::string(source));
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_sources_) {
      buckets_.erase(lru_.front());
      lru_.pop_front();
    }
    lru_.emplace_back(source);
    it = buckets_.emplace(std::string(source), Bucket{burst_, now, std::prev(lru_.end())}).first;
  } else {
    lru_.splice(lru_.end(), lru_, it->second.lru);
  }
  Bucket& bucket = it->second;
  refill(bucket, rate_, burst_, now);
  if (total_.refilled == Clock::time_point{}) total_.refilled = now;
  refill(total_, total_rate_, total_burst_, now);
  if (bucket.tokens < 1.0 || total_.tokens < 1.0) return false;
  bucket.tokens -= 1.0;
  total_.tokens -= 1.0;
  return true;
}

}  // namespace esper::oona
