#include "oona/emergency_rate_limiter.h"

#include <gtest/gtest.h>

namespace esper::oona {
namespace {

using namespace std::chrono_literals;

TEST(EmergencyRateLimiter, AllowsTheBurstThenTheRatePerSource) {
  EmergencyRateLimiter limiter(10.0, 5.0);
  const auto t0 = EmergencyRateLimiter::Clock::time_point{} + 1h;
  int allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += limiter.allow("a", t0);
  EXPECT_EQ(allowed, 5);
  EXPECT_TRUE(limiter.allow("b", t0)) << "buckets are per source";
  EXPECT_FALSE(limiter.allow("a", t0 + 50ms));
  EXPECT_TRUE(limiter.allow("a", t0 + 100ms)) << "10/s refills one token per 100 ms";
  EXPECT_FALSE(limiter.allow("a", t0 + 150ms));
  allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += limiter.allow("a", t0 + 1h);
  EXPECT_EQ(allowed, 5) << "refill is capped at the burst";
}

TEST(EmergencyRateLimiter, TheTotalBucketLimitsAFloodUnderManySourceNames) {
  EmergencyRateLimiter limiter(10.0, 5.0, 100.0, 50.0);
  const auto t0 = EmergencyRateLimiter::Clock::time_point{} + 1h;
  int allowed = 0;
  for (int i = 0; i < 10000; ++i) allowed += limiter.allow("name" + std::to_string(i), t0);
  EXPECT_EQ(allowed, 50) << "each name has its own burst, but all share the total one";
  EXPECT_FALSE(limiter.allow("fresh", t0));
  EXPECT_TRUE(limiter.allow("fresh", t0 + 10ms)) << "100/s refills one total token per 10 ms";
}

TEST(EmergencyRateLimiter, BucketsAreBoundedLeastRecentlyUsedFirst) {
  EmergencyRateLimiter limiter(10.0, 2.0, EmergencyRateLimiter::kUnlimited, EmergencyRateLimiter::kUnlimited, 3);
  const auto t0 = EmergencyRateLimiter::Clock::time_point{} + 1h;
  EXPECT_TRUE(limiter.allow("a", t0));
  EXPECT_TRUE(limiter.allow("a", t0));
  EXPECT_FALSE(limiter.allow("a", t0)) << "a's bucket is empty";
  for (int i = 0; i < 100000; ++i) limiter.allow("name" + std::to_string(i), t0);
  EXPECT_EQ(limiter.sources(), 3u);
  EXPECT_TRUE(limiter.allow("a", t0)) << "a was forgotten, so starts full";
}

}  // namespace
}  // namespace esper::oona
