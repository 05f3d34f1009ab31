// The remote-write encoder: what a receiver decodes from its bodies (snappy, then WriteRequest).
#include "nissa/export/remote_write_encoder.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <map>

#include "nissa/export/remote_write.pb.h"

namespace esper::nissa {
namespace {

using LabelMap = std::map<std::string, std::string>;

SeriesSample gauge(std::string source, std::string name, double value, std::string unit,
                   std::vector<std::pair<std::string, std::string>> attributes = {}) {
  SeriesSample s;
  s.key = SeriesKey{std::move(source), std::move(name), std::move(attributes)};
  s.kind = proto::METRIC_KIND_GAUGE;
  s.unit = std::move(unit);
  s.last = value;
  s.count = 1;
  return s;
}

std::vector<remote_write::WriteRequest> decode(const std::vector<ExportBatch>& batches) {
  std::vector<remote_write::WriteRequest> out;
  for (const auto& b : batches) {
    std::string raw;
    EXPECT_TRUE(snappy::Uncompress(b.body.data(), b.body.size(), &raw)) << "body is not snappy block format";
    remote_write::WriteRequest r;
    EXPECT_TRUE(r.ParseFromString(raw));
    out.push_back(std::move(r));
  }
  return out;
}

LabelMap labels_of(const remote_write::TimeSeries& ts) {
  LabelMap m;
  for (const auto& l : ts.labels()) m[l.name()] = l.value();
  return m;
}

TEST(RemoteWriteEncoderTest, AGaugeCarriesTheScrapeNameLabelsBaseUnitAndCollectionTime) {
  RemoteWriteEncoder encoder({.max_samples_per_request = 100, .external_labels = {{"host", "gpu-01"}}});
  std::vector<ExportBatch> batches;
  const SeriesSample s = gauge("tolaria", "step_time_ms", 250, "ms", {{"run", "r1"}, {"source", "x"}});
  encoder.encode(std::span(&s, 1), 1'700'000'000'000, batches);
  const auto requests = decode(batches);
  ASSERT_EQ(requests.size(), 1u);
  ASSERT_EQ(requests[0].timeseries_size(), 1);
  const auto& ts = requests[0].timeseries(0);
  EXPECT_EQ(labels_of(ts), (LabelMap{{"__name__", "esper_step_time_seconds"},
                                     {"attr_source", "x"},
                                     {"host", "gpu-01"},
                                     {"run", "r1"},
                                     {"source", "tolaria"}}));
  ASSERT_EQ(ts.samples_size(), 1);
  EXPECT_DOUBLE_EQ(ts.samples(0).value(), 0.25);
  EXPECT_EQ(ts.samples(0).timestamp(), 1'700'000'000'000);
  EXPECT_EQ(batches[0].samples, 1u);
}

TEST(RemoteWriteEncoderTest, LabelsAreSortedByNameAsTheSpecificationRequires) {
  RemoteWriteEncoder encoder({.max_samples_per_request = 100, .external_labels = {{"a_first", "1"}, {"zone", "z"}}});
  std::vector<ExportBatch> batches;
  const SeriesSample s = gauge("kasmina", "seed.alpha", 0.5, "ratio", {{"seed_id", "s1"}, {"B", "2"}});
  encoder.encode(std::span(&s, 1), 1, batches);
  const auto ts = decode(batches).at(0).timeseries(0);
  for (int i = 1; i < ts.labels_size(); ++i) {
    EXPECT_LT(ts.labels(i - 1).name(), ts.labels(i).name()) << "labels out of order at " << i;
  }
}

TEST(RemoteWriteEncoderTest, ASeriesLabelWinsOverAnExternalLabelOfTheSameName) {
  RemoteWriteEncoder encoder({.max_samples_per_request = 100, .external_labels = {{"host", "from-config"}}});
  std::vector<ExportBatch> batches;
  const SeriesSample s = gauge("tolaria", "loss", 1, "", {{"host", "from-producer"}});
  encoder.encode(std::span(&s, 1), 1, batches);
  EXPECT_EQ(labels_of(decode(batches).at(0).timeseries(0)).at("host"), "from-producer");
}

TEST(RemoteWriteEncoderTest, AHistogramIsASummaryOfQuantilesSumAndCount) {
  RemoteWriteEncoder encoder({});
  SeriesSample s = gauge("uma-serve", "request_latency_ms", 0, "ms");
  s.kind = proto::METRIC_KIND_HISTOGRAM;
  s.has_quantiles = true;
  s.quantiles = {10, 20, 30, 40};
  s.sum = 1000;
  s.count = 50;
  std::vector<ExportBatch> batches;
  encoder.encode(std::span(&s, 1), 7, batches);
  std::map<std::string, double> by_series;
  const auto requests = decode(batches);
  for (const auto& ts : requests.at(0).timeseries()) {
    const auto l = labels_of(ts);
    by_series[l.at("__name__") + (l.contains("quantile") ? "@" + l.at("quantile") : "")] = ts.samples(0).value();
  }
  EXPECT_EQ(by_series, (std::map<std::string, double>{{"esper_request_latency_seconds@0.5", 0.01},
                                                      {"esper_request_latency_seconds@0.9", 0.02},
                                                      {"esper_request_latency_seconds@0.95", 0.03},
                                                      {"esper_request_latency_seconds@0.99", 0.04},
                                                      {"esper_request_latency_seconds_sum", 1.0},
                                                      {"esper_request_latency_seconds_count", 50}}));
  EXPECT_EQ(batches[0].samples, 6u);
}

TEST(RemoteWriteEncoderTest, ACounterKeepsItsTotalSuffix) {
  RemoteWriteEncoder encoder({});
  SeriesSample s = gauge("tamiyo", "field_reports.sent_total", 42, "count");
  s.kind = proto::METRIC_KIND_COUNTER;
  std::vector<ExportBatch> batches;
  encoder.encode(std::span(&s, 1), 1, batches);
  const auto ts = decode(batches).at(0).timeseries(0);
  EXPECT_EQ(labels_of(ts).at("__name__"), "esper_field_reports_sent_total");
  EXPECT_EQ(ts.samples(0).value(), 42);
}

TEST(RemoteWriteEncoderTest, RequestsHoldAtMostTheConfiguredSamplesAndTogetherHoldEvery) {
  RemoteWriteEncoder encoder({.max_samples_per_request = 7, .external_labels = {}});
  std::vector<SeriesSample> series;
  for (int i = 0; i < 30; ++i) series.push_back(gauge("load", "value", i, "", {{"i", std::to_string(i)}}));
  std::vector<ExportBatch> batches;
  encoder.encode(series, 1, batches);
  ASSERT_EQ(batches.size(), 5u);  // 7+7+7+7+2
  std::set<std::string> seen;
  std::size_t counted = 0;
  for (std::size_t b = 0; b < batches.size(); ++b) counted += batches[b].samples;
  for (const auto& r : decode(batches)) {
    EXPECT_LE(r.timeseries_size(), 7);
    for (const auto& ts : r.timeseries()) seen.insert(labels_of(ts).at("i"));
  }
  EXPECT_EQ(seen.size(), 30u);
  EXPECT_EQ(counted, 30u);
}

TEST(RemoteWriteEncoderTest, HeadersAreThoseTheSpecificationRequires) {
  const auto headers = RemoteWriteEncoder({}).headers();
  const std::set<std::string> set(headers.begin(), headers.end());
  EXPECT_TRUE(set.contains("Content-Encoding: snappy"));
  EXPECT_TRUE(set.contains("Content-Type: application/x-protobuf"));
  EXPECT_TRUE(set.contains("X-Prometheus-Remote-Write-Version: 0.1.0"));
  EXPECT_TRUE(std::any_of(headers.begin(), headers.end(), [](const std::string& h) { return h.starts_with("User-Agent: esper-nissa/"); }));
}

}  // namespace
}  // namespace esper::nissa
