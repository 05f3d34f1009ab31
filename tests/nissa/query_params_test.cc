// The query-string module: decoding, the UTF-8 and NUL rules, duplicates, limits, and error bodies
// that are always JSON whatever bytes they describe. Also that the three parsers (query API, alert
// log, session views) answer 400 with the same body, even when called directly with bad bytes.
#include "nissa/serve/analytics_queries.h"
#include "nissa/serve/query_params.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "nissa/analytics/alert_log.h"
#include "nissa/serve/query_api.h"
#include "nissa/analytics/session_views.h"

namespace esper::nissa {
namespace {

using nlohmann::json;

QueryParams ok(std::string_view query) {
  const ParsedQuery parsed = parse_query_string(query);
  EXPECT_TRUE(parsed.ok()) << query << ": " << (parsed.error ? parsed.error->error : "");
  return parsed.params;
}

QueryParamError refused(std::string_view query) {
  const ParsedQuery parsed = parse_query_string(query);
  EXPECT_FALSE(parsed.ok()) << query << " was accepted";
  return parsed.error.value_or(QueryParamError{});
}

TEST(QueryParamsTest, DecodesPercentEscapesAndPlus) {
  EXPECT_EQ(ok("metric=output_fps&limit=5"), (QueryParams{{"metric", "output_fps"}, {"limit", "5"}}));
  EXPECT_EQ(ok("attr.run=a%20b+c%2Bd"), (QueryParams{{"attr.run", "a b c+d"}}));
  EXPECT_EQ(ok("na%6De=%E2%82%AC"), (QueryParams{{"name", "\xE2\x82\xAC"}}));  // € as UTF-8.
  EXPECT_EQ(ok("a=b=c"), (QueryParams{{"a", "b=c"}}));
  EXPECT_EQ(ok("flag"), (QueryParams{{"flag", ""}}));
  EXPECT_EQ(ok("a=1&&b=2&"), (QueryParams{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(ok(""), QueryParams{});
  EXPECT_EQ(ok("tab=%09"), (QueryParams{{"tab", "\t"}}));  // Control characters are valid text.
}

TEST(QueryParamsTest, RefusesBytesThatAreNotUtf8OrNul) {
  EXPECT_EQ(refused("limit=%FF").parameter, "limit");
  EXPECT_EQ(refused("limit=%FF").error, "value not valid UTF-8");
  EXPECT_EQ(refused("%FF=1").parameter, "%FF");
  EXPECT_EQ(refused("%FF=1").error, "parameter name not valid UTF-8");
  EXPECT_EQ(refused("metric=x%00").error, "value contains a NUL byte");
  EXPECT_EQ(refused("a%00b=1").parameter, "a%00b");
  // Raw (unescaped) bytes are held to the same rule.
  EXPECT_EQ(refused("metric=\xC3").parameter, "metric");
  for (const char* bad : {"%C0%80",         // Overlong NUL.
                          "%E0%80%AF",      // Overlong '/'.
                          "%ED%A0%80",      // A UTF-16 surrogate.
                          "%F4%90%80%80",   // Above U+10FFFF.
                          "%E2%82",         // Truncated.
                          "%80"}) {         // A lone continuation byte.
    EXPECT_EQ(refused(std::string("v=") + bad).error, "value not valid UTF-8") << bad;
  }
  EXPECT_EQ(ok("v=%F0%9F%98%80"), (QueryParams{{"v", "\xF0\x9F\x98\x80"}}));  // U+1F600 is fine.
}

TEST(QueryParamsTest, RefusesMalformedEscapesEmptyNamesAndRepeats) {
  EXPECT_EQ(refused("a=%G1").error, "malformed percent-escape in the value");
  EXPECT_EQ(refused("a=%4").error, "malformed percent-escape in the value");
  EXPECT_EQ(refused("a%=1").error, "malformed percent-escape in the parameter name");
  EXPECT_EQ(refused("=x").error, "parameter without a name");
  EXPECT_EQ(refused("=x").parameter, "");
  const auto repeat = refused("limit=1&limit=2");
  EXPECT_EQ(repeat.parameter, "limit");
  EXPECT_EQ(repeat.error, "given more than once");
  EXPECT_EQ(refused("limit=1&limit=1").error, "given more than once");
}

TEST(QueryParamsTest, EnforcesItsLimits) {
  std::string many;
  for (std::size_t i = 0; i <= kMaxQueryParameters; ++i) many += "p" + std::to_string(i) + "=1&";
  EXPECT_EQ(refused(many).error, "more than 64 parameters");
  many.resize(many.rfind("p64"));
  EXPECT_EQ(ok(many).size(), kMaxQueryParameters);

  EXPECT_EQ(ok(std::string(kMaxParameterNameBytes, 'n') + "=1").size(), 1u);
  const auto long_name = refused(std::string(kMaxParameterNameBytes + 1, 'n') + "=1");
  EXPECT_EQ(long_name.error, "name longer than 256 bytes");
  EXPECT_LT(long_name.parameter.size(), 140u) << "the echoed name is cut";
  EXPECT_EQ(ok("v=" + std::string(kMaxParameterValueBytes, 'v')).size(), 1u);
  EXPECT_EQ(refused("v=" + std::string(kMaxParameterValueBytes + 1, 'v')).error, "value longer than 4096 bytes");
}

TEST(QueryParamsTest, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));
  EXPECT_TRUE(is_valid_utf8(std::string_view("a\0b", 3)));  // NUL is UTF-8; the query rule refuses it.
  EXPECT_FALSE(is_valid_utf8("\xFF"));
  EXPECT_FALSE(is_valid_utf8("\xC3"));
  EXPECT_FALSE(is_valid_utf8("\xC1\xBF"));  // Overlong.
  EXPECT_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
}

TEST(QueryParamsTest, PrintableEscapesWhatIsNotShowable) {
  EXPECT_EQ(printable("limit"), "limit");
  EXPECT_EQ(printable("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(printable("a\xFF" "b"), "a%FFb");
  EXPECT_EQ(printable(std::string_view("a\0b\n", 4)), "a%00b%0A");
  EXPECT_EQ(printable(std::string(300, 'x'), 10), std::string(10, 'x') + "...");
}

TEST(QueryParamsTest, BadParameterJsonIsJsonWhateverTheBytes) {
  const std::string body = bad_parameter_json("\xFF\xFE", std::string("expected an integer, got '\xC3") + '\0' + "'");
  const json j = json::parse(body);  // Throws if it is not valid JSON (or not UTF-8).
  EXPECT_EQ(j["parameter"], "%FF%FE");
  EXPECT_EQ(j["error"], "expected an integer, got '%C3%00'");
}

// Handlers called directly (as tests do) with bytes the edge would have refused still answer a
// JSON 400 rather than throwing from json::dump().
TEST(QueryParamsTest, EveryEndpointAnswersJson400sForAnyBytes) {
  MetricAggregator metrics;
  EventLog events;
  FieldReportStore reports;
  const QueryApi api(metrics, events, reports, [] { return std::int64_t{1'700'000'000'000}; });
  const std::vector<QueryReply> replies = {
      api.series({{"limit", "\xFF"}}),
      api.series({{"\xFF", "1"}}),
      api.rollups({{"metric", "x"}, {"window", "\xFF"}}),
      api.events({{"since", std::string("1\0", 2)}}),
      alerts_reply(AlertLog(), {{"\xFF", "1"}}),
      alerts_reply(AlertLog(), {{"limit", "\xFF"}}),
      session_view_reply(SessionViews(), SessionView::kGpuMetrics, {{"\xFF", "1"}}, 0),
      session_view_reply(SessionViews(), SessionView::kGpuMetrics, {{"from", "\xFF"}}, 0),
  };
  for (const QueryReply& r : replies) {
    EXPECT_EQ(r.status, 400) << r.body;
    const json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_TRUE(j["error"].is_string()) << r.body;
    EXPECT_TRUE(j["parameter"].is_string()) << r.body;
  }
}

}  // namespace
}  // namespace esper::nissa
