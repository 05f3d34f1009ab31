// Nissa as a real process between a real Oona and the strict OTLP receiver of otlp_receiver.h (no
// real Collector is installed here): what a producer publishes arrives as OTLP metrics, under the
// producer's name as service.name, with its names, values and attributes.
#include <gtest/gtest.h>

#include "proto/metric_point.h"
#include "tests/nissa/export/otlp_receiver.h"
#include "tests/support/nissa_process.h"
#include "tests/support/wait_until.h"

namespace esper::nissa::testing {
namespace {

using esper::testing::wait_until;
using oona::testing::OonaProcess;

std::string attribute_of(const google::protobuf::RepeatedPtrField<otlp::KeyValue>& attributes, const std::string& key) {
  for (const auto& kv : attributes) {
    if (kv.key() == key) return kv.value().string_value();
  }
  return "<absent>";
}

class OtlpProcessTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OtlpProcessTest, WhatTheProducerPublishesArrivesAsOtlp) {
  OonaProcess oona;
  ASSERT_TRUE(oona.ready()) << "oona did not start";
  OtlpReceiver receiver;
  esper::testing::TempDir dir;
  NissaProcess nissa(oona.dir().path(), dir.path() / "state",
                     "export:\n"
                     "  interval: 500ms\n"
                     "  otlp:\n"
                     "    url: " + receiver.url() + "\n"
                     "    encoding: " + GetParam() + "\n"
                     "    resource_attributes: {host.name: test-host}\n");
  ASSERT_TRUE(nissa.ready()) << "nissa did not print its ready line";

  oona::BusPublisher producer(oona::testing::publisher_options(oona.endpoints(), "test-producer"));
  // Until the subscription has reached Oona, early envelopes are not delivered: resend until the
  // point is exported.
  ASSERT_TRUE(wait_until([&] {
    producer.publish(packet({proto::make_point("warmup", 1, "count")}));
    return !find_metric(receiver.accepted(), "warmup").empty();
  }, 30s)) << "no warm-up point reached the receiver; refusals: " << receiver.refusals().size();

  for (int i = 1; i <= 10; ++i) {
    ASSERT_TRUE(producer.publish(packet({
        proto::make_point("tolaria.loss", 1.0 / i, "loss", proto::METRIC_KIND_GAUGE, {{"run", "r1"}}),
        proto::make_point("tokens_generated_total", i * 10.0, "count", proto::METRIC_KIND_COUNTER),
        proto::make_point("ttft_ms", i, "ms", proto::METRIC_KIND_HISTOGRAM),
    })));
  }
  // Each collection exports every series; wait for one that has all ten points of the histogram.
  auto summary_count = [&] {
    const auto requests = receiver.accepted();
    std::uint64_t most = 0;
    for (const auto& p : find_metric(requests, "ttft_ms")) {
      most = std::max<std::uint64_t>(most, p.metric->summary().data_points(p.index).count());
    }
    return most;
  };
  ASSERT_TRUE(wait_until([&] { return summary_count() == 10; }, 30s)) << "exported ttft count " << summary_count();
  EXPECT_TRUE(receiver.refusals().empty()) << receiver.refusals().front();

  const auto requests = receiver.accepted();
  const auto loss = find_metric(requests, "tolaria.loss");
  ASSERT_FALSE(loss.empty());
  const auto& latest_loss = loss.back();
  EXPECT_EQ(latest_loss.service, "test-producer");
  ASSERT_TRUE(latest_loss.metric->has_gauge());
  EXPECT_DOUBLE_EQ(latest_loss.metric->gauge().data_points(latest_loss.index).as_double(), 0.1);
  EXPECT_EQ(attribute_of(latest_loss.metric->gauge().data_points(latest_loss.index).attributes(), "run"), "r1");
  EXPECT_EQ(latest_loss.metric->unit(), "{loss}");

  const auto tokens = find_metric(requests, "tokens_generated_total");
  ASSERT_FALSE(tokens.empty());
  ASSERT_TRUE(tokens.back().metric->has_sum());
  EXPECT_TRUE(tokens.back().metric->sum().is_monotonic());
  EXPECT_DOUBLE_EQ(tokens.back().metric->sum().data_points(tokens.back().index).as_double(), 100);

  const auto ttft = find_metric(requests, "ttft_ms");
  const auto& summary = ttft.back().metric->summary().data_points(ttft.back().index);
  EXPECT_DOUBLE_EQ(summary.sum(), 55);
  EXPECT_EQ(summary.quantile_values_size(), 4);

  // The resource carries the configured attribute beside service.name.
  for (const auto& r : requests) {
    for (const auto& rm : r.resource_metrics()) {
      EXPECT_EQ(attribute_of(rm.resource().attributes(), "host.name"), "test-host");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Encodings, OtlpProcessTest, ::testing::Values("protobuf", "json"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace esper::nissa::testing
