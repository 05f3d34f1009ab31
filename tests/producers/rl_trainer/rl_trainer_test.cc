// rl-trainer against docs/reference/rl-trainer.md: the category -> prefix mapping, numeric-only fields,
// required step fields, the eval cadence, and the real program through a real oona, where every
// key must carry its category prefix, a finite value and a step, and the shared evaluation schema
// must arrive on its cadence.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "producers/rl_trainer/category_metrics.h"
#include "producers/rl_trainer/ppo_run.h"
#include "tests/producers/producer_harness.h"
#include "tests/support/oona_process.h"

namespace esper::producers::rl {
namespace {

using namespace std::chrono_literals;

const std::vector<std::string> kPrefixes = {"trainer/", "actor/", "evaluator/", "misc/"};

// The shared evaluation schema of docs/reference/rl-trainer.md (EVALUATOR category): `phase` is text, the rest numeric.
const std::vector<std::pair<std::string, std::string>> kEvaluationSchema = {
    {"evaluator/policy_version", "version"},   {"evaluator/episodes", "episodes"},
    {"evaluator/mean_return", "return"},       {"evaluator/max_return", "return"},
    {"evaluator/min_return", "return"},        {"evaluator/episode_length_mean", "steps"},
    {"evaluator/episode_length_max", "steps"}, {"evaluator/episode_length_min", "steps"},
    {"evaluator/duration_ms", "ms"},
};
// Per update: TRAINER (the document's example key trainer/critic_loss), ACTOR and MISC.
const std::vector<std::pair<std::string, std::string>> kPerUpdate = {
    {"trainer/critic_loss", "loss"},   {"trainer/policy_loss", "loss"},      {"trainer/entropy", "nats"},
    {"trainer/approx_kl", "nats"},     {"trainer/clip_fraction", "ratio"},   {"trainer/global_grad_norm", "norm"},
    {"trainer/learning_rate", "lr"},   {"trainer/explained_variance", "ratio"}, {"trainer/timesteps", "steps"},
    {"trainer/update", "updates"},     {"actor/timesteps", "steps"},         {"actor/episodes", "episodes"},
    {"actor/mean_return", "return"},   {"actor/max_return", "return"},       {"actor/min_return", "return"},
    {"actor/episode_length_mean", "steps"}, {"misc/timesteps", "steps"},     {"misc/steps_per_second", "steps/s"},
    {"misc/update_duration_ms", "ms"},
};

bool has_category_prefix(const std::string& key) {
  for (const auto& p : kPrefixes) {
    if (key.rfind(p, 0) == 0 && key.size() > p.size()) return true;
  }
  return false;
}

TEST(CategoryMetricsTest, CategoriesMapToTheirPrefixes) {
  EXPECT_EQ(category_prefix("TRAINER"), "trainer/");
  EXPECT_EQ(category_prefix("TRAIN"), "trainer/");
  EXPECT_EQ(category_prefix("ACTOR"), "actor/");
  EXPECT_EQ(category_prefix("ACT"), "actor/");
  EXPECT_EQ(category_prefix("EVALUATOR"), "evaluator/");
  EXPECT_EQ(category_prefix("eval"), "evaluator/");
  EXPECT_EQ(category_prefix("MISC"), "misc/");
  EXPECT_EQ(category_prefix("SOMETHING_ELSE"), "misc/");
  EXPECT_EQ(category_prefix(""), "misc/");
}

TEST(CategoryMetricsTest, TheDocumentsExampleBecomesTrainerCriticLossAtStep100) {
  CategoryMetricsFormatter formatter;
  const auto points = formatter.format(
      {"TRAINER", "train", {{"critic_loss", 0.5, "loss"}, {"timesteps", 100.0, "steps"}}});
  std::map<std::string, proto::MetricPoint> by_key;
  for (const auto& p : points) by_key[p.name()] = p;
  ASSERT_TRUE(by_key.count("trainer/critic_loss"));
  EXPECT_EQ(by_key["trainer/critic_loss"].value(), 0.5);
  ASSERT_TRUE(by_key["trainer/critic_loss"].has_step());
  EXPECT_EQ(by_key["trainer/critic_loss"].step(), 100u);
}

TEST(CategoryMetricsTest, OnlyNumericFieldsAndNeverTheReservedOnes) {
  CategoryMetricsFormatter formatter;
  const auto points = formatter.format({"ACTOR",
                                        "rollout",
                                        {{"update", 7.0, "updates"},
                                         {"mean_return", 12.5, "return"},
                                         {"phase", std::string("rollout"), ""},
                                         {"category", 1.0, ""},
                                         {"message", 2.0, ""},
                                         {"telemetry", 3.0, ""}}});
  std::set<std::string> keys;
  for (const auto& p : points) {
    keys.insert(p.name());
    EXPECT_EQ(p.step(), 7u);
    EXPECT_EQ(p.attributes().at("phase"), "rollout") << "text fields ride as attributes";
  }
  EXPECT_EQ(keys, (std::set<std::string>{"actor/update", "actor/mean_return"}));
}

TEST(CategoryMetricsTest, EventsWithoutAStepFieldAreSkippedAndCounted) {
  CategoryMetricsFormatter formatter;
  EXPECT_TRUE(formatter.format({"MISC", "x", {{"steps_per_second", 10.0, "steps/s"}}}).empty());
  EXPECT_TRUE(formatter.format({"MISC", "x", {{"steps_per_second", 10.0, "steps/s"}, {"step", std::string("3"), ""}}})
                  .empty())
      << "a text step is no step";
  EXPECT_EQ(formatter.stats().skipped_without_step, 2u);
  // Each accepted step field works; the first in the documented order wins.
  for (const char* step_field : {"timesteps", "policy_version", "step", "global_step", "update"}) {
    const auto points = formatter.format({"MISC", "x", {{"sps", 1.0, "steps/s"}, {step_field, 5.0, "steps"}}});
    ASSERT_FALSE(points.empty()) << step_field;
    EXPECT_EQ(points.front().step(), 5u) << step_field;
  }
  const auto both = formatter.format({"MISC", "x", {{"update", 2.0, ""}, {"timesteps", 4096.0, ""}}});
  ASSERT_FALSE(both.empty());
  EXPECT_EQ(both.front().step(), 4096u);
}

TEST(CategoryMetricsTest, NonFiniteValuesAreRejectedAndCounted) {
  CategoryMetricsFormatter formatter;
  const auto points = formatter.format(
      {"TRAINER", "train", {{"timesteps", 1.0, "steps"}, {"critic_loss", std::nan(""), "loss"}, {"entropy", INFINITY, "nats"}}});
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points.front().name(), "trainer/timesteps");
  EXPECT_EQ(formatter.stats().rejected_non_finite, 2u);
}

TEST(PpoRunTest, EvaluationFollowsTheCadenceContract) {
  EXPECT_TRUE(eval_due(10, 10, 5));
  EXPECT_FALSE(eval_due(11, 10, 5));
  EXPECT_FALSE(eval_due(10, 0, 5));
  EXPECT_FALSE(eval_due(10, 10, 0));

  RunOptions options;
  options.eval_interval = 3;
  PpoRun run(options);
  for (std::uint64_t u = 1; u <= 12; ++u) {
    std::set<std::string> categories;
    for (const auto& e : run.update()) categories.insert(e.category);
    std::set<std::string> expected{"TRAINER", "ACTOR", "MISC"};
    if (u % 3 == 0) expected.insert("EVALUATOR");
    EXPECT_EQ(categories, expected) << "update " << u;
  }
}

class RlTrainerProgramTest : public testing::OonaAndSubscriber {};

TEST_F(RlTrainerProgramTest, EveryKeyIsPrefixedNumericAndSteppedAndEvalsFollowTheCadence) {
  constexpr int kUpdates = 40;
  auto producer = testing::start_producer("producers/rl_trainer/rl-trainer", oona_,
                                          {"--rate", "200", "--flush-interval-ms", "100", "--eval-interval", "4",
                                           "--updates", std::to_string(kUpdates), "--steps-per-update", "1024"});
  ASSERT_TRUE(producer);

  std::map<std::string, std::string> units;        // key -> unit
  std::set<std::uint64_t> eval_versions;
  std::set<std::uint64_t> trainer_steps;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  auto complete = [&] { return trainer_steps.size() == kUpdates && eval_versions.size() == kUpdates / 4; };
  while (!complete() && std::chrono::steady_clock::now() < deadline) {
    auto m = subscriber_.receive(100ms);
    if (!m || m->envelope.source() != "rl-trainer" || !m->envelope.has_telemetry()) continue;
    for (const auto& p : m->envelope.telemetry().metrics()) {
      if (p.name().rfind("producer.", 0) == 0) continue;  // The runtime's own buffer metrics.
      EXPECT_TRUE(has_category_prefix(p.name())) << p.name() << " lacks a category prefix";
      EXPECT_TRUE(std::isfinite(p.value())) << p.name();
      EXPECT_TRUE(p.has_step()) << p.name() << " has no step";
      EXPECT_EQ(p.attributes().count("category") + p.attributes().count("message"), 0u) << p.name();
      units[p.name()] = p.unit();
      if (p.name() == "trainer/timesteps") {
        EXPECT_EQ(p.step(), static_cast<std::uint64_t>(p.value()));
        trainer_steps.insert(p.step());
      }
      if (p.name().rfind("evaluator/", 0) == 0) {
        EXPECT_EQ(p.attributes().count("phase"), 1u) << p.name() << " lacks the schema's phase";
        EXPECT_EQ(p.step() % 4, 0u) << "evaluation outside the cadence at step " << p.step();
        if (p.name() == "evaluator/policy_version") eval_versions.insert(p.step());
      }
    }
  }
  EXPECT_EQ(trainer_steps.size(), static_cast<std::size_t>(kUpdates));
  EXPECT_EQ(eval_versions.size(), static_cast<std::size_t>(kUpdates / 4));
  for (const auto& table : {kPerUpdate, kEvaluationSchema}) {
    for (const auto& [key, unit] : table) {
      auto it = units.find(key);
      if (it == units.end()) {
        ADD_FAILURE() << key << " never arrived";
      } else {
        EXPECT_EQ(it->second, unit) << key;
      }
    }
  }
  const auto status = producer->wait(15s);
  ASSERT_TRUE(status) << "rl-trainer did not exit after --updates";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << esper::testing::describe_status(*status);
}

}  // namespace
}  // namespace esper::producers::rl
