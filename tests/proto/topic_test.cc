#include "proto/topic.h"

#include <gtest/gtest.h>

namespace esper::proto {
namespace {

using proto::Severity;

constexpr BodyKind kAllKinds[] = {BodyKind::kTelemetry,   BodyKind::kEvent,   BodyKind::kFieldReport,
                                  BodyKind::kAck,         BodyKind::kControl, BodyKind::kSystemState,
                                  BodyKind::kEmergencySignal};
constexpr Severity kAllSeverities[] = {proto::SEVERITY_DEBUG, proto::SEVERITY_INFO,
                                       proto::SEVERITY_WARNING, proto::SEVERITY_HIGH,
                                       proto::SEVERITY_CRITICAL};

TEST(TopicTest, LaneFollowsDesignForEveryKindAndSeverity) {
  for (BodyKind kind : kAllKinds) {
    for (Severity severity : kAllSeverities) {
      const bool reliable_kind =
          kind == BodyKind::kFieldReport || kind == BodyKind::kAck || kind == BodyKind::kControl;
      const Lane expected = reliable_kind                            ? Lane::kReliable
                            : severity >= proto::SEVERITY_HIGH ? Lane::kEmergency
                                                                     : Lane::kNormal;
      EXPECT_EQ(lane_for(kind, severity), expected)
          << kind_name(kind) << " at " << severity_name(severity);
    }
  }
}

TEST(TopicTest, FormatsMostGeneralFirst) {
  EXPECT_EQ(format_topic({Lane::kEmergency, BodyKind::kEvent, proto::SEVERITY_CRITICAL, "tamiyo"}),
            "emergency.event.critical.tamiyo");
  EXPECT_EQ(format_topic({Lane::kNormal, BodyKind::kTelemetry, proto::SEVERITY_INFO, "tolaria"}),
            "normal.telemetry.info.tolaria");
  EXPECT_EQ(format_topic({Lane::kReliable, BodyKind::kAck, proto::SEVERITY_INFO, "tamiyo"}),
            "reliable.ack.info.tamiyo");
}

TEST(TopicTest, ParseInvertsFormatForEveryCombination) {
  for (BodyKind kind : kAllKinds) {
    for (Severity severity : kAllSeverities) {
      const Topic topic{lane_for(kind, severity), kind, severity, "uma-serve"};
      const auto parsed = parse_topic(format_topic(topic));
      ASSERT_TRUE(parsed.has_value()) << format_topic(topic);
      EXPECT_EQ(*parsed, topic);
    }
  }
}

TEST(TopicTest, RejectsMalformedTopics) {
  for (const char* bad : {"", "normal", "normal.telemetry.info", "normal.telemetry.info.a.b",
                          "fast.telemetry.info.a", "normal.metrics.info.a", "normal.telemetry.loud.a",
                          "normal.telemetry.info.", "normal.telemetry.info.bad source",
                          "normal.telemetry.warn.a", ".telemetry.info.a"}) {
    EXPECT_FALSE(parse_topic(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(TopicTest, SourceValidation) {
  EXPECT_TRUE(is_valid_source("tamiyo"));
  EXPECT_TRUE(is_valid_source("stream-gateway"));
  EXPECT_TRUE(is_valid_source("rl_trainer2"));
  EXPECT_TRUE(is_valid_source(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_source(""));
  EXPECT_FALSE(is_valid_source(std::string(65, 'a')));
  EXPECT_FALSE(is_valid_source("a.b"));  // Dots separate topic parts.
  EXPECT_FALSE(is_valid_source("a b"));
  EXPECT_FALSE(is_valid_source("é"));
}

TEST(TopicTest, SeverityNamesAcceptCommonAbbreviations) {
  EXPECT_EQ(parse_severity("warn"), proto::SEVERITY_WARNING);
  EXPECT_EQ(parse_severity("crit"), proto::SEVERITY_CRITICAL);
  EXPECT_EQ(parse_severity("high"), proto::SEVERITY_HIGH);
  EXPECT_FALSE(parse_severity("loud").has_value());
}

// A subscriber that wants "all emergency traffic" or "all normal telemetry" uses a ZeroMQ prefix
// subscription; the topic order must make those prefixes exact.
TEST(TopicTest, PrefixSubscriptionsSelectExactlyTheirLane) {
  const std::string emergency =
      format_topic({Lane::kEmergency, BodyKind::kEvent, proto::SEVERITY_HIGH, "normal"});
  EXPECT_TRUE(emergency.starts_with("emergency."));
  EXPECT_FALSE(emergency.starts_with("normal."));
  const std::string telemetry =
      format_topic({Lane::kNormal, BodyKind::kTelemetry, proto::SEVERITY_DEBUG, "emergency"});
  EXPECT_TRUE(telemetry.starts_with("normal.telemetry."));
}

}  // namespace
}  // namespace esper::proto
