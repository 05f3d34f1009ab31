// Retry delays for an exporter: exponential from min to max, each drawn uniformly from the upper
// half of its step, so exporters of a fleet that lost the same remote at the same moment do not
// come back in step.
#ifndef ESPER_NISSA_EXPORT_JITTERED_BACKOFF_H_
#define ESPER_NISSA_EXPORT_JITTERED_BACKOFF_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace esper::nissa {

class JitteredBackoff {
 public:
  JitteredBackoff(std::chrono::milliseconds min, std::chrono::milliseconds max) : next_(min), max_(max) {}

  std::chrono::milliseconds next() {
    std::uniform_int_distribution<std::int64_t> draw(next_.count() / 2, next_.count());
    const std::chrono::milliseconds delay{draw(random_)};
    next_ = std::min(max_, next_ * 2);
    return delay;
  }

 private:
  std::chrono::milliseconds next_, max_;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_EXPORT_JITTERED_BACKOFF_H_
