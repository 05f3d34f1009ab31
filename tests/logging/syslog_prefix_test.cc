#include "logging/syslog_prefix.h"

#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

namespace esper::logging {
namespace {

TEST(SyslogPrefix, ParsesEveryPriorityAndLeavesOtherLinesAlone) {
  const auto warning = parse_syslog_prefix("<4>disk almost full");
  ASSERT_TRUE(warning.has_value());
  EXPECT_EQ(warning->level, spdlog::level::warn);
  EXPECT_EQ(warning->text, "disk almost full");
  EXPECT_EQ(parse_syslog_prefix("<7>x")->level, spdlog::level::debug);
  EXPECT_EQ(parse_syslog_prefix("<6>x")->level, spdlog::level::info);
  EXPECT_EQ(parse_syslog_prefix("<5>x")->level, spdlog::level::info);  // notice
  EXPECT_EQ(parse_syslog_prefix("<3>x")->level, spdlog::level::err);
  EXPECT_EQ(parse_syslog_prefix("<0>x")->level, spdlog::level::critical);
  EXPECT_EQ(parse_syslog_prefix("<3>")->text, "");
  EXPECT_FALSE(parse_syslog_prefix("plain"));
  EXPECT_FALSE(parse_syslog_prefix("<8>not a priority"));
  EXPECT_FALSE(parse_syslog_prefix("<4"));
  EXPECT_FALSE(parse_syslog_prefix("<12>two digits"));
}

TEST(SyslogPrefix, TheFlagWritesWhatTheParserReads) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<SyslogPrefixFlag>('*').set_pattern("%*%v");
  sink->set_formatter(std::move(formatter));
  spdlog::logger logger("t", sink);
  logger.set_level(spdlog::level::trace);
  for (auto level : {spdlog::level::debug, spdlog::level::info, spdlog::level::warn, spdlog::level::err,
                     spdlog::level::critical}) {
    out.str("");
    logger.log(level, "message");
    std::string line = out.str();
    ASSERT_FALSE(line.empty());
    line.pop_back();  // '\n'
    const auto parsed = parse_syslog_prefix(line);
    ASSERT_TRUE(parsed.has_value()) << line;
    EXPECT_EQ(parsed->level, level) << line;
    EXPECT_EQ(parsed->text, "message");
  }
}

}  // namespace
}  // namespace esper::logging
