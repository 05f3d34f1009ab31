// Services grouped by how deep they sit in the depends_on graph: tier 0 depends on nothing, tier
// n on something in tier n-1 at most. Services of one tier do not depend on each other, so
// Weatherlight stops a whole tier at once (highest first) instead of one service after another,
// and a stop takes one stop_timeout per tier, not per service.
#ifndef ESPER_WEATHERLIGHT_DEPENDENCY_TIERS_H_
#define ESPER_WEATHERLIGHT_DEPENDENCY_TIERS_H_

#include <cstddef>
#include <string>
#include <vector>

namespace esper::weatherlight {

struct TierInput {
  std::string name;
  std::vector<std::string> depends_on;
};

// Indices into `services`, tier by tier, from tier 0 up. A dependency on a name not in the list
// (a service removed by a reload) counts as nothing; cycles are refused by config validation and
// here simply stop the recursion.
std::vector<std::vector<std::size_t>> dependency_tiers(const std::vector<TierInput>& services);

}  // namespace esper::weatherlight

#endif  // ESPER_WEATHERLIGHT_DEPENDENCY_TIERS_H_
