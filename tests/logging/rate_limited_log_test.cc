#include "logging/rate_limited_log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "logging/log_setup.h"

namespace esper::logging {
namespace {

using namespace std::chrono_literals;

class RateLimitedLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%v");
    previous_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  }
  void TearDown() override { spdlog::set_default_logger(previous_); }

  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(RateLimitedLogTest, LogsFirstThenOncePerIntervalWithSuppressedCount) {
  RateLimitedLog log(10s);
  const auto t0 = RateLimitedLog::Clock::time_point{} + 100s;
  EXPECT_TRUE(log.log(spdlog::level::warn, "bad_topic", "rejected bad_topic", t0));
  for (int i = 1; i <= 999; ++i) {
    EXPECT_FALSE(log.log(spdlog::level::warn, "bad_topic", "rejected bad_topic", t0 + 1ms * i));
  }
  EXPECT_TRUE(log.log(spdlog::level::warn, "other", "rejected other", t0 + 1s))
      << "keys are limited independently";
  EXPECT_TRUE(log.log(spdlog::level::warn, "bad_topic", "rejected bad_topic", t0 + 10s));
  EXPECT_EQ(out_.str(),
            "rejected bad_topic\nrejected other\nrejected bad_topic (999 similar suppressed)\n");
}

TEST(LogSetupTest, ParsesLevels) {
  EXPECT_EQ(parse_level("warning"), spdlog::level::warn);
  EXPECT_EQ(parse_level("debug"), spdlog::level::debug);
  EXPECT_FALSE(parse_level("loud").has_value());
}

TEST(LogSetupTest, JournalOnlyWhenJournalStreamIsOurStderr) {
  ::setenv("JOURNAL_STREAM", "1:2", 1);
  EXPECT_FALSE(stderr_is_journal()) << "a JOURNAL_STREAM inherited from elsewhere is not ours";
  ::unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(stderr_is_journal());
}

}  // namespace
}  // namespace esper::logging
