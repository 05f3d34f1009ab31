// The seed manager walks seeds through the lifecycle in order, blends alpha linearly over
// blend_steps, culls a seed whose gradients are not isolated, and emits exactly the per-seed
// metrics of docs/reference/training-system.md with their seed_id.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "producers/kasmina/seed_manager.h"

namespace esper::kasmina {
namespace {

SeedManagerOptions one_seed() {
  SeedManagerOptions o;
  o.seeds = 1;
  o.stage_steps = 3;
  o.blend_steps = 4;
  o.kernel_failure_rate = 0;
  o.max_leak = 0;               // Independent gradients...
  o.isolation_threshold = 0.99;  // ...never a violation.
  return o;
}

TEST(SeedManagerTest, WalksTheLifecycleInOrderAndBlendsAlphaLinearly) {
  SeedManager manager(one_seed());
  std::vector<SeedStage> stages;
  std::vector<double> blending_alpha;
  for (int i = 0; i < 40; ++i) {
    manager.step();
    const auto& s = manager.seeds()[0];
    if (stages.empty() || stages.back() != s.stage) stages.push_back(s.stage);
    if (s.stage == SeedStage::kBlending) blending_alpha.push_back(s.alpha);
    if (s.stage == SeedStage::kFossilized) break;
  }
  EXPECT_EQ(stages, (std::vector<SeedStage>{SeedStage::kDormant, SeedStage::kGerminated, SeedStage::kTraining,
                                            SeedStage::kBlending, SeedStage::kShadowing, SeedStage::kProbationary,
                                            SeedStage::kFossilized}));
  EXPECT_EQ(blending_alpha, (std::vector<double>{0.0, 0.25, 0.5, 0.75}));
  const auto& s = manager.seeds()[0];
  EXPECT_EQ(s.alpha, 1.0);
  EXPECT_TRUE(s.kernel_attached);
  EXPECT_FALSE(s.fallback_used);
  EXPECT_EQ(s.isolation_violations, 0u);
}

TEST(SeedManagerTest, LeakingGradientsAreViolationsAndCullTheSeed) {
  SeedManager manager(one_seed());
  manager.set_leak(0, 1.0);  // The seed's gradient is the host's: cosine 1.
  std::set<SeedStage> seen;
  for (int i = 0; i < 40 && manager.seeds()[0].stage != SeedStage::kCulled; ++i) {
    manager.step();
    seen.insert(manager.seeds()[0].stage);
  }
  const auto& s = manager.seeds()[0];
  ASSERT_EQ(s.stage, SeedStage::kCulled);
  EXPECT_EQ(s.isolation_violations, 3u);
  EXPECT_FALSE(s.kernel_attached);
  EXPECT_FALSE(seen.contains(SeedStage::kBlending)) << "culled during TRAINING, after 3 violations";
  // Culled slots are embargoed, reset and become dormant again.
  for (int i = 0; i < 40 && manager.seeds()[0].stage != SeedStage::kDormant; ++i) manager.step();
  EXPECT_EQ(manager.seeds()[0].stage, SeedStage::kDormant);
  EXPECT_EQ(manager.seeds()[0].isolation_violations, 0u);
}

TEST(SeedManagerTest, FailedKernelCheckUsesTheFallback) {
  auto options = one_seed();
  options.kernel_failure_rate = 1.0;
  SeedManager manager(options);
  for (int i = 0; i < 4; ++i) manager.step();
  ASSERT_EQ(manager.seeds()[0].stage, SeedStage::kGerminated);
  EXPECT_TRUE(manager.seeds()[0].fallback_used);
  EXPECT_TRUE(manager.seeds()[0].kernel_attached);
  EXPECT_GT(manager.seeds()[0].last_kernel_latency_ms, 0.0);
}

TEST(SeedManagerTest, PointsCarrySeedIdStepAndTheDocumentsUnits) {
  auto options = one_seed();
  options.seeds = 3;
  SeedManager manager(options);
  const std::map<std::string, std::string> units = {
      {"kasmina.seed.stage", "state"},
      {"kasmina.seed.alpha", "ratio"},
      {"kasmina.seed.alpha_steps", "count"},
      {"kasmina.seed.kernel_attached", "flag"},
      {"kasmina.seed.last_kernel_latency_ms", "ms"},
      {"kasmina.seed.isolation_violations", "count"},
      {"kasmina.seed.fallback_used", "flag"},
      {"kasmina.seed.isolation.dot", "dot"},
      {"kasmina.seed.isolation.host_norm", "grad"},
      {"kasmina.seed.isolation.seed_norm", "grad"},
  };
  std::set<std::string> names, seed_ids;
  for (int i = 0; i < 30; ++i) {
    manager.step();
    std::map<std::string, int> stage_of;
    const auto points = manager.metric_points();
    for (const auto& p : points) {
      if (p.name() == "kasmina.seed.stage") stage_of[p.attributes().at("seed_id")] = static_cast<int>(p.value());
    }
    for (const auto& p : points) {
      ASSERT_TRUE(units.contains(p.name())) << p.name();
      EXPECT_EQ(p.unit(), units.at(p.name())) << p.name();
      ASSERT_EQ(p.attributes().size(), 1u);
      const auto& id = p.attributes().at("seed_id");
      EXPECT_EQ(p.step(), manager.steps());
      names.insert(p.name());
      seed_ids.insert(id);
      if (p.name() == "kasmina.seed.alpha_steps") {
        EXPECT_EQ(stage_of[id], static_cast<int>(SeedStage::kBlending)) << "alpha_steps outside BLENDING";
      }
      if (p.name().starts_with("kasmina.seed.isolation.")) {
        const int stage = stage_of[id];
        EXPECT_TRUE(stage == static_cast<int>(SeedStage::kTraining) || stage == static_cast<int>(SeedStage::kBlending) ||
                    stage == static_cast<int>(SeedStage::kShadowing) ||  // The step that finished blending.
                    stage == static_cast<int>(SeedStage::kCulled))      // The step whose violation culled it.
            << "isolation stats in stage " << stage;
      }
    }
  }
  EXPECT_EQ(names.size(), units.size());
  EXPECT_EQ(seed_ids, (std::set<std::string>{"seed-0", "seed-1", "seed-2"}));
}

}  // namespace
}  // namespace esper::kasmina
