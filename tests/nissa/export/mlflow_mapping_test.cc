// What a point becomes in MLflow (key, run, step), how a run's metrics are cut into log-batch
// requests, and how created runs are remembered.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "nissa/export/mlflow/mlflow_metric.h"
#include "nissa/export/mlflow/mlflow_requests.h"
#include "nissa/export/mlflow/mlflow_run_registry.h"
#include "proto/metric_point.h"
#include "tests/nissa/export/stepped_point.h"
#include "tests/support/temp_dir.h"

namespace esper::nissa {
namespace {

using json = nlohmann::json;

using testing::at_step;

MlflowMetric mapped(std::string_view source, const proto::MetricPoint& p) {
  auto m = to_mlflow_metric(source, p, 1700000000123);
  EXPECT_TRUE(std::holds_alternative<MlflowMetric>(m));
  return std::holds_alternative<MlflowMetric>(m) ? std::get<MlflowMetric>(m) : MlflowMetric{};
}

TEST(MlflowMetricTest, TheCategoryPicksThePrefixAndANameThatHasOneKeepsIt) {
  EXPECT_EQ(mapped("tolaria", at_step("tolaria.loss", 1, 3, {{"category", "TRAINER"}})).key, "trainer/tolaria.loss");
  EXPECT_EQ(mapped("x", at_step("critic_loss", 1, 3, {{"category", "train"}})).key, "trainer/critic_loss");
  EXPECT_EQ(mapped("x", at_step("episodes", 1, 3, {{"category", "ACT"}})).key, "actor/episodes");
  EXPECT_EQ(mapped("x", at_step("mean_return", 1, 3, {{"category", "EVAL"}})).key, "evaluator/mean_return");
  EXPECT_EQ(mapped("x", at_step("lr", 1, 3, {{"category", "OTHER"}})).key, "misc/lr");
  EXPECT_EQ(mapped("x", at_step("lr", 1, 3)).key, "misc/lr");
  // The RL trainer names its points with the prefix already.
  EXPECT_EQ(mapped("rl-trainer", at_step("evaluator/mean_return", 1, 3)).key, "evaluator/mean_return");
}

TEST(MlflowMetricTest, OtherAttributesSeparateSeriesSortedAndSanitized) {
  const auto m = mapped("kasmina", at_step("kasmina.seed.alpha", 0.5, 9, {{"slot", "b"}, {"seed_id", "s3"}}));
  EXPECT_EQ(m.key, "misc/kasmina.seed.alpha/seed_id_s3/slot_b");
  EXPECT_EQ(mapped("k", at_step("a{b}", 1, 1, {{"x=y", "p:q\n"}})).key, "misc/a_b_/x_y_p_q_");
}

TEST(MlflowMetricTest, TheRunIsTheSourceOrTheSourceAndItsRunIdAttribute) {
  const auto plain = mapped("tolaria", at_step("loss", 2.5, 41));
  EXPECT_EQ(plain.run, "tolaria");
  EXPECT_EQ(plain.value, 2.5);
  EXPECT_EQ(plain.step, 41);
  EXPECT_EQ(plain.timestamp_ms, 1700000000123);
  const auto with_run = mapped("tolaria", at_step("loss", 2.5, 41, {{"run_id", "r7"}}));
  EXPECT_EQ(with_run.run, "tolaria/r7");
  EXPECT_EQ(with_run.key, "misc/loss") << "run_id names the run, not the series";
  EXPECT_EQ(mapped("tolaria", at_step("loss", 1, 1, {{"run_id", "a\tb"}})).run, "tolaria/a_b");
}

TEST(MlflowMetricTest, PointsWithoutAStepOrAFiniteValueOrWithAnOverlongKeyAreSkipped) {
  EXPECT_EQ(std::get<MlflowSkip>(to_mlflow_metric("t", proto::make_point("loss", 1, "u"), 0)), MlflowSkip::kNoStep);
  EXPECT_EQ(std::get<MlflowSkip>(to_mlflow_metric("t", at_step("loss", std::nan(""), 1), 0)), MlflowSkip::kNonFinite);
  EXPECT_EQ(std::get<MlflowSkip>(to_mlflow_metric("t", at_step("loss", HUGE_VAL, 1), 0)), MlflowSkip::kNonFinite);
  EXPECT_EQ(std::get<MlflowSkip>(to_mlflow_metric("t", at_step(std::string(300, 'a'), 1, 1), 0)), MlflowSkip::kBadKey);
  // Step 0 is a step.
  EXPECT_TRUE(std::holds_alternative<MlflowMetric>(to_mlflow_metric("t", at_step("loss", 1, 0), 0)));
}

TEST(MlflowRequestsTest, ARunsMetricsAreCutIntoRequestsOfAtMostTheLimitInOrder) {
  std::vector<MlflowMetric> metrics;
  for (int i = 0; i < 2500; ++i) metrics.push_back({"r", "trainer/loss", i * 0.5, 1700000000000 + i, i});
  const auto bodies = log_batch_bodies("run-1", metrics, 5000);  // Asked for more than MLflow takes.
  ASSERT_EQ(bodies.size(), 3u);
  std::int64_t next_step = 0;
  for (const auto& b : bodies) {
    const json j = json::parse(b.json);
    EXPECT_EQ(j["run_id"], "run-1");
    ASSERT_LE(j["metrics"].size(), 1000u);
    EXPECT_EQ(j["metrics"].size(), b.metrics);
    for (const auto& m : j["metrics"]) {
      EXPECT_EQ(m.size(), 4u);
      EXPECT_TRUE(m["key"].is_string());
      EXPECT_TRUE(m["value"].is_number());
      EXPECT_TRUE(m["timestamp"].is_number_integer());
      ASSERT_TRUE(m["step"].is_number_integer());
      EXPECT_EQ(m["step"], next_step++);
    }
  }
  EXPECT_EQ(next_step, 2500);
  EXPECT_EQ(log_batch_bodies("run-1", metrics, 100).size(), 25u);
}

TEST(MlflowRequestsTest, NoRequestIsOverOneMegabyte) {
  std::vector<MlflowMetric> metrics;
  // Keys of 250 characters keep 1,000 metrics well under 1 MB; the bound holds whatever they carry.
  for (int i = 0; i < 1000; ++i) metrics.push_back({"r", std::string(3000, 'k') + std::to_string(i), 1.0 / 3, 1, i});
  const auto bodies = log_batch_bodies("run-1", metrics, 1000);
  ASSERT_GT(bodies.size(), 1u) << "1000 metrics of 3000-character keys are over 1 MB";
  std::size_t total = 0;
  for (const auto& b : bodies) {
    EXPECT_LE(b.json.size(), kMlflowMaxRequestBytes);
    total += b.metrics;
  }
  EXPECT_EQ(total, 1000u);
}

TEST(MlflowRequestsTest, CreateRunBodyAndItsAnswer) {
  const json j = json::parse(create_run_body("7", "tolaria/r\xff", 1700000000000, {{"esper.source", "tolaria"}}));
  EXPECT_EQ(j["experiment_id"], "7");
  EXPECT_EQ(j["start_time"], 1700000000000);
  EXPECT_EQ(j["tags"][0]["key"], "esper.source");
  EXPECT_TRUE(j["run_name"].is_string()) << "a bad byte is replaced, not thrown";
  EXPECT_EQ(created_run_id(R"({"run":{"info":{"run_id":"abc","run_uuid":"abc"},"data":{}}})"), "abc");
  EXPECT_EQ(created_run_id(R"({"run":{"info":{"run_uuid":"old"}}})"), "old");
  EXPECT_EQ(created_run_id(R"({"run":{}})"), std::nullopt);
  EXPECT_EQ(created_run_id("<html>proxy error</html>"), std::nullopt);
  EXPECT_EQ(created_run_id(R"({"run":{"info":{"run_id":""}}})"), std::nullopt);
}

TEST(MlflowRunRegistryTest, ConfiguredRunsComeFirstThenTheDefaultRunThenCreatedOnes) {
  MlflowRunRegistry with_default({{"tolaria", "configured"}}, "default", "");
  EXPECT_EQ(with_default.find("tolaria"), "configured");
  EXPECT_EQ(with_default.find("kasmina"), "default");
  MlflowRunRegistry created_only({{"tolaria", "configured"}}, "", "");
  EXPECT_EQ(created_only.find("kasmina"), std::nullopt);
  EXPECT_EQ(created_only.remember("kasmina", "made"), std::nullopt);
  EXPECT_EQ(created_only.find("kasmina"), "made");
  EXPECT_TRUE(created_only.created("kasmina"));
  EXPECT_FALSE(created_only.created("tolaria"));
}

TEST(MlflowRunRegistryTest, CreatedRunsAreRememberedInTheFileAndForgottenOnRequest) {
  esper::testing::TempDir dir;
  const auto file = dir.path() / "mlflow_runs.json";
  {
    MlflowRunRegistry runs({}, "", file);
    EXPECT_EQ(runs.remember("tolaria", "run-a"), std::nullopt);
    EXPECT_EQ(runs.remember("rl-trainer/r7", "run-b"), std::nullopt);
  }
  {
    MlflowRunRegistry again({}, "", file);
    EXPECT_EQ(again.find("tolaria"), "run-a");
    EXPECT_EQ(again.find("rl-trainer/r7"), "run-b");
    EXPECT_EQ(again.created_count(), 2u);
    EXPECT_EQ(again.forget("tolaria"), std::nullopt);
  }
  MlflowRunRegistry third({}, "", file);
  EXPECT_EQ(third.find("tolaria"), std::nullopt);
  EXPECT_EQ(third.find("rl-trainer/r7"), "run-b");
}

TEST(MlflowRunRegistryTest, AnUnreadableFileIsSetAsideAndRunsAreCreatedAfresh) {
  esper::testing::TempDir dir;
  const auto file = dir.path() / "mlflow_runs.json";
  std::ofstream(file) << "{\"runs\": {\"tolaria\": 12}}";
  MlflowRunRegistry runs({}, "", file);
  EXPECT_EQ(runs.find("tolaria"), std::nullopt);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "mlflow_runs.json.unreadable"));
  EXPECT_EQ(runs.remember("tolaria", "fresh"), std::nullopt);
  EXPECT_EQ(MlflowRunRegistry({}, "", file).find("tolaria"), "fresh");
}

TEST(MlflowRunRegistryTest, AFileThatCannotBeWrittenIsReportedAndTheRunStillUsed) {
  esper::testing::TempDir dir;
  MlflowRunRegistry runs({}, "", dir.path() / "missing-dir" / "mlflow_runs.json");
  const auto error = runs.remember("tolaria", "run-a");
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("mlflow_runs.json"), std::string::npos) << *error;
  EXPECT_EQ(runs.find("tolaria"), "run-a");
}

}  // namespace
}  // namespace esper::nissa
