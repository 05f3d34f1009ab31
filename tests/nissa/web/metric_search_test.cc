// The explorer's server-side pieces: metric names are searched and paged by Nissa (one entry per
// (metric, source), however many series), and a rollup with step= is also a line of points, one per
// step with data, that a chart draws as is.
#include "nissa/serve/metric_search.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "nissa/serve/query_api.h"

namespace esper::nissa {
namespace {

using nlohmann::json;

constexpr std::int64_t kSearchNow = 1'700'000'000'000 / 60'000 * 60'000 + 30'000;

class MetricSearchTest : public ::testing::Test {
 protected:
  void add(const std::string& source, const std::string& name, double v, std::int64_t t,
           std::initializer_list<std::pair<std::string, std::string>> attrs = {}) {
    proto::MetricPoint p;
    p.set_name(name);
    p.set_value(v);
    p.set_unit("loss");
    p.set_kind(proto::METRIC_KIND_GAUGE);
    for (const auto& [k, val] : attrs) (*p.mutable_attributes())[k] = val;
    metrics_.add(source, p, t);
  }
  json search(const QueryParams& params, int status = 200) {
    const QueryReply r = metric_search_reply(metrics_, params);
    EXPECT_EQ(r.status, status) << r.body;
    return json::parse(r.body);
  }
  MetricAggregator metrics_;
  EventLog events_;
  FieldReportStore reports_;
};

TEST_F(MetricSearchTest, NamesMatchCaseInsensitivelyOnceEachWithTheirSeriesCount) {
  for (int i = 0; i < 5; ++i) add("tolaria", "loss", 1, kSearchNow, {{"run", std::to_string(i)}});
  add("tolaria", "loss_ewma", 1, kSearchNow);
  add("kasmina", "seed.alpha", 1, kSearchNow);
  const json r = search({{"q", "LOSS"}});
  ASSERT_EQ(r["metrics"].size(), 2u) << r.dump();
  EXPECT_EQ(r["metrics"][0]["metric"], "loss");
  EXPECT_EQ(r["metrics"][0]["series"], 5);
  EXPECT_EQ(r["metrics"][0]["unit"], "loss");
  EXPECT_EQ(r["metrics"][1]["metric"], "loss_ewma");
  EXPECT_EQ(r["matched"], 2);
  EXPECT_EQ(r["sources"], json::array({"kasmina", "tolaria"}));
  EXPECT_EQ(search({{"q", "loss"}, {"source", "kasmina"}})["metrics"].size(), 0u);
}

TEST_F(MetricSearchTest, PagesNeverShipMoreThanTheLimit) {
  for (int i = 0; i < 120; ++i) add("p", "m" + std::to_string(1000 + i), 1, kSearchNow);
  const json first = search({{"limit", "50"}});
  EXPECT_EQ(first["metrics"].size(), 50u);
  EXPECT_EQ(first["matched"], 120);
  EXPECT_EQ(first["metrics"][0]["metric"], "m1000");
  const json last = search({{"limit", "50"}, {"offset", "100"}});
  ASSERT_EQ(last["metrics"].size(), 20u);
  EXPECT_EQ(last["metrics"][19]["metric"], "m1119");
  EXPECT_EQ(search({{"offset", "5000"}})["metrics"].size(), 0u);
}

TEST_F(MetricSearchTest, BadParametersGetA400NamingThem) {
  EXPECT_EQ(search({{"limit", "0"}}, 400)["parameter"], "limit");
  EXPECT_EQ(search({{"offset", "x"}}, 400)["parameter"], "offset");
  EXPECT_EQ(search({{"metric", "loss"}}, 400)["parameter"], "metric");
}

TEST_F(MetricSearchTest, RollupsWithAStepAreALineOfPointsOnePerStepWithData) {
  const QueryApi api(metrics_, events_, reports_, [] { return kSearchNow; });
  // Minutes 0, 1 and 3 before now have points (two at minute 1); minute 2 has none: a gap.
  add("tolaria", "loss", 4, kSearchNow - 3 * 60'000);
  add("tolaria", "loss", 2, kSearchNow - 1 * 60'000);
  add("tolaria", "loss", 4, kSearchNow - 1 * 60'000);
  add("tolaria", "loss", 1, kSearchNow);
  const QueryReply reply = api.rollups({{"metric", "loss"}, {"window", "5m"}, {"step", "1m"}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  const json r = json::parse(reply.body);
  EXPECT_EQ(r["step_ms"], 60'000);
  ASSERT_EQ(r["groups"].size(), 1u);
  const json& points = r["groups"][0]["points"];
  ASSERT_EQ(points.size(), 3u) << points.dump();
  EXPECT_EQ(points[0]["mean"], 4);
  EXPECT_EQ(points[1]["mean"], 3);
  EXPECT_EQ(points[1]["count"], 2);
  EXPECT_EQ(points[2]["mean"], 1);
  EXPECT_LT(points[0]["t_ms"].get<std::int64_t>(), points[1]["t_ms"].get<std::int64_t>());
  EXPECT_EQ(r["groups"][0]["count"], 4) << "the window's own summary is still there";
}

TEST_F(MetricSearchTest, AStepShorterThanABucketOrMakingTooManyPointsIsRefused) {
  const QueryApi api(metrics_, events_, reports_, [] { return kSearchNow; });
  const auto param = [&](const QueryParams& p) {
    const QueryReply r = api.rollups(p);
    EXPECT_EQ(r.status, 400) << r.body;
    return json::parse(r.body)["parameter"];
  };
  EXPECT_EQ(param({{"metric", "loss"}, {"window", "5m"}, {"step", "1s"}}), "step");
  EXPECT_EQ(param({{"metric", "loss"}, {"from", "0"}, {"to", "1700000000000"}, {"step", "1m"}}), "step");
  EXPECT_EQ(param({{"metric", "loss"}, {"window", "5m"}, {"step", "soon"}}), "step");
}

}  // namespace
}  // namespace esper::nissa
