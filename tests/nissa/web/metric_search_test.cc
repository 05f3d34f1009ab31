// The explorer's server-side pieces: metric names are searched and paged by Nissa (one entry per
// (metric, source), however many series, from an index caught up a slice at a time), and a rollup with step= is also a line of points, one per
// step with data, that a chart draws as is.
#include "nissa/serve/metric_search.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
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
    MetricNameIndex index;
    index.catch_up(metrics_);
    const QueryReply r = metric_search_reply(index, params);
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

TEST_F(MetricSearchTest, PagesCutThroughANamesSourcesInMetricThenSourceOrder) {
  // 30 names x 4 sources: 120 pairs; the page from 50 starts at the 3rd source of the 13th name.
  for (int n = 0; n < 30; ++n) {
    for (int s = 0; s < 4; ++s) add("src" + std::to_string(s), "m" + std::to_string(100 + n), 1, kSearchNow);
  }
  const json page = search({{"offset", "50"}, {"limit", "7"}});
  EXPECT_EQ(page["matched"], 120);
  ASSERT_EQ(page["metrics"].size(), 7u) << page.dump();
  EXPECT_EQ(page["metrics"][0]["metric"], "m112");
  EXPECT_EQ(page["metrics"][0]["source"], "src2");
  EXPECT_EQ(page["metrics"][2]["metric"], "m113");
  EXPECT_EQ(page["metrics"][2]["source"], "src0");
  EXPECT_EQ(page["metrics"][6]["metric"], "m114");
  EXPECT_EQ(page["metrics"][6]["source"], "src0");
  // With a source, one pair per name.
  const json one_source = search({{"source", "src3"}, {"offset", "28"}, {"limit", "5"}});
  EXPECT_EQ(one_source["matched"], 30);
  ASSERT_EQ(one_source["metrics"].size(), 2u) << one_source.dump();
  EXPECT_EQ(one_source["metrics"][1]["metric"], "m129");
}

TEST_F(MetricSearchTest, APageIsAtMostAThousandNames) {
  for (int i = 0; i < 1200; ++i) add("p", "m" + std::to_string(10'000 + i), 1, kSearchNow);
  EXPECT_EQ(search({{"limit", "1000"}})["metrics"].size(), kMaxSearchPage);
  EXPECT_EQ(search({})["metrics"].size(), 50u) << "the default page";
  EXPECT_EQ(search({{"limit", "1001"}}, 400)["parameter"], "limit");
}

TEST_F(MetricSearchTest, TheLiveSearchCatchesUpInBoundedSlicesAndSeesNewSeries) {
  // 10,000 series: the first search copies them in slices, each under the lock once.
  for (int i = 0; i < 10'000; ++i) add("s" + std::to_string(i % 100), "m" + std::to_string(i / 100), 1, kSearchNow);
  std::mutex lock;  // Stands for the observer's.
  std::vector<std::size_t> slices;
  MetricSearch live([&](const MetricNameIndex& index, std::size_t max) {
    std::lock_guard hold(lock);
    auto fresh = index.unread_series(metrics_, max);
    slices.push_back(fresh.size());
    return fresh;
  });
  const auto ask = [&](const QueryParams& params) {
    const QueryReply r = live.reply(params);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  };
  EXPECT_EQ(ask({{"q", "m7"}})["matched"], 1100) << "m7 and m70..m79, 100 sources each";
  ASSERT_GE(slices.size(), 3u);
  for (std::size_t n : slices) EXPECT_LE(n, MetricSearch::kSeriesPerSlice);
  slices.clear();
  EXPECT_EQ(ask({{"q", "m7"}})["matched"], 1100);
  EXPECT_EQ(slices, std::vector<std::size_t>{0}) << "nothing new: one look, nothing copied";
  add("late", "m7_late", 1, kSearchNow);
  add("late", "m7_late", 1, kSearchNow, {{"run", "2"}});
  const json later = ask({{"q", "m7_"}});
  ASSERT_EQ(later["metrics"].size(), 1u) << later.dump();
  EXPECT_EQ(later["metrics"][0]["series"], 2);
  EXPECT_EQ(later["sources"].size(), 101u);
}

TEST_F(MetricSearchTest, AReplyCopiesABoundedNumberOfSlicesHoweverFastSeriesArrive) {
  // Stands for an aggregator that always has a full slice of new series: the reply still comes.
  std::size_t slices = 0;
  MetricSearch live([&](const MetricNameIndex&, std::size_t max) {
    ++slices;
    return std::vector<IndexedSeries>(max, IndexedSeries{"flood", "p", "", proto::METRIC_KIND_GAUGE});
  });
  const QueryReply r = live.reply({{"q", "flood"}});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(slices, MetricSearch::kMaxSlicesPerReply);
  EXPECT_EQ(json::parse(r.body)["metrics"][0]["series"], MetricSearch::kMaxSlicesPerReply * MetricSearch::kSeriesPerSlice);
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
