// Alert evaluation throughput on one core: metric points per second through the alert engine with
// ~100 rules (threshold, drift, regression and coverage over 25 metric names, some with attribute
// filters), each point meeting the rules of its metric. Prints its figures; not a test.
//
//   nissa_alert_bench            full run
//   nissa_alert_bench --smoke    a short run, for CI to know it still works
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "nissa/analytics/alert_engine.h"
#include "proto/metric_point.h"

namespace {

using namespace esper;
using namespace esper::nissa;

AlertRules make_rules(int metrics) {
  AlertRules rules;
  for (int m = 0; m < metrics; ++m) {
    const std::string metric = "bench.metric_" + std::to_string(m);
    rules.threshold.push_back(ThresholdRule{"threshold_" + std::to_string(m), {metric, std::nullopt, {}},
                                            Comparison::kGreater, 1e9, std::chrono::milliseconds(1000),
                                            proto::SEVERITY_HIGH});
    DriftRule drift;
    drift.name = "drift_" + std::to_string(m);
    drift.select = {metric, std::string("bench"), {}};
    drift.warmup = 100;
    drift.window = 20;
    rules.drift.push_back(drift);
    RegressionRule regression;
    regression.name = "regression_" + std::to_string(m);
    regression.select = {metric, std::nullopt, {}};
    rules.regression.push_back(regression);
    CoverageRule coverage;
    coverage.name = "coverage_" + std::to_string(m);
    coverage.select = {metric, std::nullopt, {{"seed_id", "s0"}}};  // Selects a quarter of the series.
    rules.coverage.push_back(coverage);
  }
  return rules;
}

}  // namespace

int main(int argc, char** argv) {
  const bool smoke = argc > 1 && std::strcmp(argv[1], "--smoke") == 0;
  constexpr int kMetrics = 25;  // 4 rules each: 100 rules.
  const int points = smoke ? 200'000 : 5'000'000;
  AlertEngine engine(make_rules(kMetrics));

  // 25 metrics x 4 seeds = 100 series; values wander around 1.0 so no rule fires often.
  std::vector<proto::MetricPoint> inputs;
  for (int m = 0; m < kMetrics; ++m) {
    for (int s = 0; s < 4; ++s) {
      inputs.push_back(proto::make_point("bench.metric_" + std::to_string(m), 1.0, "ratio",
                                        proto::METRIC_KIND_GAUGE, {{"seed_id", "s" + std::to_string(s)}}));
    }
  }
  std::vector<Alert> raised;
  std::uint64_t alerts = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < points; ++i) {
    auto& p = inputs[static_cast<std::size_t>(i) % inputs.size()];
    p.set_value(1.0 + 0.01 * static_cast<double>((static_cast<std::int64_t>(i) * 7919) % 13));
    engine.observe("bench", p, i, raised);
    alerts += raised.size();
    raised.clear();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("alert engine: %zu rules, %zu series, %d points in %.3f s = %.0f points/s "
              "(%.0f rule evaluations/s), %llu alerts\n",
              engine.rules().size(), inputs.size(), points, seconds, points / seconds,
              static_cast<double>(engine.evaluations_total()) / seconds, static_cast<unsigned long long>(alerts));
  return 0;
}
