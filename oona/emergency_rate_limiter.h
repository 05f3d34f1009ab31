// The per-source emergency rate limit: a token bucket per source, refilled at `rate_per_second` up
// to `burst`. An emergency envelope that finds its source's bucket empty is not dropped: Oona
// demotes it to the reliable normal lane (Envelope.demoted), so one misbehaving producer cannot
// flood the emergency lane and still loses nothing.
#ifndef ESPER_OONA_EMERGENCY_RATE_LIMITER_H_
#define ESPER_OONA_EMERGENCY_RATE_LIMITER_H_

#include <chrono>
#include <string>
#include <string_view>
#include <unordered_map>

namespace esper::oona {

class EmergencyRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  EmergencyRateLimiter(double rate_per_second, double burst)
      : rate_(rate_per_second), burst_(burst) {}

  // Takes one token from `source`'s bucket; false when it has none (the envelope is demoted).
  bool allow(std::string_view source, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens;
    Clock::time_point refilled;
  };
  double rate_;
  double burst_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace esper::oona

#endif  // ESPER_OONA_EMERGENCY_RATE_LIMITER_H_
