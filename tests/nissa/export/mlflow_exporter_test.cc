// The MLflow exporter against the strict receiver of mlflow_receiver.h: points arrive under their
// run with their keys and steps, runs are created once and remembered, and a failing or refusing
// server costs bounded attempts and counted drops, never the caller.
#include "nissa/export/mlflow/mlflow_exporter.h"

#include <gtest/gtest.h>

#include "proto/metric_point.h"
#include "tests/nissa/export/fast_exporter_options.h"
#include "tests/nissa/export/mlflow_receiver.h"
#include "tests/nissa/export/stepped_point.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_until.h"

namespace esper::nissa::testing {
namespace {

using esper::testing::wait_until;
using namespace std::chrono_literals;

// Feeds an exporter as Nissa's ingest loop does: each series keeps its export tag (in Nissa, in
// the aggregator's Series).
class Feed {
 public:
  explicit Feed(MlflowExporter& exporter) : exporter_(exporter) {}
  void operator()(const std::string& source, const proto::MetricPoint& p, std::int64_t time_ms) {
    std::string series = source + "|" + p.name();
    std::map<std::string, std::string> sorted(p.attributes().begin(), p.attributes().end());
    for (const auto& [k, v] : sorted) series += "|" + k + "=" + v;
    exporter_.offer(source, p, time_ms, tags_[series]);
  }

 private:
  MlflowExporter& exporter_;
  std::map<std::string, std::uint64_t> tags_;
};

std::size_t count_key(const std::vector<LoggedMetric>& metrics, const std::string& key) {
  return static_cast<std::size_t>(
      std::count_if(metrics.begin(), metrics.end(), [&](const LoggedMetric& m) { return m.key == key; }));
}

TEST(MlflowExporterTest, PointsArriveUnderTheirSourcesRunWithKeysStepsAndValues) {
  MlflowReceiver mlflow;
  auto options = fast_mlflow_options(mlflow.url());
  options.max_points_per_request = 40;
  MlflowExporter exporter(options);
  Feed feed(exporter);
  for (std::uint64_t step = 0; step < 60; ++step) {
    feed("rl-trainer", at_step("critic_loss", 1.0 / (step + 1), step, {{"category", "TRAINER"}}), 1000 + step);
    feed("rl-trainer", at_step("mean_return", step * 2.0, step, {{"category", "EVALUATOR"}}), 1000 + step);
  }
  feed("rl-trainer", proto::make_point("no_step_here", 1, "u"), 5000);  // Not for MLflow.

  ASSERT_TRUE(wait_until([&] { return mlflow.metrics().size() == 120 && exporter.stats().samples_sent == 120; }, 10s))
      << mlflow.metrics().size() << " of 120 metrics; refusals: "
      << (mlflow.refusals().empty() ? "none" : mlflow.refusals().front());
  EXPECT_TRUE(mlflow.refusals().empty());
  const auto runs = mlflow.created();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].experiment_id, "0");
  EXPECT_EQ(runs[0].run_name, "rl-trainer");
  EXPECT_EQ(runs[0].tags.at("esper.source"), "rl-trainer");

  const auto metrics = mlflow.metrics();
  EXPECT_EQ(count_key(metrics, "trainer/critic_loss"), 60u);
  EXPECT_EQ(count_key(metrics, "evaluator/mean_return"), 60u);
  std::int64_t last_step = -1;
  for (const auto& m : metrics) {
    EXPECT_EQ(m.run_id, runs[0].run_id);
    if (m.key != "evaluator/mean_return") continue;
    EXPECT_EQ(m.step, last_step + 1) << "in order";
    EXPECT_DOUBLE_EQ(m.value, m.step * 2.0);
    EXPECT_EQ(m.timestamp, 1000 + m.step);
    last_step = m.step;
  }
  for (std::size_t n : mlflow.batch_sizes()) EXPECT_LE(n, 40u);
  const ExporterStats s = exporter.stats();
  EXPECT_EQ(s.name, "mlflow");
  EXPECT_EQ(s.samples_sent, 120u);
  EXPECT_EQ(s.skipped.at("no_step"), 1u);
}

TEST(MlflowExporterTest, FlushPointsSendBeforeTheIntervalIsUp) {
  MlflowReceiver mlflow;
  auto options = fast_mlflow_options(mlflow.url());
  options.flush_interval = 60s;
  options.flush_points = 50;
  MlflowExporter exporter(options);
  Feed feed(exporter);
  for (std::uint64_t step = 0; step < 50; ++step) feed("tolaria", at_step("loss", 1, step), 1);
  EXPECT_TRUE(wait_until([&] { return mlflow.metrics().size() == 50; }, 10s))
      << "50 points waited for the 60 s interval: " << mlflow.metrics().size() << " arrived";
}

TEST(MlflowExporterTest, ACreatedRunIsRememberedAcrossRestartsAndRunIdAttributesGetRunsOfTheirOwn) {
  MlflowReceiver mlflow;
  esper::testing::TempDir dir;
  const auto runs_file = dir.path() / "mlflow_runs.json";
  {
    MlflowExporter exporter(fast_mlflow_options(mlflow.url(), runs_file));
    Feed feed(exporter);
    feed("tolaria", at_step("loss", 1, 1), 1);
    feed("tolaria", at_step("loss", 2, 1, {{"run_id", "sweep-7"}}), 1);
    ASSERT_TRUE(wait_until([&] { return mlflow.metrics().size() == 2; }, 10s));
  }
  ASSERT_EQ(mlflow.created().size(), 2u);
  {
    MlflowExporter restarted(fast_mlflow_options(mlflow.url(), runs_file));
    Feed feed_restarted(restarted);
    feed_restarted("tolaria", at_step("loss", 3, 2), 1);
    feed_restarted("tolaria", at_step("loss", 4, 2, {{"run_id", "sweep-7"}}), 1);
    ASSERT_TRUE(wait_until([&] { return mlflow.metrics().size() == 4; }, 10s));
  }
  const auto created = mlflow.created();
  EXPECT_EQ(created.size(), 2u) << "the restarted exporter created runs again";
  std::map<std::string, std::string> run_of_name;
  for (const auto& r : created) run_of_name[r.run_name] = r.run_id;
  ASSERT_TRUE(run_of_name.contains("tolaria") && run_of_name.contains("tolaria/sweep-7"));
  for (const auto& m : mlflow.metrics()) {
    const bool sweep = m.value == 2 || m.value == 4;
    EXPECT_EQ(m.run_id, run_of_name[sweep ? "tolaria/sweep-7" : "tolaria"]) << "value " << m.value;
  }
}

TEST(MlflowExporterTest, AConfiguredRunIsUsedWithoutCreatingOne) {
  MlflowReceiver mlflow;
  mlflow.add_run("hand-made");
  auto options = fast_mlflow_options(mlflow.url());
  options.runs = {{"tolaria", "hand-made"}};
  options.sources = {"tolaria"};
  MlflowExporter exporter(options);
  Feed feed(exporter);
  feed("tolaria", at_step("loss", 1, 1), 1);
  feed("kasmina", at_step("alpha", 1, 1), 1);  // Not among `sources`.
  ASSERT_TRUE(wait_until([&] { return mlflow.metrics().size() == 1; }, 10s));
  EXPECT_EQ(mlflow.metrics()[0].run_id, "hand-made");
  EXPECT_TRUE(mlflow.created().empty());
}

TEST(MlflowExporterTest, TransientFailuresAreRetriedWithinTheAttempts) {
  MlflowReceiver mlflow;
  mlflow.script({503, 429});
  MlflowExporter exporter(fast_mlflow_options(mlflow.url()));
  Feed feed(exporter);
  for (std::uint64_t step = 0; step < 5; ++step) feed("tolaria", at_step("loss", 1, step), 1);
  ASSERT_TRUE(wait_until([&] { return mlflow.metrics().size() == 5; }, 10s)) << mlflow.metrics().size();
  EXPECT_EQ(exporter.stats().retries, 2u);
  EXPECT_EQ(exporter.stats().dropped.at("retries_exhausted"), 0u);
}

TEST(MlflowExporterTest, AServerThatKeepsFailingCostsBoundedAttemptsThenTheMetricsAreDropped) {
  MlflowReceiver mlflow;
  mlflow.script({500, 500, 500});
  MlflowExporter exporter(fast_mlflow_options(mlflow.url()));
  Feed feed(exporter);
  for (std::uint64_t step = 0; step < 5; ++step) feed("tolaria", at_step("loss", 1, step), 1);
  ASSERT_TRUE(wait_until([&] { return exporter.stats().dropped.at("retries_exhausted") == 5; }, 10s))
      << "dropped: " << exporter.stats().dropped.at("retries_exhausted");
  EXPECT_EQ(mlflow.log_batch_requests(), 3) << "attempts: 3";
  // Later points are not stuck behind the dropped ones.
  feed("tolaria", at_step("loss", 1, 5), 1);
  ASSERT_TRUE(wait_until([&] { return mlflow.metrics().size() == 1; }, 10s));
  EXPECT_EQ(mlflow.metrics()[0].step, 5);
}

TEST(MlflowExporterTest, ARefusedBatchIsDroppedNotRetried) {
  MlflowReceiver mlflow;
  mlflow.script({400});
  MlflowExporter exporter(fast_mlflow_options(mlflow.url()));
  Feed feed(exporter);
  feed("tolaria", at_step("loss", 1, 1), 1);
  ASSERT_TRUE(wait_until([&] { return exporter.stats().dropped.at("rejected") == 1; }, 10s));
  EXPECT_EQ(mlflow.log_batch_requests(), 1);
  EXPECT_EQ(exporter.stats().retries, 0u);
}

TEST(MlflowExporterTest, ARunDeletedOnTheServerIsCreatedAgain) {
  MlflowReceiver mlflow;
  MlflowExporter exporter(fast_mlflow_options(mlflow.url()));
  Feed feed(exporter);
  feed("tolaria", at_step("loss", 1, 1), 1);
  ASSERT_TRUE(wait_until([&] { return mlflow.metrics().size() == 1; }, 10s));
  mlflow.delete_run(mlflow.created()[0].run_id);
  feed("tolaria", at_step("loss", 1, 2), 1);
  ASSERT_TRUE(wait_until([&] { return exporter.stats().dropped.at("rejected") == 1; }, 10s));
  feed("tolaria", at_step("loss", 1, 3), 1);
  ASSERT_TRUE(wait_until([&] { return mlflow.metrics().size() == 2; }, 10s));
  ASSERT_EQ(mlflow.created().size(), 2u);
  EXPECT_EQ(mlflow.metrics()[1].run_id, mlflow.created()[1].run_id);
}

TEST(MlflowExporterTest, AnUnreachableServerNeitherBlocksOfferNorGrowsTheBuffer) {
  std::string closed_url;
  {
    MlflowReceiver gone;  // Its port, closed.
    closed_url = gone.url();
  }
  auto options = fast_mlflow_options(closed_url);
  options.buffer_points = 1000;
  options.flush_interval = 10ms;
  MlflowExporter exporter(options);
  Feed feed(exporter);
  for (std::uint64_t i = 0; i < 50'000; ++i) feed("tolaria", at_step("loss", 1, i), 1);
  const ExporterStats s = exporter.stats();
  EXPECT_LE(s.buffered_bytes, 1000 * sizeof(MlflowPoint));
  ASSERT_TRUE(wait_until([&] {
    const ExporterStats t = exporter.stats();
    return t.dropped.at("buffer_full") + t.dropped.at("no_run") >= 49'000;
  }, 10s)) << "shed " << exporter.stats().dropped.at("buffer_full") << ", no run " << exporter.stats().dropped.at("no_run");
}

TEST(MlflowExporterTest, BeyondMaxRunsNewRunKeysAreDroppedAndCounted) {
  MlflowReceiver mlflow;
  auto options = fast_mlflow_options(mlflow.url());
  options.max_runs = 2;
  MlflowExporter exporter(options);
  Feed feed(exporter);
  for (int r = 0; r < 5; ++r) feed("tolaria", at_step("loss", 1, 1, {{"run_id", std::to_string(r)}}), 1);
  ASSERT_TRUE(wait_until([&] { return exporter.stats().dropped.at("too_many_runs") == 3; }, 10s));
  EXPECT_EQ(mlflow.created().size(), 2u);
  EXPECT_EQ(mlflow.metrics().size(), 2u);
}

TEST(MlflowExporterTest, ASeriesTaggedByAnEarlierExporterIsInternedAfreshNotMisread) {
  MlflowReceiver mlflow;
  std::uint64_t loss_tag = 0, other_tag = 0;  // As the aggregator's series keep them.
  {
    MlflowExporter first(fast_mlflow_options(mlflow.url()));
    first.offer("tolaria", at_step("other", 1, 1), 1, other_tag);
    first.offer("tolaria", at_step("loss", 2, 1), 1, loss_tag);
    ASSERT_TRUE(wait_until([&] { return mlflow.metrics().size() == 2; }, 10s));
  }
  MlflowExporter second(fast_mlflow_options(mlflow.url()));
  second.offer("tolaria", at_step("loss", 3, 2), 1, loss_tag);  // The first series of the new table.
  ASSERT_TRUE(wait_until([&] { return mlflow.metrics().size() == 3; }, 10s));
  EXPECT_EQ(mlflow.metrics()[2].key, "misc/loss");
  EXPECT_EQ(mlflow.metrics()[2].value, 3);
}

}  // namespace
}  // namespace esper::nissa::testing
