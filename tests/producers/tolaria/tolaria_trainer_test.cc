// The trainer learns (its loss falls, its accuracy rises above chance), deterministically, and the
// step telemetry names, gates and derives exactly what docs/reference/training-system.md lists.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "producers/telemetry_buffer.h"
#include "producers/tolaria/hardware_probes.h"
#include "producers/tolaria/step_telemetry.h"
#include "producers/tolaria/tolaria_trainer.h"

namespace esper::tolaria {
namespace {

double mean_loss(TolariaTrainer& trainer, int steps) {
  double sum = 0;
  for (int i = 0; i < steps; ++i) sum += trainer.step().loss;
  return sum / steps;
}

TEST(TolariaTrainerTest, LossDecreasesAndAccuracyRisesOverTraining) {
  TolariaTrainer trainer({});
  const double initial_loss = trainer.evaluate_loss();
  const double first = mean_loss(trainer, 50);
  for (int i = 0; i < 1500; ++i) trainer.step();
  const double last = mean_loss(trainer, 50);
  EXPECT_LT(last, first * 0.75) << "first-50 mean " << first << ", last-50 mean " << last;
  EXPECT_LT(trainer.evaluate_loss(), initial_loss * 0.7);
  EXPECT_GT(trainer.evaluate_accuracy(), 0.8);
}

TEST(TolariaTrainerTest, SameSeedSameRunDifferentSeedDifferentRun) {
  TolariaTrainer a({}), b({});
  TrainerOptions other;
  other.seed = 8;
  TolariaTrainer c(other);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const auto ra = a.step(), rb = b.step(), rc = c.step();
    ASSERT_EQ(ra.loss, rb.loss) << "step " << i;
    ASSERT_EQ(ra.gradient_norm, rb.gradient_norm) << "step " << i;
    differs = differs || ra.loss != rc.loss;
  }
  EXPECT_TRUE(differs);
}

TEST(TolariaTrainerTest, StepMeasuresItsPhasesAndGradientConflict) {
  TrainerOptions options;
  options.micro_batches = 4;
  TolariaTrainer trainer(options);
  const auto r = trainer.step();
  EXPECT_EQ(r.step, 1u);
  EXPECT_GT(r.loss, 0.0);
  EXPECT_GE(r.accuracy, 0.0);
  EXPECT_LE(r.accuracy, 1.0);
  EXPECT_GT(r.gradient_norm, 0.0);
  ASSERT_TRUE(r.grad_conflict_rate.has_value());
  EXPECT_GE(*r.grad_conflict_rate, 0.0);
  EXPECT_LE(*r.grad_conflict_rate, 1.0);
  EXPECT_GT(r.samples_per_s, 0.0);

  options.micro_batches = 1;  // One gradient source: the conflict rate is not defined.
  TolariaTrainer single(options);
  EXPECT_FALSE(single.step().grad_conflict_rate.has_value());
}

TEST(TolariaTrainerTest, PlateauPolicyLowersTheLearningRate) {
  TrainerOptions options;
  options.plateau_patience = 5;
  options.plateau_tolerance = 10.0;  // Nothing counts as improvement: a plateau every 5 steps.
  TolariaTrainer trainer(options);
  for (int i = 0; i < 11; ++i) trainer.step();
  EXPECT_DOUBLE_EQ(trainer.learning_rate(), options.learning_rate * 0.25);
}

std::map<std::string, proto::MetricPoint> by_name(const std::vector<proto::MetricPoint>& points) {
  std::map<std::string, proto::MetricPoint> m;
  for (const auto& p : points) m[p.name()] = p;
  return m;
}

TEST(StepTelemetryTest, EnrichmentOnDerivesStatisticsWithTheDocumentsUnits) {
  TolariaTrainer trainer({});
  StepTelemetry telemetry({.enrichment = true}, nullptr);
  const auto r1 = trainer.step();
  auto first = by_name(telemetry.step_points(r1));
  EXPECT_FALSE(first.contains("loss_delta")) << "no delta on the first step";
  EXPECT_FALSE(first.contains("grad_var")) << "no variance from one sample";
  const auto r2 = trainer.step();
  auto second = by_name(telemetry.step_points(r2));
  ASSERT_TRUE(second.contains("loss_delta"));
  EXPECT_DOUBLE_EQ(second["loss_delta"].value(), r2.loss - r1.loss);
  EXPECT_EQ(second["loss_delta"].unit(), "loss");
  EXPECT_EQ(second["grad_var"].unit(), "grad^2");
  EXPECT_EQ(second["loss_volatility"].unit(), "loss");
  EXPECT_NEAR(second["loss_volatility"].value(), std::abs(r2.loss - r1.loss) / std::sqrt(2.0), 1e-12);
  EXPECT_DOUBLE_EQ(second["loss_ewma"].value(), 0.1 * r2.loss + 0.9 * r1.loss);
  EXPECT_EQ(second["loss"].step(), 2u);
  for (const auto& [name, p] : second) EXPECT_TRUE(p.has_step()) << name;
  auto latency = by_name(telemetry.latency_points(r2, 0.5, 2.0));
  EXPECT_EQ(latency["hook_latency_ms"].value(), 0.5);
  EXPECT_EQ(latency["step_latency_ms"].value(), 2.0);
  EXPECT_EQ(latency["tamiyo_latency_ms"].unit(), "ms");
}

TEST(StepTelemetryTest, EnrichmentOffEmitsNoGatedMetric) {
  TolariaTrainer trainer({});
  StepTelemetry telemetry({.enrichment = false}, nullptr);
  std::set<std::string> names;
  for (int i = 0; i < 5; ++i) {
    const auto r = trainer.step();
    for (const auto& p : telemetry.step_points(r)) names.insert(p.name());
    for (const auto& p : telemetry.latency_points(r, 1, 1)) names.insert(p.name());
  }
  EXPECT_EQ(names, (std::set<std::string>{"loss", "accuracy", "gradient_norm", "samples_per_s", "hook_latency_ms",
                                          "tamiyo_latency_ms"}));
  for (const auto& n : names) EXPECT_FALSE(producers::reference_gated_metrics().contains(n)) << n;
}

TEST(HardwareProbesTest, ParsesProcStatCpuLine) {
  const auto v = parse_proc_stat_cpu("cpu  100 10 50 800 40 0 0 0 0 0");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->first, 160u);   // user + nice + system
  EXPECT_EQ(v->second, 1000u);
  EXPECT_FALSE(parse_proc_stat_cpu("cpu0 1 2 3 4").has_value());
  EXPECT_FALSE(parse_proc_stat_cpu("cpu 1 2").has_value());
}

TEST(HardwareProbesTest, CpuProbeNeedsTwoReadsAndGivesAPercentage) {
  CpuUtilisationProbe probe;
  EXPECT_FALSE(probe.sample().has_value());
  volatile double sink = 0;
  std::optional<double> percent;
  for (int i = 0; i < 2000 && !percent; ++i) {  // Burn a little CPU until the jiffies move.
    for (int j = 0; j < 100000; ++j) sink = sink + j;
    percent = probe.sample();
  }
  ASSERT_TRUE(percent.has_value()) << "/proc/stat never advanced";
  EXPECT_GE(*percent, 0.0);
  EXPECT_LE(*percent, 100.0);
  CpuUtilisationProbe missing("/nonexistent/stat");
  EXPECT_FALSE(missing.sample().has_value());
  EXPECT_FALSE(missing.sample().has_value());
}

}  // namespace
}  // namespace esper::tolaria
