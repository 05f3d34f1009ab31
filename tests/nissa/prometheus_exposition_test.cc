#include "nissa/serve/prometheus_exposition.h"

#include <gtest/gtest.h>

#include "proto/metric_point.h"

namespace esper::nissa {
namespace {

using proto::METRIC_KIND_COUNTER;
using proto::METRIC_KIND_GAUGE;
using proto::METRIC_KIND_HISTOGRAM;

TEST(PrometheusNameTest, FollowsPrometheusConventions) {
  EXPECT_EQ(prometheus_name("kasmina.seed.alpha", "ratio", METRIC_KIND_GAUGE).name,
            "esper_kasmina_seed_alpha_ratio");
  EXPECT_EQ(prometheus_name("kasmina.seed.stage", "state", METRIC_KIND_GAUGE).name,
            "esper_kasmina_seed_stage");
  const auto latency = prometheus_name("hook_latency_ms", "ms", METRIC_KIND_GAUGE);
  EXPECT_EQ(latency.name, "esper_hook_latency_seconds");
  EXPECT_DOUBLE_EQ(latency.scale, 1e-3);
  EXPECT_EQ(prometheus_name("kasmina.apply_ms", "ms", METRIC_KIND_GAUGE).name,
            "esper_kasmina_apply_seconds");
  EXPECT_EQ(prometheus_name("gpu_mem_used_gb", "GB", METRIC_KIND_GAUGE).name,
            "esper_gpu_mem_used_bytes");
  EXPECT_EQ(prometheus_name("cpu_util_percent", "%", METRIC_KIND_GAUGE).name,
            "esper_cpu_util_percent");
  EXPECT_EQ(prometheus_name("tamiyo.field_reports.dropped_total", "count", METRIC_KIND_COUNTER).name,
            "esper_tamiyo_field_reports_dropped_total");
  EXPECT_EQ(prometheus_name("tokens_generated_total", "count", METRIC_KIND_COUNTER).name,
            "esper_tokens_generated_total");
  EXPECT_EQ(prometheus_name("batch_calls", "count", METRIC_KIND_COUNTER).name,
            "esper_batch_calls_total");
  EXPECT_EQ(prometheus_name("trainer/critic_loss", "", METRIC_KIND_GAUGE).name,
            "esper_trainer_critic_loss");
  EXPECT_EQ(prometheus_name("ttft_ms", "ms", METRIC_KIND_HISTOGRAM).name, "esper_ttft_seconds");
}

TEST(PrometheusLabelTest, SanitisesNames) {
  EXPECT_EQ(prometheus_label_name("seed_id"), "seed_id");
  EXPECT_EQ(prometheus_label_name("gpu.id"), "gpu_id");
  EXPECT_EQ(prometheus_label_name("9lives"), "_9lives");
  EXPECT_EQ(prometheus_label_name("__name__"), "attr__name__");
}

TEST(RenderPrometheusTest, GaugesCountersAndSummaries) {
  MetricAggregator agg;
  auto alpha = proto::make_point("kasmina.seed.alpha", 0.25, "ratio", METRIC_KIND_GAUGE);
  (*alpha.mutable_attributes())["seed_id"] = "s\"1";
  agg.add("kasmina", alpha, 1000);
  agg.add("uma-serve", proto::make_point("tokens_generated_total", 12345, "count", METRIC_KIND_COUNTER), 1000);
  for (int i = 1; i <= 100; ++i) {
    agg.add("uma-serve", proto::make_point("ttft_ms", i, "ms", METRIC_KIND_HISTOGRAM), 1000);
  }
  const std::string text = render_prometheus(agg);
  EXPECT_NE(text.find("# TYPE esper_kasmina_seed_alpha_ratio gauge\n"
                      "esper_kasmina_seed_alpha_ratio{source=\"kasmina\",seed_id=\"s\\\"1\"} 0.25\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE esper_tokens_generated_total counter\n"
                      "esper_tokens_generated_total{source=\"uma-serve\"} 12345\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE esper_ttft_seconds summary\n"), std::string::npos) << text;
  EXPECT_NE(text.find("esper_ttft_seconds_count{source=\"uma-serve\"} 100\n"), std::string::npos);
  EXPECT_NE(text.find("esper_ttft_seconds_sum{source=\"uma-serve\"} 5.05"), std::string::npos) << text;
  EXPECT_NE(text.find("esper_ttft_seconds{source=\"uma-serve\",quantile=\"0.95\"} 0.09"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# HELP esper_ttft_seconds Esper metric ttft_ms (ms)\n"), std::string::npos);
}

}  // namespace
}  // namespace esper::nissa
