// Nissa as a real process between a real Oona and the strict MLflow stand-in of mlflow_receiver.h
// (no MLflow can be installed here): what trainers publish with a step arrives as MLflow metrics
// under one run per source, keyed by category; a restarted Nissa logs to the same runs.
#include <gtest/gtest.h>

#include "proto/metric_point.h"
#include "tests/nissa/export/mlflow_receiver.h"
#include "tests/nissa/export/stepped_point.h"
#include "tests/support/nissa_process.h"
#include "tests/support/wait_until.h"

namespace esper::nissa::testing {
namespace {

using esper::testing::wait_until;
using oona::testing::OonaProcess;

std::vector<LoggedMetric> with_key(const std::vector<LoggedMetric>& metrics, const std::string& key) {
  std::vector<LoggedMetric> out;
  for (const auto& m : metrics) {
    if (m.key == key) out.push_back(m);
  }
  return out;
}

TEST(MlflowProcessTest, SteppedPointsArriveUnderOneRunPerSourceAndARestartedNissaKeepsItsRuns) {
  OonaProcess oona;
  ASSERT_TRUE(oona.ready()) << "oona did not start";
  MlflowReceiver mlflow;
  esper::testing::TempDir dir;
  const std::string yaml = "export:\n"
                           "  mlflow:\n"
                           "    url: " + mlflow.url() + "\n"
                           "    experiment_id: '7'\n"
                           "    flush_interval: 200ms\n";
  auto nissa = std::make_unique<NissaProcess>(oona.dir().path(), dir.path() / "state", yaml);
  ASSERT_TRUE(nissa->ready()) << "nissa did not print its ready line";

  oona::BusPublisher trainer(oona::testing::publisher_options(oona.endpoints(), "rl-trainer"));
  oona::BusPublisher tolaria(oona::testing::publisher_options(oona.endpoints(), "tolaria"));
  // Until both connections have reached Oona, early envelopes may be lost: resend a warm-up point
  // (step 0) until MLflow has one from each.
  ASSERT_TRUE(wait_until([&] {
    trainer.publish(packet({at_step("misc/warmup", 1, 0)}));
    tolaria.publish(packet({at_step("warmup", 1, 0)}));
    const auto metrics = mlflow.metrics();
    return !with_key(metrics, "misc/warmup").empty() && mlflow.created().size() == 2;
  }, 30s)) << "no warm-up metric reached MLflow; refusals: " << mlflow.refusals().size();

  for (std::uint64_t step = 1; step <= 20; ++step) {
    ASSERT_TRUE(trainer.publish(packet({at_step("trainer/critic_loss", 1.0 / step, step),
                                        at_step("evaluator/mean_return", step * 3.0, step, {{"phase", "eval"}})})));
    ASSERT_TRUE(tolaria.publish(packet({at_step("tolaria.loss", 2.0 / step, step, {{"category", "TRAINER"}}),
                                        proto::make_point("tolaria.gpu_util", 0.9, "ratio")})));  // No step.
  }
  ASSERT_TRUE(wait_until([&] {
    const auto metrics = mlflow.metrics();
    return with_key(metrics, "trainer/critic_loss").size() == 20 &&
           with_key(metrics, "evaluator/mean_return/phase_eval").size() == 20 &&
           with_key(metrics, "trainer/tolaria.loss").size() == 20;
  }, 30s)) << "critic_loss " << with_key(mlflow.metrics(), "trainer/critic_loss").size() << "/20, refusals: "
           << (mlflow.refusals().empty() ? "none" : mlflow.refusals().front());
  EXPECT_TRUE(mlflow.refusals().empty());

  auto created = mlflow.created();
  ASSERT_EQ(created.size(), 2u);
  std::map<std::string, std::string> run_of;
  for (const auto& r : created) {
    EXPECT_EQ(r.experiment_id, "7");
    run_of[r.run_name] = r.run_id;
  }
  const auto metrics = mlflow.metrics();
  for (const auto& m : with_key(metrics, "evaluator/mean_return/phase_eval")) {
    EXPECT_EQ(m.run_id, run_of["rl-trainer"]);
    EXPECT_DOUBLE_EQ(m.value, m.step * 3.0);
  }
  for (const auto& m : with_key(metrics, "trainer/tolaria.loss")) EXPECT_EQ(m.run_id, run_of["tolaria"]);
  for (const auto& m : metrics) EXPECT_EQ(m.key.find("gpu_util"), std::string::npos) << "a point without a step";

  // Nissa counts what it sent and skipped in its own telemetry.
  ASSERT_TRUE(wait_until([&] {
    return nissa->get_text("/metrics").find("exporter=\"mlflow\",reason=\"no_step\"} 20") != std::string::npos;
  }, 15s)) << nissa->get_text("/metrics");

  // Restarted on the same state directory, Nissa logs to the runs it created.
  ASSERT_EQ(esper::testing::describe_status(nissa->process().stop()), "exit 0");
  nissa = std::make_unique<NissaProcess>(oona.dir().path(), dir.path() / "state", yaml);
  ASSERT_TRUE(nissa->ready()) << "nissa did not restart";
  ASSERT_TRUE(wait_until([&] {
    trainer.publish(packet({at_step("trainer/critic_loss", 0.01, 100)}));
    const auto after = with_key(mlflow.metrics(), "trainer/critic_loss");
    return !after.empty() && after.back().step == 100;
  }, 30s)) << "nothing from the restarted nissa";
  EXPECT_EQ(mlflow.created().size(), 2u) << "the restarted nissa created a run again";
  EXPECT_EQ(with_key(mlflow.metrics(), "trainer/critic_loss").back().run_id, run_of["rl-trainer"]);
}

}  // namespace
}  // namespace esper::nissa::testing
