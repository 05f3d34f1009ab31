// The exposition is checked by the real Prometheus linter, `promtool check metrics`, for every
// kind of series and for the names of every metric in the reference documents.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>

#include "nissa/serve/prometheus_exposition.h"
#include "proto/metric_point.h"
#include "tests/support/temp_dir.h"

namespace esper::nissa {
namespace {

TEST(PromtoolTest, ExpositionPassesPromtoolCheckMetrics) {
  MetricAggregator agg;
  const struct {
    const char* source;
    const char* name;
    const char* unit;
    proto::MetricKind kind;
  } metrics[] = {
      {"tolaria", "loss", "loss", proto::METRIC_KIND_GAUGE},
      {"tolaria", "hook_latency_ms", "ms", proto::METRIC_KIND_GAUGE},
      {"tolaria", "gpu_mem_used_gb", "GB", proto::METRIC_KIND_GAUGE},
      {"tolaria", "cpu_util_percent", "%", proto::METRIC_KIND_GAUGE},
      {"tolaria", "grad_var", "grad^2", proto::METRIC_KIND_GAUGE},
      {"kasmina", "kasmina.seed.alpha", "ratio", proto::METRIC_KIND_GAUGE},
      {"tamiyo", "tamiyo.field_reports.published_total", "count", proto::METRIC_KIND_COUNTER},
      {"tamiyo", "tamiyo.gnn.compile_fallback_total", "count", proto::METRIC_KIND_COUNTER},
      {"uma-serve", "tokens_generated_total", "count", proto::METRIC_KIND_COUNTER},
      {"uma-serve", "ttft_ms", "ms", proto::METRIC_KIND_HISTOGRAM},
      {"rl-trainer", "trainer/critic_loss", "", proto::METRIC_KIND_GAUGE},
  };
  for (const auto& m : metrics) {
    for (int i = 1; i <= 10; ++i) {
      auto p = proto::make_point(m.name, i, m.unit, m.kind);
      (*p.mutable_attributes())["seed_id"] = "s1";
      (*p.mutable_attributes())["gpu.id"] = "0";
      agg.add(m.source, p, 1000);
    }
  }
  testing::TempDir dir;
  const auto path = dir / "metrics.txt";
  std::ofstream(path) << render_prometheus(agg);
  const std::string cmd = "promtool check metrics < '" + path.string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status)) << cmd;
  EXPECT_EQ(WEXITSTATUS(status), 0) << "promtool rejected the exposition (see its output above)";
}

}  // namespace
}  // namespace esper::nissa
