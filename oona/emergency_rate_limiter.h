// The emergency rate limit: a token bucket per source, refilled at `rate_per_second` up to `burst`,
// and one for all sources together (`total_rate`, `total_burst`). An emergency envelope that finds
// its source's bucket or the total one empty is not dropped: Oona demotes it to the reliable normal
// lane (Envelope.demoted), so one misbehaving producer cannot flood the emergency lane, nor can a
// flood under many invented source names, and still nothing is lost.
//
// Source names are self-declared, so the buckets are bounded: at most `max_sources`, the least
// recently used forgotten first. A forgotten source starts again with a full bucket, which the
// total bucket still bounds.
#ifndef ESPER_OONA_EMERGENCY_RATE_LIMITER_H_
#define ESPER_OONA_EMERGENCY_RATE_LIMITER_H_

#include <chrono>
#include <cstddef>
#include <limits>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

namespace esper::oona {

class EmergencyRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kDefaultMaxSources = 4096;
  static constexpr double kUnlimited = std::numeric_limits<double>::infinity();

  EmergencyRateLimiter(double rate_per_second, double burst, double total_rate = kUnlimited,
                       double total_burst = kUnlimited, std::size_t max_sources = kDefaultMaxSources);

  // Takes one token from `source`'s bucket and one from the total; false when either has none (the
  // envelope is demoted, and neither bucket is charged).
  bool allow(std::string_view source, Clock::time_point now = Clock::now());

  std::size_t sources() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens;
    Clock::time_point refilled;
    std::list<std::string>::iterator lru;
  };
  static void refill(Bucket& bucket, double rate, double burst, Clock::time_point now);

  double rate_;
  double burst_;
  double total_rate_;
  double total_burst_;
  std::size_t max_sources_;
  Bucket total_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::list<std::string> lru_;  // Least recently used first.
};

}  // namespace esper::oona

#endif  // ESPER_OONA_EMERGENCY_RATE_LIMITER_H_
