// Nissa's own metrics are one table: what goes on the bus and what the Unix socket serves as JSON
// come from the same rows, so a metric cannot be in one and missing from the other.
#include "nissa/core/self_telemetry.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace esper::nissa {
namespace {

TEST(SelfTelemetryTest, EveryRowIsAPointAndAJsonKeyWithoutThePrefix) {
  SelfTelemetry t;
  t.counter("nissa.points_total", 42);
  t.gauge("nissa.wal_bytes", 4096, "bytes");
  ASSERT_EQ(t.points().size(), 2u);
  EXPECT_EQ(t.points()[0].name(), "nissa.points_total");
  EXPECT_EQ(t.points()[0].kind(), proto::METRIC_KIND_COUNTER);
  EXPECT_EQ(t.points()[1].kind(), proto::METRIC_KIND_GAUGE);
  EXPECT_EQ(t.points()[1].unit(), "bytes");
  const auto j = nlohmann::json::parse(t.json());
  EXPECT_EQ(j.size(), 2u);
  EXPECT_EQ(j["points_total"], 42);
  EXPECT_TRUE(j["points_total"].is_number_unsigned()) << "counts stay integers";
  EXPECT_EQ(j["wal_bytes"], 4096);
}

TEST(SelfTelemetryTest, ALabelledFamilyIsOnePointPerRowAndItsSumInTheJson) {
  SelfTelemetry t;
  t.family("nissa.rejected_total");
  t.counter("nissa.rejected_total", 3, {{"reason", "bad_topic"}});
  t.counter("nissa.rejected_total", 4, {{"reason", "oversize"}});
  ASSERT_EQ(t.points().size(), 2u);
  EXPECT_EQ(t.points()[1].attributes().at("reason"), "oversize");
  EXPECT_EQ(nlohmann::json::parse(t.json())["rejected_total"], 7);
}

TEST(SelfTelemetryTest, AFamilyWithoutRowsStillShowsInTheJsonAsZero) {
  SelfTelemetry t;
  t.family("nissa.alerts_total");
  EXPECT_TRUE(t.points().empty());
  const auto j = nlohmann::json::parse(t.json());
  ASSERT_TRUE(j.contains("alerts_total"));
  EXPECT_EQ(j["alerts_total"], 0);
}

TEST(SelfTelemetryTest, AFractionalValueStaysAFraction) {
  SelfTelemetry t;
  t.gauge("nissa.ratio", 0.25, "ratio");
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(t.json())["ratio"].get<double>(), 0.25);
}

}  // namespace
}  // namespace esper::nissa
