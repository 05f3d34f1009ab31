#include "weatherlight/dependency_tiers.h"

#include <algorithm>
#include <functional>
#include <map>

namespace esper::weatherlight {

std::vector<std::vector<std::size_t>> dependency_tiers(const std::vector<TierInput>& services) {
  std::map<std::string, std::size_t, std::less<>> index;
  for (std::size_t i = 0; i < services.size(); ++i) index[services[i].name] = i;
  std::vector<int> tier(services.size(), -1);
  std::vector<bool> visiting(services.size(), false);
  std::function<int(std::size_t)> tier_of = [&](std::size_t i) -> int {
    if (tier[i] >= 0) return tier[i];
    if (visiting[i]) return 0;  // A cycle: validation refuses these; do not recurse for ever.
    visiting[i] = true;
    int t = 0;
    for (const auto& dep : services[i].depends_on) {
      if (auto it = index.find(dep); it != index.end()) t = std::max(t, tier_of(it->second) + 1);
    }
    visiting[i] = false;
    return tier[i] = t;
  };
  std::vector<std::vector<std::size_t>> tiers;
  for (std::size_t i = 0; i < services.size(); ++i) {
    const auto t = static_cast<std::size_t>(tier_of(i));
    if (tiers.size() <= t) tiers.resize(t + 1);
    tiers[t].push_back(i);
  }
  return tiers;
}

}  // namespace esper::weatherlight
