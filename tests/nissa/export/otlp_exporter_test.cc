// The OTLP exporter end to end over HTTP into the strict receiver of otlp_receiver.h: every request
// it makes is decoded and checked there, and the specification's answer semantics hold (partial
// success is success; only 429, 502, 503 and 504 are retried).
#include <gtest/gtest.h>
#include <httplib.h>

#include "nissa/export/exporter.h"
#include "nissa/export/otlp_encoder.h"
#include "tests/nissa/export/otlp_receiver.h"
#include "tests/nissa/export/fast_exporter_options.h"
#include "tests/support/wait_until.h"

namespace esper::nissa {
namespace {

using namespace std::chrono_literals;
using esper::testing::wait_until;
using testing::OtlpReceiver;

ExporterOptions otlp_options(const std::string& url) { return testing::fast_exporter_options("otlp", url); }

std::vector<SeriesSample> some_series(int n) {
  std::vector<SeriesSample> out;
  for (int i = 0; i < n; ++i) {
    SeriesSample s;
    s.key = {"producer-" + std::to_string(i % 3), "gpu.util", {{"gpu", std::to_string(i)}}};
    s.kind = proto::METRIC_KIND_GAUGE;
    s.unit = "%";
    s.last = i;
    out.push_back(s);
  }
  return out;
}

class OtlpExporterTest : public ::testing::TestWithParam<OtlpEncoding> {};

TEST_P(OtlpExporterTest, EveryRequestPassesTheStrictReceiverAndCarriesEverySeries) {
  OtlpReceiver receiver;
  OtlpOptions encoding;
  encoding.encoding = GetParam();
  encoding.max_points_per_request = 7;
  encoding.headers = {{"X-Scope-OrgID", "tenant-1"}};
  Exporter exporter(otlp_options(receiver.url()), std::make_unique<OtlpEncoder>(encoding, 1'700'000'000'000));
  exporter.offer(some_series(30), 1'700'000'015'000);
  ASSERT_TRUE(wait_until([&] { return exporter.stats().samples_sent == 30 || !receiver.refusals().empty(); }, 10s))
      << "sent " << exporter.stats().samples_sent << " of 30";
  ASSERT_TRUE(receiver.refusals().empty()) << receiver.refusals().front();
  EXPECT_EQ(exporter.stats().requests_sent, 5u);  // 30 points, 7 a request.
  EXPECT_EQ(receiver.header("X-Scope-OrgID"), "tenant-1");
  EXPECT_EQ(receiver.content_types().front(),
            GetParam() == OtlpEncoding::kJson ? "application/json" : "application/x-protobuf");
  const auto requests = receiver.accepted();
  const auto points = testing::find_metric(requests, "gpu.util");
  ASSERT_EQ(points.size(), 30u);
  std::set<double> values;
  for (const auto& p : points) {
    const auto& dp = p.metric->gauge().data_points(p.index);
    values.insert(dp.as_double());
    EXPECT_EQ(p.service, "producer-" + std::to_string(static_cast<int>(dp.as_double()) % 3));
    EXPECT_EQ(dp.attributes(0).value().string_value(), std::to_string(static_cast<int>(dp.as_double())));
  }
  EXPECT_EQ(values.size(), 30u);
}

TEST_P(OtlpExporterTest, APartialSuccessIsASuccessAndIsNotRetried) {
  OtlpReceiver receiver;
  receiver.answer_partial_success(2);
  OtlpOptions encoding;
  encoding.encoding = GetParam();
  Exporter exporter(otlp_options(receiver.url()), std::make_unique<OtlpEncoder>(encoding, 1));
  exporter.offer(some_series(3), 2);
  ASSERT_TRUE(wait_until([&] { return exporter.stats().samples_sent == 3; }, 10s));
  EXPECT_EQ(exporter.stats().retries, 0u);
  EXPECT_EQ(receiver.requests(), 1);
}

INSTANTIATE_TEST_SUITE_P(Encodings, OtlpExporterTest, ::testing::Values(OtlpEncoding::kProtobuf, OtlpEncoding::kJson),
                         [](const auto& p) { return p.param == OtlpEncoding::kJson ? "Json" : "Protobuf"; });

TEST(OtlpExporterRetryTest, OnlyTheRetryableCodesAreRetriedAndA500IsDropped) {
  OtlpReceiver receiver;
  receiver.script({429, 502, 503, 504, 500});
  Exporter exporter(otlp_options(receiver.url()), std::make_unique<OtlpEncoder>(OtlpOptions{}, 1));
  exporter.offer(some_series(1), 2);  // 429, 502, 503, 504: retried; 500: dropped.
  exporter.offer(some_series(2), 3);  // Accepted.
  ASSERT_TRUE(wait_until([&] { return exporter.stats().samples_sent == 2; }, 10s))
      << "sent " << exporter.stats().samples_sent;
  EXPECT_EQ(exporter.stats().retries, 4u);
  EXPECT_EQ(exporter.stats().dropped.at("rejected"), 1u);
  EXPECT_EQ(receiver.requests(), 6);
}

// The receiver's strictness is what the tests above rely on: it must refuse what a sender must not
// send.
TEST(OtlpReceiverTest, RefusesWhatTheSpecificationDoesNotAllow) {
  OtlpReceiver receiver;
  httplib::Client client(receiver.base_url());
  std::vector<ExportBatch> good;
  OtlpEncoder({}, 1).encode(some_series(1), 2, good);
  ASSERT_EQ(good.size(), 1u);

  auto post = [&](const std::string& body, const std::string& type) {
    auto res = client.Post("/v1/metrics", body, type);
    return res ? res->status : -1;
  };
  EXPECT_EQ(post(good[0].body, "text/plain"), 400) << "a wrong Content-Type";
  EXPECT_EQ(post("\xff\xff\xff", "application/x-protobuf"), 400) << "an undecodable body";
  EXPECT_EQ(post("{\"resourceMetrics\": [", "application/json"), 400) << "undecodable JSON";
  EXPECT_EQ(post("{\"resource_metrics\": []}", "application/json"), 400) << "snake_case keys";
  EXPECT_EQ(post("{}", "application/json"), 400) << "an empty request";

  otlp::ExportMetricsServiceRequest no_time;
  ASSERT_TRUE(no_time.ParseFromString(good[0].body));
  no_time.mutable_resource_metrics(0)->mutable_scope_metrics(0)->mutable_metrics(0)->mutable_gauge()
      ->mutable_data_points(0)->set_time_unix_nano(0);
  EXPECT_EQ(post(no_time.SerializeAsString(), "application/x-protobuf"), 400) << "a point without a time";

  otlp::ExportMetricsServiceRequest no_service;
  ASSERT_TRUE(no_service.ParseFromString(good[0].body));
  no_service.mutable_resource_metrics(0)->mutable_resource()->clear_attributes();
  EXPECT_EQ(post(no_service.SerializeAsString(), "application/x-protobuf"), 400) << "a resource without service.name";

  EXPECT_EQ(receiver.accepted().size(), 0u);
  EXPECT_EQ(post(good[0].body, "application/x-protobuf"), 200);
  EXPECT_EQ(receiver.accepted().size(), 1u);
}

}  // namespace
}  // namespace esper::nissa
