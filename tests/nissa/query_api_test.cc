#include "nissa/serve/query_api.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace esper::nissa {
namespace {

using nlohmann::json;

constexpr std::int64_t kNow = 1'700'000'000'000 / 60'000 * 60'000 + 30'000;

class QueryApiTest : public ::testing::Test {
 protected:
  QueryApiTest() : api_(metrics_, events_, reports_, [] { return kNow; }) {}

  void add(const std::string& source, const std::string& name, double v, std::int64_t t,
           std::initializer_list<std::pair<std::string, std::string>> attrs = {},
           proto::MetricKind kind = proto::METRIC_KIND_GAUGE) {
    proto::MetricPoint p;
    p.set_name(name);
    p.set_value(v);
    p.set_unit("fps");
    p.set_kind(kind);
    for (const auto& [k, val] : attrs) (*p.mutable_attributes())[k] = val;
    metrics_.add(source, p, t);
  }

  static json ok(const QueryReply& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  }

  MetricAggregator metrics_;
  EventLog events_;
  FieldReportStore reports_;
  QueryApi api_;
};

TEST_F(QueryApiTest, SeriesFiltersByMetricSourceAndAttributes) {
  add("gw", "output_fps", 30, kNow, {{"gpu_id", "0"}, {"region", "eu"}});
  add("gw", "output_fps", 20, kNow, {{"gpu_id", "1"}, {"region", "eu"}});
  add("gw", "other", 1, kNow);
  const json all = ok(api_.series({{"metric", "output_fps"}}));
  EXPECT_EQ(all["series"].size(), 2u);
  const json one = ok(api_.series({{"metric", "output_fps"}, {"attr.gpu_id", "1"}}));
  ASSERT_EQ(one["series"].size(), 1u);
  EXPECT_EQ(one["series"][0]["last"], 20);
  EXPECT_EQ(one["series"][0]["attributes"]["region"], "eu");
  EXPECT_EQ(ok(api_.series({{"source", "nobody"}}))["series"].size(), 0u);
}

TEST_F(QueryApiTest, RollupsGroupAndDeriveFromAdditiveFields) {
  for (int m = 0; m < 10; ++m) {
    add("gw", "output_fps", 10 + m, kNow - m * 60'000, {{"gpu_id", "0"}});
    add("gw", "output_fps", 30, kNow - m * 60'000, {{"gpu_id", "1"}});
  }
  const json r = ok(api_.rollups({{"metric", "output_fps"}, {"window", "5m"}, {"group_by", "gpu_id"}}));
  ASSERT_EQ(r["groups"].size(), 2u);
  const json& g0 = r["groups"][0];
  EXPECT_EQ(g0["group"]["gpu_id"], "0");
  // The 5-minute window ends at the end of the current bucket: minutes 0..4 back.
  EXPECT_EQ(g0["count"], 5);
  EXPECT_DOUBLE_EQ(g0["sum"].get<double>(), 10 + 11 + 12 + 13 + 14);
  EXPECT_DOUBLE_EQ(g0["mean"].get<double>(), 12);
  EXPECT_NEAR(g0["stddev"].get<double>(), std::sqrt(2.0), 1e-9);
  EXPECT_NEAR(g0["rate"].get<double>(), 5.0 / 300.0, 1e-12);
  const json total = ok(api_.rollups({{"metric", "output_fps"}, {"window", "1h"}}));
  ASSERT_EQ(total["groups"].size(), 1u);
  EXPECT_EQ(total["groups"][0]["count"], 20);
  EXPECT_EQ(total["groups"][0]["series"], 2);
}

TEST_F(QueryApiTest, InvalidParametersAreA400WithJsonError) {
  struct Case {
    QueryParams params;
    std::string parameter;
  };
  const std::vector<Case> rollup_cases = {
      {{}, "metric"},
      {{{"metric", "x"}, {"window", "forever"}}, "window"},
      {{{"metric", "x"}, {"from", "10"}}, "to"},
      {{{"metric", "x"}, {"from", "10"}, {"to", "5"}}, "to"},
      {{{"metric", "x"}, {"from", "abc"}, {"to", "5"}}, "from"},
      {{{"metric", "x"}, {"bogus", "1"}}, "bogus"},
      {{{"metric", "x"}, {"group_by", "a,,b"}}, "group_by"},
  };
  for (const auto& c : rollup_cases) {
    const QueryReply r = api_.rollups(c.params);
    EXPECT_EQ(r.status, 400) << r.body;
    const json j = json::parse(r.body);
    EXPECT_EQ(j["parameter"], c.parameter) << r.body;
    EXPECT_TRUE(j["error"].is_string());
  }
  EXPECT_EQ(api_.events({{"min_severity", "loud"}}).status, 400);
  EXPECT_EQ(api_.events({{"limit", "0"}}).status, 400);
  EXPECT_EQ(api_.series({{"metric", "a"}, {"metric", "b"}}).status, 400);
}

TEST_F(QueryApiTest, EventsBySeveritySinceAndSource) {
  auto event = [](const std::string& d, proto::Severity s) {
    proto::TelemetryEvent e;
    e.set_description(d);
    e.set_level(s);
    return e;
  };
  events_.add("tamiyo", event("degraded_inputs", proto::SEVERITY_CRITICAL), kNow - 1000);
  events_.add("tamiyo", event("field_report_retry", proto::SEVERITY_WARNING), kNow - 500);
  events_.add("kasmina", event("seed_germinated", proto::SEVERITY_INFO), kNow);
  EXPECT_EQ(ok(api_.events({}))["events"].size(), 3u);
  const json high = ok(api_.events({{"min_severity", "high"}}));
  ASSERT_EQ(high["events"].size(), 1u);
  EXPECT_EQ(high["events"][0]["description"], "degraded_inputs");
  EXPECT_EQ(high["events"][0]["severity"], "critical");
  EXPECT_EQ(ok(api_.events({{"since", std::to_string(kNow - 600)}}))["events"].size(), 2u);
  EXPECT_EQ(ok(api_.events({{"source", "kasmina"}}))["events"].size(), 1u);
}

TEST_F(QueryApiTest, FieldReportsListedAndFoundById) {
  for (int i = 0; i < 3; ++i) {
    StoredFieldReport r;
    r.source = "tamiyo";
    r.report.set_report_id("tamiyo-" + std::to_string(i));
    r.report.set_target_epochs(5);
    EXPECT_TRUE(reports_.insert(r));
    EXPECT_FALSE(reports_.insert(r)) << "a second insert of the same id is refused";
  }
  const json all = ok(api_.field_reports({}));
  EXPECT_EQ(all["total"], 3);
  EXPECT_EQ(all["field_reports"].size(), 3u);
  const json one = ok(api_.field_reports({{"report_id", "tamiyo-1"}}));
  ASSERT_EQ(one["field_reports"].size(), 1u);
  EXPECT_EQ(one["field_reports"][0]["report"]["report_id"], "tamiyo-1");
  EXPECT_EQ(one["field_reports"][0]["report"]["target_epochs"], 5);
}

TEST_F(QueryApiTest, FieldReportsFilteredByOutcomeAndSourceAndPagedAmongTheMatches) {
  // 12 reports: sources alternate tamiyo/urza, outcomes cycle success, regression, aborted.
  const proto::FieldReportOutcome outcomes[] = {proto::FIELD_REPORT_OUTCOME_SUCCESS, proto::FIELD_REPORT_OUTCOME_REGRESSION,
                                                proto::FIELD_REPORT_OUTCOME_ABORTED};
  for (int i = 0; i < 12; ++i) {
    StoredFieldReport r;
    r.source = i % 2 == 0 ? "tamiyo" : "urza";
    r.report.set_report_id("r-" + std::to_string(i));
    r.report.set_outcome(outcomes[i % 3]);
    ASSERT_TRUE(reports_.insert(r));
  }
  const auto ids = [](const json& reply) {
    std::vector<std::string> out;
    for (const json& f : reply["field_reports"]) out.push_back(f["report"]["report_id"]);
    return out;
  };
  const json regressions = ok(api_.field_reports({{"outcome", "regression"}}));
  EXPECT_EQ(regressions["total"], 12);
  EXPECT_EQ(regressions["matched"], 4);
  EXPECT_EQ(ids(regressions), (std::vector<std::string>{"r-1", "r-4", "r-7", "r-10"}));
  const json urza_aborted = ok(api_.field_reports({{"outcome", "aborted"}, {"source", "urza"}}));
  EXPECT_EQ(ids(urza_aborted), (std::vector<std::string>{"r-5", "r-11"}));
  // offset and limit count the matches, not the stored reports.
  const json page = ok(api_.field_reports({{"source", "tamiyo"}, {"offset", "2"}, {"limit", "3"}}));
  EXPECT_EQ(page["matched"], 6);
  EXPECT_EQ(ids(page), (std::vector<std::string>{"r-4", "r-6", "r-8"}));
  EXPECT_EQ(ok(api_.field_reports({{"source", "nobody"}}))["matched"], 0);
  EXPECT_EQ(ok(api_.field_reports({}))["matched"], 12);
  // An id that does not pass the filters is not found.
  EXPECT_EQ(ok(api_.field_reports({{"report_id", "r-1"}, {"outcome", "success"}}))["field_reports"].size(), 0u);
}

TEST_F(QueryApiTest, ABadFieldReportFilterIsA400NamingIt) {
  const auto refused = [&](const QueryParams& params) {
    const QueryReply r = api_.field_reports(params);
    EXPECT_EQ(r.status, 400) << r.body;
    return json::parse(r.body);
  };
  const json outcome = refused({{"outcome", "great"}});
  EXPECT_EQ(outcome["parameter"], "outcome");
  EXPECT_NE(outcome["error"].get<std::string>().find("success, neutral, regression"), std::string::npos) << outcome;
  EXPECT_EQ(refused({{"outcome", "FIELD_REPORT_OUTCOME_SUCCESS"}})["parameter"], "outcome");
  EXPECT_EQ(refused({{"source", "a"}, {"source", "b"}})["parameter"], "source");
  EXPECT_EQ(refused({{"limit", "100001"}})["parameter"], "limit");
}

}  // namespace
}  // namespace esper::nissa
