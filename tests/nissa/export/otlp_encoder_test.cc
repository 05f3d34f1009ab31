// The OTLP encoder's bodies, decoded with our message definitions and checked against what the
// specification requires (otlp_receiver.h's otlp_problems) and what Nissa means them to say.
#include "nissa/export/otlp_encoder.h"

#include <gtest/gtest.h>

#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

#include "tests/nissa/export/otlp_receiver.h"

namespace esper::nissa {
namespace {

using testing::OtlpRequest;
using testing::otlp_problems;

constexpr std::int64_t kStartMs = 1'700'000'000'000;
constexpr std::int64_t kTimeMs = 1'700'000'060'000;
constexpr std::uint64_t kTimeNs = 1'700'000'060'000'000'000u;

SeriesSample otlp_sample(std::string source, std::string name, proto::MetricKind kind, std::string unit, double last,
                    std::vector<std::pair<std::string, std::string>> attributes = {}) {
  SeriesSample s;
  s.key.source = std::move(source);
  s.key.name = std::move(name);
  s.key.attributes = std::move(attributes);
  s.kind = kind;
  s.unit = std::move(unit);
  s.last = last;
  s.count = 1;
  s.sum = last;
  return s;
}

SeriesSample histogram(std::string source, std::string name) {
  SeriesSample s = otlp_sample(std::move(source), std::move(name), proto::METRIC_KIND_HISTOGRAM, "ms", 7);
  s.count = 40;
  s.sum = 400;
  s.has_quantiles = true;
  s.quantiles = {5, 9, 9.5, 9.9};
  return s;
}

OtlpRequest decode_otlp(const ExportBatch& batch, OtlpEncoding encoding) {
  OtlpRequest r;
  if (encoding == OtlpEncoding::kJson) {
    google::protobuf::util::JsonParseOptions strict;
    strict.ignore_unknown_fields = false;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(batch.body, &r, strict).ok()) << batch.body;
    std::vector<std::string> problems;
    testing::json_problems(nlohmann::json::parse(batch.body), problems);
    EXPECT_TRUE(problems.empty()) << problems.front();
  } else {
    EXPECT_TRUE(r.ParseFromString(batch.body));
    EXPECT_FALSE(testing::has_unknown_fields(r));
  }
  const auto problems = otlp_problems(r);
  EXPECT_TRUE(problems.empty()) << problems.front();
  return r;
}

std::vector<ExportBatch> encode_otlp(const std::vector<SeriesSample>& series, OtlpOptions options = {}) {
  OtlpEncoder encoder(std::move(options), kStartMs);
  std::vector<ExportBatch> out;
  encoder.encode(series, kTimeMs, out);
  return out;
}

std::string attribute(const google::protobuf::RepeatedPtrField<otlp::KeyValue>& attributes, const std::string& key) {
  for (const auto& kv : attributes) {
    if (kv.key() == key) return kv.value().string_value();
  }
  return "<absent>";
}

class OtlpEncoderTest : public ::testing::TestWithParam<OtlpEncoding> {};

TEST_P(OtlpEncoderTest, EveryKindBecomesTheOtlpDataTheSpecificationDefines) {
  OtlpOptions options;
  options.encoding = GetParam();
  options.resource_attributes = {{"host.name", "gpu-01"}};
  const auto batches = encode_otlp({otlp_sample("tolaria", "tolaria.loss", proto::METRIC_KIND_GAUGE, "loss", 0.25, {{"run", "r1"}}),
                               otlp_sample("tolaria", "tokens_generated_total", proto::METRIC_KIND_COUNTER, "count", 2000),
                               histogram("kasmina", "kasmina.hook_latency_ms")},
                              options);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].samples, 3u);
  const OtlpRequest r = decode_otlp(batches[0], GetParam());

  ASSERT_EQ(r.resource_metrics_size(), 2) << "one resource per source";
  const auto& tolaria = r.resource_metrics(0);
  EXPECT_EQ(attribute(tolaria.resource().attributes(), "service.name"), "tolaria");
  EXPECT_EQ(attribute(tolaria.resource().attributes(), "host.name"), "gpu-01");
  EXPECT_EQ(attribute(r.resource_metrics(1).resource().attributes(), "service.name"), "kasmina");
  ASSERT_EQ(tolaria.scope_metrics_size(), 1);
  EXPECT_EQ(tolaria.scope_metrics(0).scope().name(), "esper-nissa");
  EXPECT_FALSE(tolaria.scope_metrics(0).scope().version().empty());

  const auto& metrics = tolaria.scope_metrics(0).metrics();
  ASSERT_EQ(metrics.size(), 2);
  const otlp::Metric& loss = metrics[0];
  EXPECT_EQ(loss.name(), "tolaria.loss") << "the dotted name is kept";
  EXPECT_EQ(loss.unit(), "{loss}");
  ASSERT_TRUE(loss.has_gauge());
  ASSERT_EQ(loss.gauge().data_points_size(), 1);
  const auto& gauge_point = loss.gauge().data_points(0);
  EXPECT_EQ(gauge_point.time_unix_nano(), kTimeNs);
  EXPECT_EQ(gauge_point.value_case(), otlp::NumberDataPoint::kAsDouble);
  EXPECT_DOUBLE_EQ(gauge_point.as_double(), 0.25);
  EXPECT_EQ(attribute(gauge_point.attributes(), "run"), "r1");

  const otlp::Metric& tokens = metrics[1];
  EXPECT_EQ(tokens.unit(), "1");
  ASSERT_TRUE(tokens.has_sum());
  EXPECT_TRUE(tokens.sum().is_monotonic());
  EXPECT_EQ(tokens.sum().aggregation_temporality(), otlp::AGGREGATION_TEMPORALITY_CUMULATIVE);
  ASSERT_EQ(tokens.sum().data_points_size(), 1);
  EXPECT_DOUBLE_EQ(tokens.sum().data_points(0).as_double(), 2000);
  EXPECT_EQ(tokens.sum().data_points(0).start_time_unix_nano(), kStartMs * 1'000'000u);
  EXPECT_EQ(tokens.sum().data_points(0).time_unix_nano(), kTimeNs);

  const otlp::Metric& latency = r.resource_metrics(1).scope_metrics(0).metrics(0);
  EXPECT_EQ(latency.unit(), "ms") << "values stay in Esper's units";
  ASSERT_TRUE(latency.has_summary());
  ASSERT_EQ(latency.summary().data_points_size(), 1);
  const auto& summary = latency.summary().data_points(0);
  EXPECT_EQ(summary.count(), 40u);
  EXPECT_DOUBLE_EQ(summary.sum(), 400);
  EXPECT_EQ(summary.time_unix_nano(), kTimeNs);
  EXPECT_EQ(summary.start_time_unix_nano(), kStartMs * 1'000'000u);
  ASSERT_EQ(summary.quantile_values_size(), 4);
  const double quantiles[] = {0.5, 0.9, 0.95, 0.99}, values[] = {5, 9, 9.5, 9.9};
  for (int i = 0; i < 4; ++i) {
    EXPECT_DOUBLE_EQ(summary.quantile_values(i).quantile(), quantiles[i]);
    EXPECT_DOUBLE_EQ(summary.quantile_values(i).value(), values[i]);
  }
}

TEST_P(OtlpEncoderTest, SeriesOfOneNameShareAMetricAndRequestsHoldAtMostTheLimit) {
  OtlpOptions options;
  options.encoding = GetParam();
  options.max_points_per_request = 4;
  std::vector<SeriesSample> series;
  for (int i = 0; i < 10; ++i) {
    series.push_back(otlp_sample("a", "util", proto::METRIC_KIND_GAUGE, "%", i, {{"gpu", std::to_string(i)}}));
  }
  const auto batches = encode_otlp(series, options);
  ASSERT_EQ(batches.size(), 3u);
  std::size_t points = 0;
  double expected = 0;
  for (const auto& b : batches) {
    const OtlpRequest r = decode_otlp(b, GetParam());
    ASSERT_EQ(r.resource_metrics_size(), 1);
    ASSERT_EQ(r.resource_metrics(0).scope_metrics(0).metrics_size(), 1) << "one Metric per name";
    const auto& m = r.resource_metrics(0).scope_metrics(0).metrics(0);
    EXPECT_EQ(m.unit(), "%");
    EXPECT_EQ(static_cast<std::size_t>(m.gauge().data_points_size()), b.samples);
    EXPECT_LE(b.samples, 4u);
    for (const auto& p : m.gauge().data_points()) {
      EXPECT_DOUBLE_EQ(p.as_double(), expected);
      EXPECT_EQ(attribute(p.attributes(), "gpu"), std::to_string(static_cast<int>(expected)));
      ++expected;
    }
    points += b.samples;
  }
  EXPECT_EQ(points, 10u);
}

TEST_P(OtlpEncoderTest, AHistogramWithoutASketchIsASummaryOfCountAndSum) {
  OtlpOptions options;
  options.encoding = GetParam();
  SeriesSample s = histogram("a", "h");
  s.has_quantiles = false;
  const OtlpRequest r = decode_otlp(encode_otlp({s}, options).at(0), GetParam());
  const auto& p = r.resource_metrics(0).scope_metrics(0).metrics(0).summary().data_points(0);
  EXPECT_EQ(p.count(), 40u);
  EXPECT_EQ(p.quantile_values_size(), 0);
}

TEST_P(OtlpEncoderTest, NothingToSendIsNoRequest) {
  OtlpOptions options;
  options.encoding = GetParam();
  EXPECT_TRUE(encode_otlp({}, options).empty()) << "the specification says senders SHOULD NOT send empty envelopes";
}

INSTANTIATE_TEST_SUITE_P(Encodings, OtlpEncoderTest, ::testing::Values(OtlpEncoding::kProtobuf, OtlpEncoding::kJson),
                         [](const auto& p) { return p.param == OtlpEncoding::kJson ? "Json" : "Protobuf"; });

TEST(OtlpJsonTest, FollowsOtlpJsonRulesNotPlainProtobufJson) {
  OtlpOptions options;
  options.encoding = OtlpEncoding::kJson;
  const auto batches = encode_otlp({otlp_sample("s", "c", proto::METRIC_KIND_COUNTER, "count", 3)}, options);
  const auto j = nlohmann::json::parse(batches.at(0).body);
  const auto& metric = j["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0];
  EXPECT_EQ(metric["sum"]["aggregationTemporality"], 2) << "enums are integers in OTLP/JSON";
  EXPECT_EQ(metric["sum"]["isMonotonic"], true);
  // 64-bit integers are decimal strings, as the protobuf JSON mapping prints them.
  EXPECT_EQ(metric["sum"]["dataPoints"][0]["timeUnixNano"], std::to_string(kTimeNs));
  EXPECT_EQ(j["resourceMetrics"][0]["resource"]["attributes"][0]["value"]["stringValue"], "s");
}

TEST(OtlpEncoderHeadersTest, ContentTypeFollowsTheEncodingAndConfiguredHeadersAreAdded) {
  OtlpOptions options;
  options.headers = {{"Authorization", "Bearer t"}};
  const auto protobuf = OtlpEncoder(options, 0).headers();
  EXPECT_NE(std::find(protobuf.begin(), protobuf.end(), "Content-Type: application/x-protobuf"), protobuf.end());
  EXPECT_NE(std::find(protobuf.begin(), protobuf.end(), "Authorization: Bearer t"), protobuf.end());
  options.encoding = OtlpEncoding::kJson;
  const auto json = OtlpEncoder(options, 0).headers();
  EXPECT_NE(std::find(json.begin(), json.end(), "Content-Type: application/json"), json.end());
}

TEST(OtlpEncoderRetryTest, OnlyTheSpecificationsRetryableCodesAreRetried) {
  const OtlpEncoder otlp({}, 0);
  for (long status : {429L, 502L, 503L, 504L}) EXPECT_TRUE(otlp.retryable(status)) << status;
  for (long status : {400L, 401L, 404L, 413L, 500L, 501L, 505L}) EXPECT_FALSE(otlp.retryable(status)) << status;
}

TEST(OtlpUnitTest, EsperUnitsAreNamedInUcum) {
  EXPECT_EQ(otlp_unit("ms"), "ms");
  EXPECT_EQ(otlp_unit("GB"), "GBy");
  EXPECT_EQ(otlp_unit("MB"), "MBy");
  EXPECT_EQ(otlp_unit("bytes"), "By");
  EXPECT_EQ(otlp_unit("ratio"), "1");
  EXPECT_EQ(otlp_unit("%"), "%");
  EXPECT_EQ(otlp_unit("Mbps"), "Mbit/s");
  EXPECT_EQ(otlp_unit("loss"), "{loss}");
  EXPECT_EQ(otlp_unit("{odd}"), "{odd}");
  EXPECT_EQ(otlp_unit(""), "");
}

}  // namespace
}  // namespace esper::nissa
