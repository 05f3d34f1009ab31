#include "weatherlight/dependency_tiers.h"

#include <gtest/gtest.h>

namespace esper::weatherlight {
namespace {

using Tiers = std::vector<std::vector<std::size_t>>;

TEST(DependencyTiersTest, IndependentServicesShareTierZero) {
  EXPECT_EQ(dependency_tiers({{"a", {}}, {"b", {}}, {"c", {}}}), (Tiers{{0, 1, 2}}));
}

TEST(DependencyTiersTest, ATierSitsOneAboveItsDeepestDependency) {
  // oona <- nissa <- tamiyo, oona <- tolaria: tolaria stops with nissa, before oona, after tamiyo.
  const Tiers tiers = dependency_tiers(
      {{"tamiyo", {"nissa", "oona"}}, {"oona", {}}, {"nissa", {"oona"}}, {"tolaria", {"oona"}}});
  EXPECT_EQ(tiers, (Tiers{{1}, {2, 3}, {0}}));
}

TEST(DependencyTiersTest, UnknownDependenciesAndCyclesDoNotHang) {
  EXPECT_EQ(dependency_tiers({{"a", {"gone"}}}), (Tiers{{0}}));
  const Tiers cyclic = dependency_tiers({{"a", {"b"}}, {"b", {"a"}}});
  std::size_t placed = 0;
  for (const auto& tier : cyclic) placed += tier.size();
  EXPECT_EQ(placed, 2u);
}

}  // namespace
}  // namespace esper::weatherlight
